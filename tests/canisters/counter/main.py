from kybra import (
    Async,
    CallResult,
    Manual,
    Opt,
    Principal,
    StableBTreeMap,
    Vec,
    blob,
    ic,
    init,
    nat64,
    query,
    update,
    void,
)

counts = StableBTreeMap[str, nat64](memory_id=0, max_key_size=40, max_value_size=20)
calls_seen: Vec[str] = []
owner_text = "none"


@init
def init_(owner: Principal) -> void:
    global owner_text
    owner_text = owner.to_str()
    ic.print("counter installed")


@update
def increment(name: str) -> nat64:
    value = (counts.get(name) or 0) + 1
    counts.insert(name, value)
    calls_seen.append(name)
    return value


@query
def get(name: str) -> nat64:
    return counts.get(name) or 0


@query
def names() -> Vec[str]:
    return counts.keys()


@query
def heap_calls() -> nat64:
    return len(calls_seen)


@query
def owner() -> str:
    return owner_text


@query
def whoami() -> Principal:
    return ic.caller()


@query
def peek_after_write(name: str) -> nat64:
    counts.insert(name, 999)
    calls_seen.append(name)
    return counts.get(name) or 0


@query
def echo_manual(text: str) -> Manual[str]:
    ic.reply(text + "!")


@update
def fail_after_write(name: str) -> nat64:
    counts.insert(name, 1000)
    calls_seen.append(name)
    raise ValueError("boom")


@update
def trap_after_write(name: str) -> nat64:
    counts.insert(name, 2000)
    ic.trap("explicit trap")
    return 0


@update
def too_large(name: str) -> nat64:
    counts.insert(name, 1)
    return 1


@query
def raw() -> blob:
    return ic.arg_data_raw()
