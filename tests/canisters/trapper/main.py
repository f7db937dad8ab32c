from kybra import (
    Async,
    CallResult,
    Service,
    StableBTreeMap,
    Vec,
    ic,
    nat64,
    query,
    service_update,
    update,
    void,
)


class Trapper(Service):
    @service_update
    def noop(self) -> void:
        ...


values = StableBTreeMap[str, nat64](memory_id=3, max_key_size=20, max_value_size=20)
journal: Vec[str] = []
settings = {"mode": "initial"}


@update
def noop() -> void:
    pass


@update
def write_then_trap(key: str, value: nat64) -> void:
    values.insert(key, value)
    journal.append(key)
    settings["mode"] = "changed"
    ic.trap("refusing after the write")


@update
def write_then_raise(key: str, value: nat64) -> void:
    values.insert(key, value)
    journal.append(key)
    settings["mode"] = "changed"
    raise KeyError(key)


@update
def write_commit_then_trap(key: str, value: nat64) -> Async[void]:
    values.insert(key, value)
    journal.append(key)
    yield Trapper(ic.id()).noop()
    values.insert(key + "-after", value)
    journal.append(key + "-after")
    ic.trap("trap after the commit point")


@update
def swallow_trap(key: str) -> void:
    values.insert(key, 1)
    try:
        ic.trap("cannot be caught")
    except BaseException:
        pass


@query
def get(key: str) -> nat64:
    return values.get(key) or 0


@query
def journal_entries() -> Vec[str]:
    return journal


@query
def mode() -> str:
    return settings["mode"]


@update
def spin(n: nat64) -> nat64:
    total = 0
    for i in range(n):
        total += i
    return total
