"""Calls to the factory. The factory is optional for the merchant's own work: a factory
that is unset, down or answering errors never fails a merchant call that does not need its
data (usage reports are best effort; rates and script URLs fall back to a cache or to
'unavailable')."""

from kybra import ic

from src.common.factory_api import PaymentFactory
from src.common.usd_pricing import MAX_RATE_AGE_SECONDS, no_rate_error, stale_rate_error
from src.user_payment_canister.merchant_store import merchant_state

COMPONENT_VERSION = "latest"
script_url_cache = {}
stale_rates = {}  # symbol -> age in seconds of a rate the last usd_rates() refused (this message)


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
    """{symbol: USD price} of the factory's rates younger than MAX_RATE_AGE_SECONDS, or {}
    when it cannot be reached; the refused ones are in `stale_rates` (see rate_problem)."""
    stale_rates.clear()
    svc = factory()
    if svc is None:
        return {}
    result = yield svc.get_timed_rates()
    if getattr(result, "Err", None) is not None:
        ic.print("factory rates unavailable: " + str(result.Err))
        return {}
    now_seconds = ic.time() // 1_000_000_000
    rates = {}
    for entry in result.Ok:
        age = max(0, now_seconds - entry["timestamp_seconds"])
        if age > MAX_RATE_AGE_SECONDS:
            stale_rates[entry["symbol"]] = age
        else:
            rates[entry["symbol"]] = entry["rate_usd"]
    return rates


def usd_cents(rates: dict, token: dict, amount: int) -> "int | None":
    """`amount` base units of `token` in USD cents at `rates` (usd_rates()), or None."""
    rate = rates.get(token["symbol"])
    if rate is None or rate <= 0:
        return None
    return int(amount * rate * 100 // (10 ** token["decimals"]))


def rate_problem(symbol: str) -> str:
    """The error text for a token the last usd_rates() gave no rate for."""
    age = stale_rates.get(symbol)
    if age is not None:
        return stale_rate_error(symbol, age)
    return no_rate_error(symbol)
