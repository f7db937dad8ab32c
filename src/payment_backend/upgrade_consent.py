"""Who may change the code of a merchant canister (issue 16 #7, docs/trust.md).

The factory is every merchant canister's only controller, so its rules are the only way
code changes. The owner may always upgrade or roll back their own canister. A factory
admin may do so (one canister, or a rollout) only for a canister whose owner opted in to
managed upgrades (`set_managed_upgrades`); without that, a rollout skips the canister
and the owner upgrades when they choose. So the operator cannot swap a merchant's code,
and with it take the merchant's funds, without the owner's consent."""

from kybra import Principal, ic, query, update

from src.common.factory_api import FactoryBoolResult, FactoryUnitResult
from src.payment_backend.admins import is_admin_text
from src.payment_backend.deployments import find_merchant, find_merchant_signed_in
from src.payment_backend.factory_counters import get_count, set_count

MANAGED = "managed_upgrades:"  # counter: 1 while the owner lets admins upgrade the canister


def managed(rec: dict) -> bool:
    return rec["canister_id"] is not None and get_count(MANAGED + rec["canister_id"].to_str()) == 1


def may_change_code(rec: dict) -> bool:
    """The canister's owner; an admin only when the owner opted in to managed upgrades."""
    caller = ic.caller().to_str()
    return caller == rec["owner"].to_str() or (is_admin_text(caller) and managed(rec))


@update
def set_managed_upgrades(canister_id: Principal, enabled: bool) -> FactoryUnitResult:
    """The owner lets factory admins upgrade and roll back this canister (or stops it)."""
    rec, err = find_merchant_signed_in(canister_id)
    if err is not None:
        return {"Err": err}
    if ic.caller().to_str() != rec["owner"].to_str():
        return {"Err": "unauthorized: only the canister's owner decides who may change its code"}
    set_count(MANAGED + canister_id.to_str(), 1 if enabled else 0)
    return {"Ok": None}


@query
def get_managed_upgrades(canister_id: Principal) -> FactoryBoolResult:
    rec, err = find_merchant(canister_id)
    if err is not None:
        return {"Err": err}
    return {"Ok": managed(rec)}
