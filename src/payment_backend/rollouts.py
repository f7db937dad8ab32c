"""Rollouts: one version to every merchant canister, in timer-driven batches.

A rollout walks the deployment sequence index from 1 to the highest seq at its start, one
batch per timer run (the first batch is the canary, then `batch_size`). Every canister gets
a result row. The rollout pauses itself when the canary has a failure or failures exceed
`max_failures`; admins pause/resume/cancel it, or roll it back, which walks the result rows
and returns each upgraded canister to the version it had. All progress lives in stable maps,
so a rollout survives factory upgrades (the timer is re-armed in post_upgrade).
"""

from kybra import (
    Async,
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Variant,
    Vec,
    ic,
    nat32,
    nat64,
    null,
    query,
    text,
    update,
    void,
)

from src.common.message_budget import budget_left
from src.common.validation import first_error
from src.payment_backend.admins import require_admin
from src.payment_backend.deployments import deployment_seq_map, deployments_map
from src.payment_backend.factory_counters import next_seq, top_seq
from src.payment_backend.index_pages import page_result, via_index
from src.payment_backend.upgrade_consent import managed
from src.payment_backend.upgrades import lock, upgrade_step
from src.payment_backend.wasm_store import get_ready_version, wasm_meta_map

MAX_PROBES = 1000
ACTIVE_STATES = ("running", "paused", "rolling_back")


class RolloutStatus(Variant, total=False):
    running: null
    paused: null
    completed: null
    rolling_back: null
    rolled_back: null
    cancelled: null


class RolloutPlan(Record):
    version: text
    batch_size: nat32
    canary_size: nat32
    max_failures: nat32
    interval_seconds: nat64


class Rollout(Record):
    rollout_id: text
    version: text
    status: RolloutStatus
    batch_size: nat32
    canary_size: nat32
    max_failures: nat32
    interval_seconds: nat64
    next_seq: nat64
    end_seq: nat64
    canary_done: bool
    upgraded: nat64
    failed: nat64
    skipped: nat64
    rolled_back: nat64
    rollback_failed: nat64
    rollback_cursor: nat64
    result_count: nat64
    in_tick: bool
    pause_reason: Opt[text]
    created_by: Principal
    created_at: nat64
    updated_at: nat64


class RolloutOutcome(Variant, total=False):
    upgraded: null
    failed: null
    skipped: null
    rolled_back: null
    rollback_failed: null


class RolloutCanisterResult(Record):
    seq: nat64
    canister_id: Principal
    deployment_id: text
    from_version: Opt[text]
    to_version: text
    outcome: RolloutOutcome
    error: Opt[text]
    at: nat64


class RolloutResult(Variant, total=False):
    Ok: Rollout
    Err: text


class RolloutPage(Record):
    items: Vec[Rollout]
    next_cursor: Opt[text]


class RolloutPageResult(Variant, total=False):
    Ok: RolloutPage
    Err: text


class RolloutResultPage(Record):
    items: Vec[RolloutCanisterResult]
    next_cursor: Opt[text]


class RolloutResultPageResult(Variant, total=False):
    Ok: RolloutResultPage
    Err: text


rollouts_map = StableBTreeMap[text, Rollout](memory_id=30, max_key_size=40, max_value_size=2048)
rollout_seq_map = StableBTreeMap[nat64, text](memory_id=31, max_key_size=24, max_value_size=40)
rollout_results_map = StableBTreeMap[text, RolloutCanisterResult](memory_id=32, max_key_size=64, max_value_size=2048)


def status_of(ro: dict) -> str:
    for key in ro["status"]:
        return key
    return "unknown"


def result_key(rollout_id: str, seq: int) -> str:
    return rollout_id + "#" + str(seq).zfill(20)


def active_rollout() -> "dict | None":
    rid = wasm_meta_map.get("active_rollout")
    return None if rid is None else rollouts_map.get(rid)


def save_rollout(ro: dict) -> None:
    ro["updated_at"] = ic.time()
    rollouts_map.insert(ro["rollout_id"], ro)


def finish(ro: dict, status: str) -> None:
    ro["status"] = {status: None}
    wasm_meta_map.remove("active_rollout")
    wasm_meta_map.remove("rollout_version")


def add_result(ro: dict, rec: dict, outcome: str, error: "str | None") -> None:
    seq = ro["result_count"] + 1
    ro["result_count"] = seq
    rollout_results_map.insert(
        result_key(ro["rollout_id"], seq),
        {
            "seq": seq,
            "canister_id": rec["canister_id"],
            "deployment_id": rec["deployment_id"],
            "from_version": rec["version"],
            "to_version": ro["version"],
            "outcome": {outcome: None},
            "error": error,
            "at": ic.time(),
        },
    )
    ro[outcome] = ro[outcome] + 1


def arm_if_moving(ro: dict) -> None:
    """Schedules the next batch while the rollout (or its rollback) is under way; an admin
    may have switched between the two while a batch was waiting on a call."""
    if status_of(ro) in ("running", "rolling_back"):
        ic.set_timer(ro["interval_seconds"], rollout_tick)


