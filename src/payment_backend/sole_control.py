"""Making the factory the only controller of a merchant canister deployed while its owner
was a co-controller (before issue 16), so the factory believes it again (docs/trust.md).

The owner asks (`secure_user_canister`); the factory first removes every other controller
and only then reads the module hash by `canister_status` as the remaining controller, so
nobody can swap the module between the check and the belief. The canister is believed
(`sole_control:` mark) only if that hash is the one of the version the registry says it
runs; otherwise the mark is cleared and the owner upgrades it to an approved version
(`upgrade_user_canister`) and asks again. A canister that leaves the factory's sole
control this way leaves its report aggregator shard first (the shard no longer counts its
reports and hands its last one back: shard_assignment.release_merchant); it reports to the
factory directly once it is believed again."""

from kybra import Async, CallResult, Principal, ic, update, void
from kybra.canisters.management import CanisterStatusResult, management_canister

from src.common.factory_api import FactoryUnitResult
from src.payment_backend.deployments import SOLE_CONTROL, deployments_map, find_merchant_signed_in, save
from src.payment_backend.factory_counters import get_count, set_count
from src.payment_backend.shard_assignment import release_merchant
from src.payment_backend.wasm_store import find_version


def unlock(dep_id: str) -> dict:
    rec = deployments_map.get(dep_id)
    rec["busy"] = False
    save(rec)
    return rec


@update
def secure_user_canister(canister_id: Principal) -> Async[FactoryUnitResult]:
    rec, err = find_merchant_signed_in(canister_id)
    if err is not None:
        return {"Err": err}
    if ic.caller().to_str() != rec["owner"].to_str():
        return {"Err": "unauthorized: only the canister's owner may hand its control to the factory"}
    if "active" not in rec["status"] or rec["version"] is None:
        return {"Err": "failed_precondition: only active canisters can be secured"}
    if rec["busy"]:
        return {"Err": "busy: another operation on this canister is in progress"}
    dep_id = rec["deployment_id"]
    was_sole = get_count(SOLE_CONTROL + canister_id.to_str()) == 1
    rec["busy"] = True
    save(rec)
    set_count(SOLE_CONTROL + canister_id.to_str(), 0)  # not believed until the check below passed
    released = yield release_merchant(canister_id)  # its shard stops counting it and hands its report back
    if released != "":
        set_count(SOLE_CONTROL + canister_id.to_str(), 1 if was_sole else 0)
        unlock(dep_id)
        return {"Err": released}
    updated: CallResult[void] = yield management_canister.update_settings(
        {
            "canister_id": canister_id,
            "settings": {
                "controllers": [ic.id()],
                "compute_allocation": None,
                "memory_allocation": None,
                "freezing_threshold": None,
            },
        }
    )
    if updated.Err is not None:
        unlock(dep_id)
        return {"Err": "status_failed: the controllers could not be changed: " + updated.Err}
    status: CallResult[CanisterStatusResult] = yield management_canister.canister_status({"canister_id": canister_id})
    rec = unlock(dep_id)
    if status.Err is not None:
        return {"Err": "status_failed: " + status.Err}
    version, err = find_version(rec["version"])
    if err is not None:
        return {"Err": err}
    if status.Ok["module_hash"] != version["sha256"]:
        return {
            "Err": "module_mismatch: the canister does not run " + rec["version"] + " as installed by the factory; "
            "upgrade it (upgrade_user_canister) and secure it again"
        }
    set_count(SOLE_CONTROL + canister_id.to_str(), 1)
    return {"Ok": None}
