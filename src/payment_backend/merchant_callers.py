"""Who a merchant-side call comes from: only canisters this factory deployed (and that are
active) may report usage or metrics, so counts cannot be inflated by strangers."""

from kybra import ic

from src.payment_backend.deployments import is_active_merchant


def require_merchant_canister() -> "str | None":
    """Error text unless the caller is an active merchant canister of this factory."""
    if not is_active_merchant(ic.caller().to_str()):
        return "unauthorized: only merchant canisters deployed by this factory may call this method"
    return None
