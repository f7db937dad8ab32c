"""Upgrading one merchant canister to a stored version, and rolling it back.

The canister keeps its state (install mode `upgrade`); the post_upgrade argument is the
same merchant init record it was installed with. `busy` on the registry record is the lock
held across the yields, so an upgrade, a rollout step and a cleanup never overlap.

A merchant is stopped before it is upgraded and started again afterwards, whatever the
install did (unless its owner had stopped it: that stays; only an owner who still
co-controls a merchant deployed before the factory became its sole controller can). Its
timers and methods may have calls in flight, and on the IC a reply to a call made before an
upgrade reaches the new module, where Kybra's waiting generator no longer exists
(docs/kybra.md "Upgrades with calls in flight"). `stop_canister` is answered once the
merchant's open calls are done; a stop the IC gives up on (after five minutes)
leaves the merchant `stopping`, so it is started again and the upgrade reported failed.
"""

from kybra import Async, CallResult, Principal, text, update, void
from kybra.canisters.management import CanisterStatusResult, management_canister

from src.payment_backend.admins import require_authenticated
from src.payment_backend.chunk_store import install_version, stage_version
from src.payment_backend.deployments import (
    UserCanisterResult,
    clip,
    deployments_map,
    find_merchant,
    save,
)
from src.payment_backend.factory_counters import add_count
from src.payment_backend.merchant_init import encode_merchant_init
from src.payment_backend.upgrade_consent import may_change_code
from src.payment_backend.wasm_store import get_ready_version, note_version_use


def lock(dep_id: str) -> None:
    rec = deployments_map.get(dep_id)
    rec["busy"] = True
    save(rec)


START_FAILED = "start_failed: "


def start_step(canister_id: Principal) -> Async[text]:
    """start_canister; '' on success, else the error."""
    result: CallResult[void] = yield management_canister.start_canister({"canister_id": canister_id})
    return "" if result.Err is None else START_FAILED + result.Err


def status_step(canister_id: Principal) -> Async[text]:
    """The canister's status: 'running', 'stopping', 'stopped' or 'status_failed: ...'."""
    result: CallResult[CanisterStatusResult] = yield management_canister.canister_status({"canister_id": canister_id})
    if result.Err is not None:
        return "status_failed: " + result.Err
    for name in result.Ok["status"]:
        return name
    return "status_failed: no status"


def stop_step(canister_id: Principal, restart: bool) -> Async[text]:
    """stop_canister, waiting until the canister's calls in flight are done; '' once it is
    stopped, else the error (a rejected stop can leave it `stopping`, refusing every call:
    it is started again when `restart`)."""
    result: CallResult[void] = yield management_canister.stop_canister({"canister_id": canister_id})
    if result.Err is None:
        return ""
    started = ""
    if restart:
        started = yield start_step(canister_id)
    return "stop_failed: " + result.Err + ("" if started == "" else "; " + started)


def upgrade_step(dep_id: str, version: str) -> Async[text]:
    """Stops the locked canister, upgrades it to version, starts it again (if it was
    running: an owner's stop is kept) and unlocks it; '' on success, else the error (a
    failed install leaves the previous module: install is atomic). The chunks are staged
    before the stop, so the merchant is down only for the install itself."""
    rec = deployments_map.get(dep_id)
    canister_id = rec["canister_id"]
    arg, err = encode_merchant_init([rec["owner"].to_str()], rec["routing_key"], rec["merchant"])
    if err is None:
        add_count("installs_in_flight", 1)  # as install_version counts its own staging
        err = yield stage_version(version)
        add_count("installs_in_flight", -1)
    was_running = False
    if err == "":
        status = yield status_step(canister_id)
        was_running = status == "running"
        err = status if status.startswith("status_failed") else ""
    if err == "":
        err = yield stop_step(canister_id, was_running)
    installed = False
    if err == "":
        err = yield install_version(canister_id, version, {"upgrade": None}, arg)
        installed = err == ""
        started = ""
        if was_running:
            started = yield start_step(canister_id)
        if started != "":
            err = started if installed else err + "; " + started
    rec = deployments_map.get(dep_id)
    rec["busy"] = False
    if installed:
        old = rec["version"]
        rec["previous_version"] = old
        rec["version"] = version
        rec["target_version"] = version
        note_version_use(old, -1)
        note_version_use(version, 1)
    if err != "":
        err = clip(err)
        rec["error"] = err if installed else "upgrade_failed: " + err
        save(rec)
        return err
    rec["error"] = None
    save(rec)
    return ""


def left_stopped(rec: dict) -> bool:
    """The last upgrade installed its module but could not start the canister again."""
    return rec["error"] is not None and rec["error"].startswith(START_FAILED)


def restart_step(dep_id: str) -> Async[text]:
    """Starts a locked canister an upgrade left stopped, and unlocks it; '' or the error."""
    rec = deployments_map.get(dep_id)
    err = yield start_step(rec["canister_id"])
    rec = deployments_map.get(dep_id)
    rec["busy"] = False
    rec["error"] = None if err == "" else clip(err)
    save(rec)
    return err


def check_upgradable(canister_id: Principal) -> "tuple":
    """(record, None) when the caller may upgrade this active, unlocked canister."""
    rec, err = find_merchant(canister_id)
    if err is not None:
        return (None, err)
    if not may_change_code(rec):
        return (
            None,
            "unauthorized: only the owner (or an admin, once the owner opted in to managed upgrades) may upgrade this canister",
        )
    if "active" not in rec["status"]:
        return (None, "failed_precondition: only active canisters can be upgraded")
    if rec["busy"]:
        return (None, "busy: another operation on this canister is in progress")
    return (rec, None)


def upgrade_to(canister_id: Principal, version: str) -> Async[UserCanisterResult]:
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    rec, err = check_upgradable(canister_id)
    if err is not None:
        return {"Err": err}
    _, err = get_ready_version(version)
    if err is not None:
        return {"Err": err}
    if rec["version"] == version and not left_stopped(rec):
        return {"Err": "failed_precondition: the canister already runs " + version}
    lock(rec["deployment_id"])
    if rec["version"] == version:
        err = yield restart_step(rec["deployment_id"])  # the retry of a stopped upgrade
    else:
        err = yield upgrade_step(rec["deployment_id"], version)
    if err.startswith(START_FAILED):
        return {
            "Err": err
            + " (the canister runs "
            + version
            + " but is stopped: upgrade it to "
            + version
            + " again to start it)"
        }
    if err != "":
        return {"Err": "upgrade_failed: " + err}
    return {"Ok": deployments_map.get(rec["deployment_id"])}


@update
def upgrade_user_canister(canister_id: Principal, version: text) -> Async[UserCanisterResult]:
    result = yield upgrade_to(canister_id, version)
    return result


@update
def rollback_user_canister(canister_id: Principal) -> Async[UserCanisterResult]:
    rec, err = check_upgradable(canister_id)
    if err is None:
        err = require_authenticated()
    if err is not None:
        return {"Err": err}
    if rec["previous_version"] is None:
        return {"Err": "failed_precondition: the canister has no previous version"}
    version = rec["previous_version"]
    result = yield upgrade_to(canister_id, version)
    return result
