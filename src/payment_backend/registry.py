"""Registry reads (by id, by owner, paginated), stats, and merchant cycles monitoring.

Lists walk the sequence indexes written at deploy time (O(limit)). Cycles are watched by a
timer that checks a few canisters per run from a rotating cursor and tops up those below
the threshold from their paid top-up budget (billing.py), so no run touches the whole
registry and no top-up is on the factory's own cycles.
"""

from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    Variant,
    Vec,
    ic,
    nat,
    nat32,
    nat64,
    query,
    text,
    update,
    void,
)
from kybra.canisters.management import CanisterStatusResult, management_canister

from src.common.factory_api import FactoryUnitResult
from src.common.message_budget import budget_left
from src.payment_backend.admins import get_settings, is_admin_text, require_admin, require_authenticated
from src.payment_backend.billing import add_budget, budget_room, give_back_topup, take_topup
from src.payment_backend.deployments import (
    UserCanister,
    UserCanisterResult,
    can_manage,
    deployment_seq_map,
    deployments_map,
    find_merchant,
    owner_index_map,
    owner_key,
    save,
)
from src.payment_backend.factory_counters import add_count, get_count, set_count, top_seq
from src.payment_backend.index_pages import page_result, via_index
from src.payment_backend.wasm_store import default_version, ready_version_count

MONITOR_BATCH = 10
MAX_PROBES = 1000


class UserCanisterPage(Record):
    items: Vec[UserCanister]
    next_cursor: Opt[text]


class UserCanisterPageResult(Variant, total=False):
    Ok: UserCanisterPage
    Err: text


class FactoryStats(Record):
    total_deployments: nat64
    creating: nat64
    installing: nat64
    active: nat64
    failed: nat64
    deleted: nat64
    wasm_versions: nat64
    default_version: Opt[text]
    factory_cycles: nat
    cycles_reserved: nat64
    cycles_spent_on_deploys: nat64
    cycles_topped_up: nat64
    low_cycles_canisters: nat64


class CyclesResult(Variant, total=False):
    Ok: nat
    Err: text


@query
def get_user_canister(canister_id: Principal) -> UserCanisterResult:
    rec, err = find_merchant(canister_id)
    if err is not None:
        return {"Err": err}
    return {"Ok": rec}


@query
def get_deployment(deployment_id: text) -> UserCanisterResult:
    if len(deployment_id) > 30:
        return {"Err": "invalid_argument: deployment_id is too long"}
    rec = deployments_map.get(deployment_id)
    if rec is None:
        return {"Err": "not_found: deployment " + deployment_id + " does not exist"}
    return {"Ok": rec}


@query
def list_user_canisters(cursor: Opt[text], limit: nat32) -> UserCanisterPageResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    return page_result(via_index(deployment_seq_map, deployments_map), top_seq("deployments"), cursor, limit)


@query
def list_canisters_by_owner(owner: Principal, cursor: Opt[text], limit: nat32) -> UserCanisterPageResult:
    caller = ic.caller().to_str()
    owner_text = owner.to_str()
    if caller != owner_text and not is_admin_text(caller):
        return {"Err": "unauthorized: only the owner or an admin may list these canisters"}

    def lookup(seq: int):
        dep_id = owner_index_map.get(owner_key(owner_text, seq))
        return None if dep_id is None else deployments_map.get(dep_id)

    return page_result(lookup, top_seq("owner:" + owner_text), cursor, limit)


@query
def get_factory_stats() -> FactoryStats:
    return {
        "total_deployments": top_seq("deployments"),
        "creating": get_count("status:creating"),
        "installing": get_count("status:installing"),
        "active": get_count("status:active"),
        "failed": get_count("status:failed"),
        "deleted": get_count("status:deleted"),
        "wasm_versions": ready_version_count(),
        "default_version": default_version(),
        "factory_cycles": ic.canister_balance128(),
        "cycles_reserved": get_count("cycles_reserved"),
        "cycles_spent_on_deploys": get_count("cycles_spent_on_deploys"),
        "cycles_topped_up": get_count("cycles_topped_up"),
        "low_cycles_canisters": get_count("low_cycles_canisters"),
    }


def note_cycles(dep_id: str, cycles: int) -> None:
    """Stores a canister's balance and keeps the below-threshold count exact."""
    rec = deployments_map.get(dep_id)
    threshold = get_settings()["topup_threshold"]
    was_low = rec["cycles"] is not None and rec["cycles"] < threshold
    is_low = cycles < threshold
    if was_low != is_low:
        add_count("low_cycles_canisters", 1 if is_low else -1)
    rec["cycles"] = cycles
    rec["cycles_checked_at"] = ic.time()
    save(rec)


