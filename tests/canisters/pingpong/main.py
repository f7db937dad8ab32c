from kybra import (
    Async,
    CallResult,
    Principal,
    Service,
    StableBTreeMap,
    blob,
    ic,
    nat64,
    query,
    service_query,
    service_update,
    update,
    void,
)


class PingPong(Service):
    @service_update
    def ping(self, other: Principal, n: nat64) -> nat64:
        ...

    @service_update
    def boom(self) -> nat64:
        ...

    @service_update
    def receive(self) -> nat64:
        ...

    @service_update
    def missing(self) -> nat64:
        ...

    @service_query
    def hits(self) -> nat64:
        ...


stats = StableBTreeMap[str, nat64](memory_id=0, max_key_size=20, max_value_size=20)


def bump(key: str) -> nat64:
    value = (stats.get(key) or 0) + 1
    stats.insert(key, value)
    return value


@update
def ping(other: Principal, n: nat64) -> Async[nat64]:
    bump("hits")
    if n == 0:
        return 0
    result: CallResult[nat64] = yield PingPong(other).ping(ic.id(), n - 1)
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok + 1


@query
def hits() -> nat64:
    return stats.get("hits") or 0


@update
def boom() -> nat64:
    bump("hits")
    raise RuntimeError("callee failed")


@update
def call_boom(other: Principal) -> Async[str]:
    result: CallResult[nat64] = yield PingPong(other).boom()
    return result.Err or "no error"


@update
def call_missing(other: Principal) -> Async[str]:
    result: CallResult[nat64] = yield PingPong(other).missing()
    return result.Err or "no error"


@update
def receive() -> nat64:
    available = ic.msg_cycles_available()
    return ic.msg_cycles_accept(available // 2)


@update
def pay(other: Principal, amount: nat64) -> Async[nat64]:
    result: CallResult[nat64] = yield PingPong(other).receive().with_cycles(amount)
    if result.Err is not None:
        ic.trap(result.Err)
    return ic.msg_cycles_refunded()


@query
def balance() -> nat64:
    return ic.canister_balance()


@query
def sum_hits(other: Principal) -> Async[nat64]:
    result: CallResult[nat64] = yield PingPong(other).hits()
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok + (stats.get("hits") or 0)


@update
def raw_ping(other: Principal) -> Async[blob]:
    arg = ic.candid_encode("(principal \"aaaaa-aa\", 0 : nat64)")
    result: CallResult[blob] = yield ic.call_raw(other, "ping", arg, 0)
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok


@update
def notify_ping(other: Principal, then_trap: bool) -> void:
    PingPong(other).ping(ic.id(), 0).notify()
    if then_trap:
        ic.trap("the notification is not sent when the message traps")


@update
def big_call(other: Principal, size: nat64) -> Async[str]:
    result: CallResult[blob] = yield ic.call_raw(other, "hits", b"DIDL\x00\x00" + bytes(size), 0)
    return result.Err or "sent"
