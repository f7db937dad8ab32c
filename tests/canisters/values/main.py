"""Fixture: values Kybra 0.7.1 refuses to convert (docs/kybra.md "Value conversion") and
replies over the IC's size limits ("Message limits"). Each `bad_*` method returns, stores or
sends a value that a real Kybra canister cannot convert; each `ok_*` one a value it accepts."""
from kybra import (
    Async,
    CallResult,
    Manual,
    Opt,
    Principal,
    Record,
    Service,
    StableBTreeMap,
    Tuple,
    Variant,
    Vec,
    blob,
    float32,
    float64,
    ic,
    nat,
    nat8,
    nat64,
    query,
    service_update,
    update,
)


class Price(Record):
    amount: float64
    note: Opt[str]


class Outcome(Variant, total=False):
    Done: nat64
    Failed: str


class Values(Service):
    @service_update
    def take_price(self, price: Price) -> nat64:
        ...


prices = StableBTreeMap[nat64, Price](memory_id=0, max_key_size=16, max_value_size=200)


@update
def bad_float_int() -> float64:
    return 1


@update
def ok_float() -> float64:
    return 1.0


@update
def ok_float32_saturates() -> float32:
    return 1e300


@update
def bad_record_int_float() -> Price:
    return {"amount": 1, "note": None}


@update
def bad_record_missing_opt() -> Price:
    return {"amount": 1.0}


@update
def ok_record_extra_key() -> Price:
    return {"amount": 1.0, "note": None, "extra": 5}


@update
def bad_vec_tuple() -> Vec[Price]:
    return ({"amount": 1.0, "note": None},)


@update
def ok_vec_nat64_tuple() -> Vec[nat64]:
    return (1, 2)


@update
def bad_tuple_list() -> Tuple[nat64, str]:
    return [1, "a"]


@update
def ok_tuple() -> Tuple[nat64, str]:
    return (1, "a")


@update
def bad_principal_text() -> Principal:
    return "aaaaa-aa"


@update
def bad_nat_negative() -> nat:
    return -1


@update
def bad_nat8_overflow() -> nat8:
    return 256


@update
def bad_text_bytes() -> str:
    return b"x"


@update
def bad_variant_unknown() -> Outcome:
    return {"Nope": 1}


@update
def bad_opt_float_int() -> Opt[float64]:
    return 1


@update
def ok_blob_list() -> blob:
    return [1, 2]


@update
def bad_stable_int_float() -> str:
    try:
        prices.insert(1, {"amount": 1, "note": None})
    except Exception as e:
        return "refused: " + str(e)
    return "stored"


@update
def bad_stable_missing_opt() -> str:
    try:
        prices.insert(1, {"amount": 1.0})
    except Exception as e:
        return "refused: " + str(e)
    return "stored"


@update
def take_price(price: Price) -> nat64:
    return 7


@update
def bad_call_arg(other: Principal) -> Async[nat64]:
    result: CallResult[nat64] = yield Values(other).take_price({"amount": 3, "note": None})
    return result.Ok or 0


@update
def ok_call_arg(other: Principal) -> Async[nat64]:
    result: CallResult[nat64] = yield Values(other).take_price({"amount": 3.0, "note": None})
    return result.Ok or 0


@update
def bad_notify_arg(other: Principal) -> str:
    Values(other).take_price({"amount": 3, "note": None}).notify()
    return "sent"


@update
def big_update_reply(size: nat64) -> blob:
    return bytes(size)


@query
def big_query_reply(size: nat64) -> blob:
    return bytes(size)


@update
def big_reject(size: nat64) -> Manual[str]:
    ic.reject("x" * size)


@update
def big_manual_reply(size: nat64) -> Manual[blob]:
    ic.reply(bytes(size))