def read_cycles(dep_id: str) -> Async[text]:
    """canister_status of one merchant canister; '' on success, else the error."""
    rec = deployments_map.get(dep_id)
    result: CallResult[CanisterStatusResult] = yield management_canister.canister_status(
        {"canister_id": rec["canister_id"]}
    )
    if result.Err is not None:
        return "status_failed: " + result.Err
    note_cycles(dep_id, result.Ok["cycles"])
    return ""


def deposit(dep_id: str, amount: int) -> Async[text]:
    """Sends amount cycles from the factory to the canister; '' on success."""
    settings = get_settings()
    spare = ic.canister_balance128() - get_count("cycles_reserved") - settings["min_factory_cycles"]
    if spare < amount:
        return "insufficient_cycles: the factory keeps " + str(settings["min_factory_cycles"]) + " cycles in reserve"
    add_count("cycles_reserved", amount)
    rec = deployments_map.get(dep_id)
    result: CallResult[void] = yield management_canister.deposit_cycles(
        {"canister_id": rec["canister_id"]}
    ).with_cycles128(amount)
    add_count("cycles_reserved", -amount)
    if result.Err is not None:
        return "deposit_failed: " + result.Err
    add_count("cycles_topped_up", amount)
    rec = deployments_map.get(dep_id)
    if rec["cycles"] is not None:
        note_cycles(dep_id, rec["cycles"] + amount)
    return ""


def load_live(canister_id: Principal) -> "tuple":
    rec, err = find_merchant(canister_id)
    if err is None and "active" not in rec["status"]:
        return (None, "failed_precondition: the canister is not active")
    return (rec, err)


@update
def refresh_canister_cycles(canister_id: Principal) -> Async[CyclesResult]:
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    rec, err = load_live(canister_id)
    if err is not None:
        return {"Err": err}
    if not can_manage(rec):
        return {"Err": "unauthorized: only the owner or an admin may refresh this canister"}
    err = yield read_cycles(rec["deployment_id"])
    if err != "":
        return {"Err": err}
    return {"Ok": deployments_map.get(rec["deployment_id"])["cycles"]}


@update
def top_up_user_canister(canister_id: Principal, amount: nat64) -> Async[CyclesResult]:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    rec, err = load_live(canister_id)
    if err is not None:
        return {"Err": err}
    if amount < 1_000_000 or amount > 100_000_000_000_000:
        return {"Err": "invalid_argument: amount must be between 1e6 and 1e14 cycles"}
    err = yield deposit(rec["deployment_id"], amount)
    if err != "":
        return {"Err": err}
    return {"Ok": amount}


def paid_topup(dep_id: str, amount: int) -> Async[void]:
    """A monitor top-up, only out of the canister's paid budget (reserved across the yield)."""
    canister_text = deployments_map.get(dep_id)["canister_id"].to_str()
    if not take_topup(canister_text, amount):
        add_count("topups_refused_unpaid", 1)
        ic.print("cycles monitor: " + dep_id + " is low but its top-up budget is short: payment_required")
        return
    err = yield deposit(dep_id, amount)
    if err != "":
        give_back_topup(canister_text, amount)
        ic.print("cycles monitor: top-up of " + dep_id + " failed: " + err)


@update
def prepay_canister_topups(canister_id: Principal) -> FactoryUnitResult:
    """Anyone: the cycles attached to this call (through a cycles wallet) become the
    canister's top-up budget, which the cycles monitor spends when it runs low."""
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    _, err = find_merchant(canister_id)
    if err is not None:
        return {"Err": err}
    amount = min(ic.msg_cycles_available128(), budget_room(canister_id.to_str()))
    if amount <= 0:
        return {"Err": "payment_required: attach the cycles to prepay (through a cycles wallet)"}
    ic.msg_cycles_accept128(amount)
    return add_budget(canister_id.to_str(), amount)


def monitor_cycles() -> Async[void]:
    """Timer: checks the next MONITOR_BATCH active canisters and tops up low ones."""
    top = top_seq("deployments")
    if top == 0:
        return
    settings = get_settings()
    seq = get_count("monitor_cursor")
    checked = 0
    probes = 0
    while checked < MONITOR_BATCH and probes < min(top, MAX_PROBES) and budget_left():
        seq = seq + 1 if seq < top else 1
        probes += 1
        dep_id = deployment_seq_map.get(seq)
        rec = None if dep_id is None else deployments_map.get(dep_id)
        if rec is None or "active" not in rec["status"] or rec["busy"]:
            continue
        set_count("monitor_cursor", seq)
        checked += 1
        err = yield read_cycles(dep_id)
        if err != "":
            ic.print("cycles monitor: " + dep_id + ": " + err)
            continue
        rec = deployments_map.get(dep_id)
        if rec["cycles"] < settings["topup_threshold"]:
            yield paid_topup(dep_id, settings["topup_amount"])
    set_count("monitor_cursor", seq)


@update
def run_cycles_monitor() -> Async[FactoryUnitResult]:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    yield monitor_cycles()
    return {"Ok": None}
