"""Admins deploy report aggregator shards and assign merchants to them (docs/scaling.md,
"Report aggregators"). A shard is installed like a merchant canister (a committed wasm
version, created with cycles through deployments.create_funded_canister, installed from
the chunk store, the factory its only controller); new merchants are assigned at
deployment (deployments.run_deployment), existing ones by `assign_report_shards`, which
walks the registry with a cursor."""

from kybra import Async, ic, nat32, nat64, query, text, update, void

from src.common.factory_api import FactoryUnitResult
from src.payment_backend.admins import require_admin
from src.payment_backend.chunk_store import install_version
from src.payment_backend.deployments import (
    create_funded_canister,
    deployment_seq_map,
    deployments_map,
    is_active_merchant,
)
from src.payment_backend.factory_counters import get_count, next_seq, set_count
from src.payment_backend.merchant_init import candid_principal
from src.payment_backend.shard_assignment import assign_merchants
from src.payment_backend.shard_registry import (
    CAPACITY,
    ReportShardListResult,
    ReportShardResult,
    ShardAssignResult,
    merchant_shard_map,
    open_shard,
    shard_index_map,
    shards_map,
)
from src.payment_backend.wasm_store import get_ready_version, note_version_use, wasm_meta_map

NS = 1_000_000_000
LOCK = "shard_deploy_at"  # counter: when the running shard deployment began (0: none)
LOCK_SECONDS = 3600
MAX_CAPACITY = 100_000
MAX_ASSIGN = 1000
MAX_PROBES = 2000
CURSOR = "shard_assign_cursor"  # deployments seq up to which every merchant was handled
SHARD_VERSION = "shard_version"  # wasm_meta_map: the version the last shard was installed from
UPKEEP_SECONDS = 600


def save_shard(rec: dict, status: str, error: "str | None") -> None:
    rec["status"] = status
    rec["error"] = None if error is None else error[:1000]
    shards_map.insert(rec["shard_no"], rec)


def shard_init_arg() -> bytes:
    """The shard's init argument (ShardInitArgs): this factory."""
    return ic.candid_encode("(record { factory = " + candid_principal(ic.id().to_str()) + " })")


def deploy_shard(version: str):
    """Create and install one shard (a generator, the lock taken by the caller):
    {"Ok": record} or {"Err": text}."""
    shard_no = next_seq("report_shards")
    rec = {
        "shard_no": shard_no,
        "canister_id": None,
        "version": version,
        "status": "creating",
        "merchants": 0,
        "batches": 0,
        "reports": 0,
        "refused": 0,
        "last_batch_at": 0,
        "error": None,
        "created_at": ic.time(),
    }
    shards_map.insert(shard_no, rec)
    canister_id, err = yield create_funded_canister()
    if err == "":
        rec = shards_map.get(shard_no)
        rec["canister_id"] = canister_id
        save_shard(rec, "installing", None)
        shard_index_map.insert(canister_id.to_str(), shard_no)
        err = yield install_version(canister_id, version, {"install": None}, shard_init_arg())
    rec = shards_map.get(shard_no)
    set_count(LOCK, 0)
    if err != "":
        save_shard(rec, "failed", err)
        return {"Err": "install_failed: report shard " + str(shard_no) + ": " + err[:500]}
    save_shard(rec, "active", None)
    note_version_use(version, 1)
    wasm_meta_map.insert(SHARD_VERSION, version)
    return {"Ok": rec}


def deploying() -> bool:
    return get_count(LOCK) != 0 and ic.time() - get_count(LOCK) < LOCK_SECONDS * NS


@update
def deploy_report_shard(version: text) -> Async[ReportShardResult]:
    """Admins: deploy one report aggregator shard from a committed wasm version of
    src/report_aggregator/ (one at a time); new merchants are assigned to it, and when it is
    full the factory deploys the next one from the same version by itself (shard_upkeep)."""
    err = require_admin()
    if err is None:
        _, err = get_ready_version(version)
    if err is None and deploying():
        err = "busy: another report shard is being deployed"
    if err is not None:
        return {"Err": err}
    set_count(LOCK, ic.time())
    result = yield deploy_shard(version)
    return result


