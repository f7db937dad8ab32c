"""Who a merchant-side call comes from: only canisters this factory deployed, alone
controls (so they run the module it installed) and that are active may report usage or
metrics, so counts cannot be inflated by strangers or by an owner's own code."""

from src.payment_backend.admins import caller_text
from src.payment_backend.deployments import is_active_merchant, record_by_canister

NOT_A_MERCHANT = "unauthorized: only merchant canisters deployed by this factory may call this method"


def require_merchant_canister() -> "str | None":
    """Error text unless the caller is an active merchant canister of this factory."""
    if not is_active_merchant(caller_text()):
        return NOT_A_MERCHANT
    return None


def caller_owner_text() -> str:
    """The owner the calling merchant canister was deployed for: reports that need
    independent witnesses count owners, not canisters (one owner may run several)."""
    rec = record_by_canister(caller_text())
    return "" if rec is None else rec["owner"].to_str()
