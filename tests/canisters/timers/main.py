from kybra import (
    Async,
    Duration,
    StableBTreeMap,
    TimerId,
    Vec,
    ic,
    init,
    nat64,
    post_upgrade,
    query,
    update,
    void,
)

fired = StableBTreeMap[str, nat64](memory_id=0, max_key_size=40, max_value_size=20)
order: Vec[str] = []
interval_ids: Vec[nat64] = []


def record(name: str) -> None:
    fired.insert(name, (fired.get(name) or 0) + 1)
    order.append(name)


def on_first() -> None:
    record("first")


def on_second() -> None:
    record("second")


def on_tick() -> None:
    record("tick")


def on_trap() -> None:
    record("trapping")
    ic.trap("timer trapped")


def on_generator() -> Async[void]:
    record("generator")
    yield ic.call_raw(ic.id(), "noop", ic.candid_encode("()"), 0)
    record("generator-after-call")


def on_generator_error() -> Async[void]:
    record("gen-error")
    yield ic.call_raw(ic.id(), "noop", ic.candid_encode("()"), 0)
    record("gen-error-after")
    raise ValueError("lost in a spawned future")


@init
def init_() -> void:
    ic.set_timer(5, on_first)


@post_upgrade
def post_upgrade_() -> void:
    record("upgraded")


@update
def noop() -> void:
    pass


@update
def schedule(delay: Duration) -> TimerId:
    return ic.set_timer(delay, on_second)


@update
def schedule_interval(interval: Duration) -> TimerId:
    timer_id = ic.set_timer_interval(interval, on_tick)
    interval_ids.append(timer_id)
    return timer_id


@update
def schedule_trap(delay: Duration) -> TimerId:
    return ic.set_timer(delay, on_trap)


@update
def schedule_generator(delay: Duration) -> TimerId:
    return ic.set_timer(delay, on_generator)


@update
def cancel(timer_id: TimerId) -> void:
    ic.clear_timer(timer_id)


@query
def count(name: str) -> nat64:
    return fired.get(name) or 0


@query
def fired_order() -> Vec[str]:
    return order


@query
def now() -> nat64:
    return ic.time()


@update
def schedule_generator_error(delay: Duration) -> TimerId:
    return ic.set_timer(delay, on_generator_error)
