"""Upgrading one merchant canister to a stored version, and rolling it back.

The canister keeps its state (install mode `upgrade`); the post_upgrade argument is the
same merchant init record it was installed with. `busy` on the registry record is the lock
held across the yields, so an upgrade, a rollout step and a cleanup never overlap.
"""

from kybra import Async, Principal, ic, text, update

from src.payment_backend.admins import require_authenticated
from src.payment_backend.chunk_store import install_version
from src.payment_backend.upgrade_consent import may_change_code
from src.payment_backend.deployments import (
    UserCanisterResult,
    clip,
    deployments_map,
    find_merchant,
    save,
)
from src.payment_backend.merchant_init import encode_merchant_init
from src.payment_backend.wasm_store import get_ready_version, note_version_use


def lock(dep_id: str) -> None:
    rec = deployments_map.get(dep_id)
    rec["busy"] = True
    save(rec)


def upgrade_step(dep_id: str, version: str) -> Async[text]:
    """Upgrades a locked canister to version and unlocks it; '' on success, else the error
    (the canister then still runs its previous module: install is atomic)."""
    rec = deployments_map.get(dep_id)
    arg, err = encode_merchant_init([rec["owner"].to_str()], rec["routing_key"], rec["merchant"])
    if err is None:
        err = yield install_version(rec["canister_id"], version, {"upgrade": None}, arg)
    rec = deployments_map.get(dep_id)
    rec["busy"] = False
    if err != "":
        err = clip(err)
        rec["error"] = "upgrade_failed: " + err
        save(rec)
        return err
    old = rec["version"]
    rec["previous_version"] = old
    rec["version"] = version
    rec["target_version"] = version
    rec["error"] = None
    save(rec)
    note_version_use(old, -1)
    note_version_use(version, 1)
    return ""


def check_upgradable(canister_id: Principal) -> "tuple":
    """(record, None) when the caller may upgrade this active, unlocked canister."""
    rec, err = find_merchant(canister_id)
    if err is not None:
        return (None, err)
    if not may_change_code(rec):
        return (None, "unauthorized: only the owner (or an admin, once the owner opted in to managed upgrades) may upgrade this canister")
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
    if rec["version"] == version:
        return {"Err": "failed_precondition: the canister already runs " + version}
    lock(rec["deployment_id"])
    err = yield upgrade_step(rec["deployment_id"], version)
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