def upgrade_batch(rid: str) -> Async[void]:
    ro = rollouts_map.get(rid)
    canary = not ro["canary_done"] and ro["canary_size"] > 0
    size = ro["canary_size"] if canary else ro["batch_size"]
    failed_before = ro["failed"]
    picked = 0
    probes = 0
    while picked < size and ro["next_seq"] <= ro["end_seq"] and probes < MAX_PROBES and budget_left():
        probes += 1
        seq = ro["next_seq"]
        ro["next_seq"] = seq + 1
        dep_id = deployment_seq_map.get(seq)
        rec = None if dep_id is None else deployments_map.get(dep_id)
        if rec is None or "active" not in rec["status"] or rec["version"] == ro["version"]:
            continue
        if rec["busy"]:
            add_result(ro, rec, "skipped", "busy: another operation was in progress")
            continue
        if not managed(rec):
            add_result(ro, rec, "skipped", "not_opted_in: the owner has not opted in to managed upgrades")
            continue
        picked += 1
        save_rollout(ro)
        lock(dep_id)
        err = yield upgrade_step(dep_id, ro["version"])
        ro = rollouts_map.get(rid)
        if err == "":
            add_result(ro, rec, "upgraded", None)
        else:
            add_result(ro, rec, "failed", err)
        if "running" not in ro["status"]:
            break
    if "running" in ro["status"]:
        if canary:
            ro["canary_done"] = True
            if ro["failed"] > failed_before:
                ro["status"] = {"paused": None}
                ro["pause_reason"] = "canary_failed: the canary batch had failures; resume or roll back"
        if "running" in ro["status"] and ro["failed"] > ro["max_failures"]:
            ro["status"] = {"paused": None}
            ro["pause_reason"] = "too_many_failures: " + str(ro["failed"]) + " canisters failed"
        if "running" in ro["status"] and ro["next_seq"] > ro["end_seq"]:
            finish(ro, "completed")
    ro["in_tick"] = False
    save_rollout(ro)
    arm_if_moving(ro)


def rollback_batch(rid: str) -> Async[void]:
    ro = rollouts_map.get(rid)
    picked = 0
    probes = 0
    while (
        picked < ro["batch_size"]
        and ro["rollback_cursor"] < ro["result_count"]
        and probes < MAX_PROBES
        and budget_left()
    ):
        probes += 1
        ro["rollback_cursor"] = ro["rollback_cursor"] + 1
        key = result_key(rid, ro["rollback_cursor"])
        row = rollout_results_map.get(key)
        if row is None or "upgraded" not in row["outcome"]:
            continue
        rec = deployments_map.get(row["deployment_id"])
        if rec is None or "active" not in rec["status"] or rec["version"] != ro["version"]:
            continue
        target = row["from_version"]
        err = "no previous version to return to"
        if target is not None:
            _, err = get_ready_version(target)
        if err is not None or rec["busy"]:
            row["outcome"] = {"rollback_failed": None}
            row["error"] = "busy: another operation was in progress" if err is None else err
            rollout_results_map.insert(key, row)
            ro["rollback_failed"] = ro["rollback_failed"] + 1
            continue
        picked += 1
        save_rollout(ro)
        lock(rec["deployment_id"])
        failure = yield upgrade_step(rec["deployment_id"], target)
        ro = rollouts_map.get(rid)
        row["outcome"] = {"rolled_back": None} if failure == "" else {"rollback_failed": None}
        row["error"] = None if failure == "" else failure
        row["at"] = ic.time()
        rollout_results_map.insert(key, row)
        if failure == "":
            ro["rolled_back"] = ro["rolled_back"] + 1
        else:
            ro["rollback_failed"] = ro["rollback_failed"] + 1
    if "rolling_back" in ro["status"] and ro["rollback_cursor"] >= ro["result_count"]:
        finish(ro, "rolled_back")
    ro["in_tick"] = False
    save_rollout(ro)
    arm_if_moving(ro)


def rollout_tick() -> Async[void]:
    """Timer callback: runs one batch of the active rollout (or its rollback)."""
    ro = active_rollout()
    if ro is None or ro["in_tick"]:
        return
    state = status_of(ro)
    if state != "running" and state != "rolling_back":
        return
    ro["in_tick"] = True
    save_rollout(ro)
    if state == "running":
        yield upgrade_batch(ro["rollout_id"])
    else:
        yield rollback_batch(ro["rollout_id"])


def rearm_after_upgrade() -> None:
    """post_upgrade: timers are gone; an interrupted batch is resumed from its cursor."""
    ro = active_rollout()
    if ro is None:
        return
    ro["in_tick"] = False
    save_rollout(ro)
    state = status_of(ro)
    if state == "running" or state == "rolling_back":
        ic.set_timer(1, rollout_tick)


def check_plan(plan: dict) -> "str | None":
    if plan["batch_size"] < 1 or plan["batch_size"] > 50:
        return "invalid_argument: batch_size must be between 1 and 50"
    if plan["canary_size"] > 50:
        return "invalid_argument: canary_size must be at most 50"
    if plan["max_failures"] > 1000:
        return "invalid_argument: max_failures must be at most 1000"
    if plan["interval_seconds"] > 86400:
        return "invalid_argument: interval_seconds must be at most 86400"
    return None


