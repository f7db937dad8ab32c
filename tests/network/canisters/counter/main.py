from kybra import Opt, StableBTreeMap, blob, ic, nat, query, update, void

counter = StableBTreeMap[str, nat](memory_id=0, max_key_size=16, max_value_size=32)


@update
def inc() -> nat:
    value = (counter.get("n") or 0) + 1
    counter.insert("n", value)
    ic.print(f"inc -> {value}")
    return value


@update
def add(amount: nat) -> nat:
    value = (counter.get("n") or 0) + amount
    counter.insert("n", value)
    return value


@query
def get() -> nat:
    return counter.get("n") or 0


@update
def fail() -> void:
    ic.trap("counter failure requested")


@query
def whoami() -> str:
    return ic.caller().to_str()


@query
def now() -> nat:
    return ic.time()


@update
def certify(data: blob) -> void:
    ic.set_certified_data(data)


@query
def certificate() -> Opt[blob]:
    return ic.data_certificate()
