import os
import random
import secrets
import uuid

from kybra import (
    Async,
    CallResult,
    GuardResult,
    Manual,
    Opt,
    Principal,
    StableBTreeMap,
    Vec,
    blob,
    heartbeat,
    ic,
    inspect_message,
    nat,
    nat32,
    nat64,
    query,
    update,
    void,
)
from kybra.canisters.management import management_canister

state = StableBTreeMap[str, nat64](memory_id=0, max_key_size=40, max_value_size=20)
beats: Vec[nat64] = []
admins: Vec[str] = []


def is_admin() -> GuardResult:
    if ic.caller().to_str() in admins:
        return {"Ok": None}
    return {"Err": "not an admin: " + ic.caller().to_str()}


@inspect_message
def inspect() -> void:
    if ic.method_name() != "refused_by_inspect":
        ic.accept_message()


@heartbeat
def beat() -> void:
    beats.append(ic.time())


@query
def beat_count() -> nat64:
    return len(beats)


@update
def become_admin() -> void:
    admins.append(ic.caller().to_str())


@update(guard=is_admin)
def admin_only() -> str:
    return "welcome"


@query(guard=is_admin)
def admin_query() -> str:
    return "welcome"


@update
def refused_by_inspect() -> str:
    return "never"


@query
def ids() -> Vec[Principal]:
    return [ic.caller(), ic.id()]


@query
def now() -> nat64:
    return ic.time()


@query
def raw_args() -> blob:
    return ic.arg_data_raw()


@query
def raw_args_size() -> nat32:
    return ic.arg_data_raw_size()


@update
def manual_raw() -> Manual[str]:
    ic.reply_raw(ic.candid_encode('("raw reply")'))


@update
def manual_reject() -> Manual[str]:
    ic.reject("no thanks")


@update
def manual_silent() -> Manual[str]:
    pass


@query
def roundtrip(text: str) -> str:
    return ic.candid_decode(ic.candid_encode(text))


@update
def certify(data: blob) -> void:
    ic.set_certified_data(data)


@query
def certificate() -> Opt[blob]:
    return ic.data_certificate()


@update
def certificate_in_update() -> Opt[blob]:
    return ic.data_certificate()


@update
def work(n: nat64) -> Vec[nat64]:
    before = ic.performance_counter(0)
    total = 0
    for i in range(n):
        total += i
    return [before, ic.performance_counter(0)]


@update
def say(text: str) -> void:
    ic.print(text)


@query
def cycles() -> nat:
    return ic.canister_balance128()


@update
def pseudo_random() -> Vec[str]:
    return [os.urandom(8).hex(), secrets.token_hex(8), str(uuid.uuid4()),
            str(random.randint(0, 10 ** 12))]


@update
def real_random() -> Async[blob]:
    result: CallResult[blob] = yield management_canister.raw_rand()
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok


@update
def reject_code_after(other: Principal) -> Async[str]:
    result: CallResult[blob] = yield ic.call_raw(other, "nope", ic.candid_encode("()"), 0)
    return str(ic.reject_code()) + " " + ic.reject_message()