@update
def start_rollout(plan: RolloutPlan) -> RolloutResult:
    err = first_error([require_admin(), check_plan(plan)])
    if err is None:
        _, err = get_ready_version(plan["version"])
    if err is not None:
        return {"Err": err}
    if active_rollout() is not None:
        return {"Err": "failed_precondition: rollout " + wasm_meta_map.get("active_rollout") + " is still active"}
    seq = next_seq("rollouts")
    rid = "ro_" + str(seq)
    now = ic.time()
    ro = {
        "rollout_id": rid,
        "version": plan["version"],
        "status": {"running": None},
        "batch_size": plan["batch_size"],
        "canary_size": plan["canary_size"],
        "max_failures": plan["max_failures"],
        "interval_seconds": plan["interval_seconds"],
        "next_seq": 1,
        "end_seq": top_seq("deployments"),
        "canary_done": False,
        "upgraded": 0,
        "failed": 0,
        "skipped": 0,
        "rolled_back": 0,
        "rollback_failed": 0,
        "rollback_cursor": 0,
        "result_count": 0,
        "in_tick": False,
        "pause_reason": None,
        "created_by": ic.caller(),
        "created_at": now,
        "updated_at": now,
    }
    rollouts_map.insert(rid, ro)
    rollout_seq_map.insert(seq, rid)
    wasm_meta_map.insert("active_rollout", rid)
    wasm_meta_map.insert("rollout_version", plan["version"])
    ic.set_timer(0, rollout_tick)
    return {"Ok": ro}


def find_rollout(rollout_id: str) -> "tuple":
    """(rollout, None) for an existing rollout, else (None, error text)."""
    if len(rollout_id) > 30:
        return (None, "invalid_argument: rollout_id is too long")
    ro = rollouts_map.get(rollout_id)
    if ro is None:
        return (None, "not_found: rollout " + rollout_id + " does not exist")
    return (ro, None)


def load_rollout(rollout_id: str) -> "tuple":
    """find_rollout for an admin caller: the caller check comes first."""
    err = require_admin()
    if err is not None:
        return (None, err)
    return find_rollout(rollout_id)


@update
def pause_rollout(rollout_id: text) -> RolloutResult:
    ro, err = load_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    if "running" not in ro["status"]:
        return {"Err": "failed_precondition: only a running rollout can be paused"}
    ro["status"] = {"paused": None}
    ro["pause_reason"] = "paused by " + ic.caller().to_str()
    save_rollout(ro)
    return {"Ok": ro}


@update
def resume_rollout(rollout_id: text) -> RolloutResult:
    ro, err = load_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    if "paused" not in ro["status"]:
        return {"Err": "failed_precondition: only a paused rollout can be resumed"}
    ro["status"] = {"running": None}
    ro["pause_reason"] = None
    ro["canary_done"] = True
    # Failures seen so far were looked at by whoever resumed: allow as many again.
    ro["max_failures"] = ro["failed"] + ro["max_failures"]
    save_rollout(ro)
    if not ro["in_tick"]:
        ic.set_timer(0, rollout_tick)
    return {"Ok": ro}


@update
def cancel_rollout(rollout_id: text) -> RolloutResult:
    ro, err = load_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    if status_of(ro) not in ("running", "paused"):
        return {"Err": "failed_precondition: only a running or paused rollout can be cancelled"}
    finish(ro, "cancelled")
    save_rollout(ro)
    return {"Ok": ro}


@update
def rollback_rollout(rollout_id: text) -> RolloutResult:
    ro, err = load_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    state = status_of(ro)
    if state not in ("running", "paused", "completed", "cancelled"):
        return {"Err": "failed_precondition: the rollout is already " + state}
    current = active_rollout()
    if current is not None and current["rollout_id"] != rollout_id:
        return {"Err": "failed_precondition: rollout " + current["rollout_id"] + " is active"}
    ro["status"] = {"rolling_back": None}
    ro["rollback_cursor"] = 0
    ro["pause_reason"] = None
    save_rollout(ro)
    wasm_meta_map.insert("active_rollout", rollout_id)
    if not ro["in_tick"]:
        ic.set_timer(0, rollout_tick)
    return {"Ok": ro}


@query
def get_rollout(rollout_id: text) -> RolloutResult:
    ro, err = find_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    return {"Ok": ro}


@query
def list_rollouts(cursor: Opt[text], limit: nat32) -> RolloutPageResult:
    return page_result(via_index(rollout_seq_map, rollouts_map), top_seq("rollouts"), cursor, limit)


@query
def list_rollout_results(rollout_id: text, cursor: Opt[text], limit: nat32) -> RolloutResultPageResult:
    ro, err = find_rollout(rollout_id)
    if err is not None:
        return {"Err": err}
    return page_result(
        lambda seq: rollout_results_map.get(result_key(rollout_id, seq)), ro["result_count"], cursor, limit
    )
