"""Calls to the factory. The factory is optional for the merchant's own work: a factory
that is unset, down or answering errors never fails a merchant call that does not need its
data (usage reports are best effort; rates and script URLs fall back to a cache or to
'unavailable')."""

from kybra import ic

from src.common.factory_api import PaymentFactory
from src.user_payment_canister.merchant_store import merchant_state

COMPONENT_VERSION = "latest"
script_url_cache = {}


def factory():
    """The factory service, or None when this canister was installed without one."""
    factory_id = merchant_state()["factory"]
    return None if factory_id is None else PaymentFactory(factory_id)


def report_template_usage(template_id: str):
    """Best effort: tell the factory a merchant modal uses one of its templates."""
    svc = factory()
    if svc is None:
        return False
    result = yield svc.update_template_usage(template_id)
    if getattr(result, "Err", None) is not None:
        ic.print("factory template usage report failed: " + str(result.Err))
        return False
    if "Err" in result.Ok:
        ic.print("factory refused template usage: " + result.Ok["Err"])
        return False
    return True


def fetch_template(template_id: str):
    """(template, None) from the factory, or (None, error) when unavailable or unknown."""
    svc = factory()
    if svc is None:
        return (None, "factory_unavailable: this merchant canister has no factory")
    result = yield svc.get_global_modal_template(template_id)
    if getattr(result, "Err", None) is not None:
        return (None, "factory_unavailable: " + str(result.Err))
    if "Err" in result.Ok:
        return (None, "not_found: factory template " + template_id + ": " + result.Ok["Err"])
    return (result.Ok["Ok"], None)


def script_url(component_id: str):
    """(url, None) of a component script from the factory's registry (cached per heap
    lifetime), or (None, error)."""
    svc = factory()
    if svc is not None:
        result = yield svc.get_component_cdn_url(component_id, COMPONENT_VERSION)
        if getattr(result, "Err", None) is None and "Ok" in result.Ok:
            script_url_cache[component_id] = result.Ok["Ok"]
            return (result.Ok["Ok"], None)
        ic.print("factory component lookup failed for " + component_id)
    cached = script_url_cache.get(component_id)
    if cached is not None:
        return (cached, None)
    return (None, "factory_unavailable: the component registry has no script URL for " + component_id)


def usd_rates():
    """{symbol: USD price} from the factory, or {} when it cannot be reached."""
    svc = factory()
    if svc is None:
        return {}
    result = yield svc.get_real_time_rates()
    if getattr(result, "Err", None) is not None:
        ic.print("factory rates unavailable: " + str(result.Err))
        return {}
    rates = {}
    for entry in result.Ok:
        rates[entry["key"]] = entry["value"]
    return rates
