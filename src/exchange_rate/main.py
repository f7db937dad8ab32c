"""Local stand-in for the IC Exchange Rate Canister (XRC): the real Candid interface,
the real cycle charging (1B attached per call, 1M kept on failure, 20M on a cached
success, the rest refunded), rates set by its admins instead of HTTPS outcalls."""

from kybra import (
    Opt,
    Principal,
    Record,
    Variant,
    Vec,
    ic,
    init,
    nat64,
    query,
    text,
    update,
    void,
)

from src.common.xrc_types import (
    Asset,
    GetExchangeRateRequest,
    GetExchangeRateResult,
)
from src.exchange_rate.xrc_rates import (
    MAX_RATE,
    RATE_DECIMALS,
    asset_key,
    lookup,
    minute_of,
    store_rate,
)
from src.exchange_rate.xrc_store import xrc_admins

XRC_REQUEST_CYCLES_COST = 1_000_000_000
XRC_BASE_CYCLES_COST = 20_000_000
XRC_MINIMUM_FEE_COST = 1_000_000
MAX_RATES_PER_CALL = 500
MAX_SYMBOL_LEN = 20


class XrcRateInput(Record):
    base_asset: Asset
    quote_asset: Asset
    rate: nat64
    timestamp: nat64


class XrcAdminResult(Variant, total=False):
    Ok: nat64
    Err: text


@init
def init(admins: Opt[Vec[Principal]]) -> void:
    """The installer and the listed principals may set rates."""
    xrc_admins.insert(ic.caller().to_str(), ic.time())
    if admins is not None:
        for admin in admins:
            xrc_admins.insert(admin.to_str(), ic.time())


def _is_admin() -> bool:
    return xrc_admins.contains_key(ic.caller().to_str())


def _asset_problem(asset) -> str:
    symbol = asset["symbol"]
    if len(symbol) == 0 or len(symbol) > MAX_SYMBOL_LEN:
        return "symbol must be 1.." + str(MAX_SYMBOL_LEN) + " characters"
    if not symbol.isalnum():
        return "symbol must be letters and digits: " + symbol
    return ""


@update
def set_rates(rates: Vec[XrcRateInput]) -> XrcAdminResult:
    """Stores base/quote rates (9 decimals) at minute-rounded timestamps (seconds)."""
    if not _is_admin():
        return {"Err": "forbidden: only admins set rates"}
    if len(rates) > MAX_RATES_PER_CALL:
        return {"Err": "invalid_argument: at most " + str(MAX_RATES_PER_CALL) + " rates per call"}
    for entry in rates:
        for asset in (entry["base_asset"], entry["quote_asset"]):
            problem = _asset_problem(asset)
            if problem != "":
                return {"Err": "invalid_argument: " + problem}
        if entry["rate"] == 0:
            return {"Err": "invalid_argument: rate must be positive"}
        if asset_key(entry["base_asset"]) == asset_key(entry["quote_asset"]):
            return {"Err": "invalid_argument: base and quote must differ"}
    for entry in rates:
        store_rate(
            asset_key(entry["base_asset"]),
            asset_key(entry["quote_asset"]),
            entry["rate"],
            entry["timestamp"],
        )
    return {"Ok": len(rates)}


@update
def add_admin(admin: Principal) -> XrcAdminResult:
    if not _is_admin():
        return {"Err": "forbidden: only admins add admins"}
    xrc_admins.insert(admin.to_str(), ic.time())
    return {"Ok": xrc_admins.len()}


@query
def is_admin(principal: Principal) -> bool:
    return xrc_admins.contains_key(principal.to_str())


def _not_found(missing: str, base_is_crypto: bool, quote_is_crypto: bool) -> dict:
    """The XRC error naming the side that has no rate."""
    if missing == "both" and not base_is_crypto and not quote_is_crypto:
        return {"ForexAssetsNotFound": None}
    if missing in ("base", "both"):
        if base_is_crypto:
            return {"CryptoBaseAssetNotFound": None}
        return {"ForexBaseAssetNotFound": None}
    if quote_is_crypto:
        return {"CryptoQuoteAssetNotFound": None}
    return {"ForexQuoteAssetNotFound": None}


def _metadata(base_is_crypto: bool, quote_is_crypto: bool, timestamp: int) -> dict:
    forex = not base_is_crypto or not quote_is_crypto
    return {
        "decimals": RATE_DECIMALS,
        "base_asset_num_queried_sources": 1,
        "base_asset_num_received_rates": 1,
        "quote_asset_num_queried_sources": 1,
        "quote_asset_num_received_rates": 1,
        "standard_deviation": 0,
        "forex_timestamp": timestamp if forex else None,
    }


def _charge(amount: int) -> bool:
    return ic.msg_cycles_accept(amount) == amount


@update
def get_exchange_rate(args: GetExchangeRateRequest) -> GetExchangeRateResult:
    """The XRC endpoint: rate of base_asset in quote_asset (9 decimals)."""
    caller = ic.caller()
    if caller.to_str() == Principal.anonymous().to_str():
        return {"Err": {"AnonymousPrincipalNotAllowed": None}}
    if ic.msg_cycles_available() < XRC_REQUEST_CYCLES_COST:
        return {"Err": {"NotEnoughCycles": None}}
    base = args["base_asset"]
    quote = args["quote_asset"]
    base_is_crypto = "Cryptocurrency" in base["class_"]
    quote_is_crypto = "Cryptocurrency" in quote["class_"]
    now_secs = ic.time() // 1_000_000_000
    timestamp = args["timestamp"]
    if timestamp is not None and timestamp > now_secs:
        if not _charge(XRC_MINIMUM_FEE_COST):
            return {"Err": {"FailedToAcceptCycles": None}}
        if base_is_crypto and quote_is_crypto:
            return {"Err": {"Other": {"code": 1, "description": "timestamp is in the future"}}}
        return {"Err": {"ForexInvalidTimestamp": None}}
    minute = None if timestamp is None else minute_of(timestamp)
    found = "both"
    if _asset_problem(base) == "" and _asset_problem(quote) == "":
        found = lookup(asset_key(base), asset_key(quote), minute)
    if isinstance(found, str) or found[0] > MAX_RATE or found[0] == 0:
        if not _charge(XRC_MINIMUM_FEE_COST):
            return {"Err": {"FailedToAcceptCycles": None}}
        if not isinstance(found, str):
            return {"Err": {"Other": {"code": 2, "description": "rate out of range"}}}
        return {"Err": _not_found(found, base_is_crypto, quote_is_crypto)}
    if not _charge(XRC_BASE_CYCLES_COST):
        return {"Err": {"FailedToAcceptCycles": None}}
    stamp = found[1] if found[1] is not None else minute_of(now_secs)
    return {
        "Ok": {
            "base_asset": base,
            "quote_asset": quote,
            "timestamp": stamp,
            "rate": found[0],
            "metadata": _metadata(base_is_crypto, quote_is_crypto, stamp),
        }
    }