@update
def set_report_shard_capacity(capacity: nat64) -> FactoryUnitResult:
    """Admins: merchants per shard (1-100,000; default 5,000), for assignments from now on."""
    err = require_admin()
    if err is None and (capacity < 1 or capacity > MAX_CAPACITY):
        err = "invalid_argument: capacity must be 1-" + str(MAX_CAPACITY)
    if err is not None:
        return {"Err": err}
    set_count(CAPACITY, capacity)
    return {"Ok": None}


@query
def get_report_shards() -> ReportShardListResult:
    """Admins: every shard with its merchants and batches (a few dozen at 100,000 merchants)."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    return {"Ok": shards_map.values()[:1000]}


def unassigned_merchants(limit: int) -> "tuple":
    """([(deployment seq, canister id)] of active merchants without a shard after the cursor,
    the last seq handled). The walk stops before a deployment still in progress (it is
    assigned when it finishes, or by a later walk)."""
    found = []
    seq = get_count(CURSOR)
    last = get_count("seq:deployments")
    probes = 0
    while seq < last and len(found) < limit and probes < MAX_PROBES:
        probes += 1
        dep_id = deployment_seq_map.get(seq + 1)
        rec = None if dep_id is None else deployments_map.get(dep_id)
        if rec is not None and ("creating" in rec["status"] or "installing" in rec["status"]):
            break
        seq += 1
        if rec is None or rec["canister_id"] is None:
            continue
        key = rec["canister_id"].to_str()
        if is_active_merchant(key) and not merchant_shard_map.contains_key(key):
            found.append((seq, rec["canister_id"]))
    return (found, seq)


@update
def assign_report_shards(limit: nat32) -> Async[ShardAssignResult]:
    """Admins: assign up to `limit` (1-1000) existing merchants without a shard to shards
    with room, in registry order; call again until it assigns 0."""
    err = require_admin()
    if err is None and (limit < 1 or limit > MAX_ASSIGN):
        err = "invalid_argument: limit must be 1-" + str(MAX_ASSIGN)
    if err is not None:
        return {"Err": err}
    total = yield assign_unassigned(limit)
    return {"Ok": total}


def assign_unassigned(limit: int):
    """Assign up to `limit` merchants without a shard after the cursor (a generator): the
    number assigned; the cursor moves past every merchant handled."""
    found, probed = unassigned_merchants(limit)
    total = 0
    while total < len(found):
        rest = [canister for _, canister in found[total:]]
        assigned = yield assign_merchants(rest)
        if assigned == 0:
            break
        total += assigned
    cursor = probed if total == len(found) else found[total][0] - 1
    set_count(CURSOR, max(get_count(CURSOR), cursor))
    return total


def shard_upkeep() -> Async[void]:
    """Timer (every UPKEEP_SECONDS, once a shard was deployed): merchants without a shard
    (deployed while every shard was full, or before the first) are assigned, and when no
    shard has room the next one is deployed from the last shard's version."""
    ic.set_timer(UPKEEP_SECONDS, shard_upkeep)
    version = wasm_meta_map.get(SHARD_VERSION)
    if version is None:
        return
    found, probed = unassigned_merchants(1)
    if len(found) == 0:
        set_count(CURSOR, max(get_count(CURSOR), probed))
        return
    if open_shard() is None:
        if deploying():
            return
        set_count(LOCK, ic.time())
        result = yield deploy_shard(version)
        if "Err" in result:
            ic.print("report shard upkeep: " + result["Err"])
            return
    yield assign_unassigned(MAX_ASSIGN)


def arm_shard_upkeep() -> None:
    """init and post_upgrade."""
    ic.set_timer(UPKEEP_SECONDS, shard_upkeep)
