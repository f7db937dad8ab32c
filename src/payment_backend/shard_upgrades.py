"""Changing a report aggregator shard's code (docs/scaling.md, "Report aggregators"):
`upgrade_report_shard` upgrades one active shard to a committed version, keeping its state
(merchants, last reports, the queue, the batch in flight: all in stable maps);
`retry_report_shard` installs a failed shard's version again into the canister it already
has (no new canister, no cycles spent again), from its version or another one.

An upgrade is stage -> stop -> install -> start, as a merchant's (upgrades.upgrade_step):
the shard's batch timer may be waiting on the factory, and a reply reaching the new module
would trap there (docs/kybra.md "Upgrades with calls in flight"); `stop_canister` answers
once those calls are done. The shard is started again whatever the install did: a failed
install leaves the old module (install is atomic). The shard stays `active` meanwhile (its
merchants keep it; their reports to a stopped shard wait at the merchant, as for a shard
that does not answer), and the lock is a counter per shard taken before the first yield."""

from kybra import Async, Opt, ic, nat64, text, update

from src.payment_backend.admins import require_admin
from src.payment_backend.chunk_store import install_version, stage_version
from src.payment_backend.factory_counters import add_count, get_count, set_count
from src.payment_backend.report_shards import LOCK_SECONDS, NS, SHARD_VERSION, save_shard, shard_init_arg
from src.payment_backend.shard_registry import ReportShardResult, shards_map
from src.payment_backend.upgrades import START_FAILED, start_step, stop_step
from src.payment_backend.wasm_store import get_ready_version, note_version_use, wasm_meta_map

CHANGE = "shard_change_at:"  # counter per shard number: when its running upgrade began (0: none)


def changing(shard_no: int) -> bool:
    began = get_count(CHANGE + str(shard_no))
    return began != 0 and ic.time() - began < LOCK_SECONDS * NS


def find_shard(shard_no: int, status: str) -> "tuple":
    """(record, None) for a shard with a canister in `status` nobody is changing."""
    rec = shards_map.get(shard_no)
    if rec is None:
        return (None, "not_found: report shard " + str(shard_no) + " does not exist")
    if rec["status"] != status:
        return (None, "failed_precondition: report shard " + str(shard_no) + " is " + rec["status"] + ", not " + status)
    if rec["canister_id"] is None:
        return (None, "failed_precondition: report shard " + str(shard_no) + " has no canister: deploy another")
    if changing(shard_no):
        return (None, "busy: report shard " + str(shard_no) + " is being upgraded")
    return (rec, None)


def upgrade_shard_step(shard_no: int, version: str):
    """Stage, stop, install (mode upgrade), start (a generator, the lock held by the
    caller): (installed, '' or the error)."""
    canister_id = shards_map.get(shard_no)["canister_id"]
    add_count("installs_in_flight", 1)  # as install_version counts its own staging
    err = yield stage_version(version)
    add_count("installs_in_flight", -1)
    if err == "":
        err = yield stop_step(canister_id, True)
    installed = False
    if err == "":
        err = yield install_version(canister_id, version, {"upgrade": None}, ic.candid_encode("()"))
        installed = err == ""
        started = yield start_step(canister_id)
        if started != "":
            err = started if installed else err + "; " + started
    return (installed, err)


@update
def upgrade_report_shard(shard_no: nat64, version: text) -> Async[ReportShardResult]:
    """Admins: upgrade one active report aggregator shard to a committed version of
    src/report_aggregator/; it keeps its merchants, their last and pending reports and its
    batch in flight, and the factory deploys its next shards from this version. Upgrading a
    shard to the version it runs only starts it again after a failed start."""
    err = require_admin()
    rec = None
    if err is None:
        _, err = get_ready_version(version)
    if err is None:
        rec, err = find_shard(shard_no, "active")
    restart = False
    if err is None and rec["version"] == version:
        restart = rec["error"] is not None and rec["error"].startswith(START_FAILED)
        if not restart:
            err = "failed_precondition: report shard " + str(shard_no) + " already runs " + version
    if err is not None:
        return {"Err": err}
    set_count(CHANGE + str(shard_no), ic.time())
    if restart:
        err = yield start_step(rec["canister_id"])
        installed = False
    else:
        installed, err = yield upgrade_shard_step(shard_no, version)
    set_count(CHANGE + str(shard_no), 0)
    rec = shards_map.get(shard_no)
    if installed:
        note_version_use(rec["version"], -1)
        note_version_use(version, 1)
        rec["version"] = version
        wasm_meta_map.insert(SHARD_VERSION, version)
    if err != "" and not err.startswith(START_FAILED):
        err = "upgrade_failed: report shard " + str(shard_no) + ": " + err
    save_shard(rec, "active", None if err == "" else err)
    if err.startswith(START_FAILED):
        return {
            "Err": err
            + " (report shard "
            + str(shard_no)
            + " runs "
            + version
            + " but is stopped: upgrade it to "
            + version
            + " again to start it)"
        }
    if err != "":
        return {"Err": err[:600]}
    return {"Ok": rec}


@update
def retry_report_shard(shard_no: nat64, version: Opt[text]) -> Async[ReportShardResult]:
    """Admins: install a failed shard again into its canister (created and paid for
    already), from its version or another (e.g. fixed) one; on success the shard is active
    and merchants are assigned to it."""
    err = require_admin()
    rec = None
    if err is None:
        rec, err = find_shard(shard_no, "failed")
    target = None
    if err is None:
        target = rec["version"] if version is None else version
        _, err = get_ready_version(target)
    if err is not None:
        return {"Err": err}
    rec["version"] = target
    save_shard(rec, "installing", None)  # the lock: a second retry finds it not failed
    err = yield install_version(rec["canister_id"], target, {"install": None}, shard_init_arg())
    rec = shards_map.get(shard_no)
    if err != "":
        save_shard(rec, "failed", err)
        return {"Err": "install_failed: report shard " + str(shard_no) + ": " + err[:500]}
    save_shard(rec, "active", None)
    note_version_use(target, 1)
    if wasm_meta_map.get(SHARD_VERSION) is None:
        wasm_meta_map.insert(SHARD_VERSION, target)
    return {"Ok": rec}
