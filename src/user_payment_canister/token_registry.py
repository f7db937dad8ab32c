"""Accepted tokens: one ICRC ledger per symbol. Fee, decimals, symbol and name are read from
the ledger itself when a token is added (and re-read by refresh), never typed in by hand.
Tokens given at install time cannot be read during init (no calls there), so a timer
verifies them right after install."""

from kybra import Async, Principal, Vec, ic, query, text, update

from src.common.message_budget import budget_left
from src.common.validation import check_symbol
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.ledger_calls import token_metadata
from src.user_payment_canister.merchant_store import books_map, copy_record, tokens_map
from src.user_payment_canister.merchant_types import MerchantUnitResult, TokenConfig, TokenConfigResult

MAX_TOKENS = 20


def register_unverified(symbol: str, ledger: Principal) -> None:
    """Record a token from the init argument; `verify_pending_tokens` fills in its metadata."""
    tokens_map.insert(
        symbol,
        {
            "symbol": symbol,
            "ledger_canister_id": ledger,
            "name": symbol,
            "fee": 0,
            "decimals": 0,
            "enabled": True,
            "verified": False,
            "added_at": ic.time(),
        },
    )
    ensure_book(symbol)


def ensure_book(symbol: str) -> None:
    if not books_map.contains_key(symbol):
        books_map.insert(
            symbol, {"symbol": symbol, "received": 0, "refunded": 0, "paid_out": 0, "fees": 0, "pending": 0}
        )


def token_for_payment(symbol: str) -> "tuple":
    """(token, None) for an enabled, verified token, else (None, error)."""
    err = check_symbol("currency_token", symbol)
    if err is not None:
        return (None, err)
    token = tokens_map.get(symbol)
    if token is None:
        return (None, "unsupported_token: " + symbol + " is not accepted by this merchant")
    if not token["enabled"]:
        return (None, "unsupported_token: " + symbol + " is disabled")
    if not token["verified"]:
        return (
            None,
            "unsupported_token: " + symbol + " has not been verified with its ledger yet (call refresh_token)",
        )
    return (token, None)


def refresh_from_ledger(symbol: str):
    """Re-read the token's metadata from its ledger; the ledger's symbol must match."""
    token = tokens_map.get(symbol)
    if token is None:
        return (None, "not_found: token " + symbol + " is not configured")
    meta, err = yield token_metadata(token["ledger_canister_id"])
    if err is not None:
        return (None, err)
    if meta["symbol"] != symbol:
        return (None, "conflict: ledger reports symbol " + meta["symbol"] + ", configured as " + symbol)
    updated = copy_record(token)
    updated["name"] = meta["name"][:64]
    updated["fee"] = meta["fee"]
    updated["decimals"] = meta["decimals"]
    updated["verified"] = True
    tokens_map.insert(symbol, updated)
    return (updated, None)


def verify_pending_tokens():
    """Timer callback after install: verify the init tokens with their ledgers."""
    for token in tokens_map.values():
        if not budget_left():
            break  # refresh_token_metadata verifies the rest
        if not token["verified"]:
            _, err = yield refresh_from_ledger(token["symbol"])
            if err is not None:
                ic.print("token " + token["symbol"] + " not verified: " + err)


@update
def add_token(ledger: Principal) -> Async[TokenConfigResult]:
    err = require_owner("add tokens")
    if err is not None:
        return {"Err": err}
    if tokens_map.len() >= MAX_TOKENS:
        return {"Err": "limit_exceeded: at most " + str(MAX_TOKENS) + " tokens"}
    meta, err = yield token_metadata(ledger)
    if err is not None:
        return {"Err": err}
    symbol = meta["symbol"]
    err = check_symbol("ledger symbol", symbol)
    if err is not None:
        return {"Err": err}
    if tokens_map.contains_key(symbol):
        return {"Err": "already_exists: token " + symbol + " is already configured"}
    token = {
        "symbol": symbol,
        "ledger_canister_id": ledger,
        "name": meta["name"][:64],
        "fee": meta["fee"],
        "decimals": meta["decimals"],
        "enabled": True,
        "verified": True,
        "added_at": ic.time(),
    }
    tokens_map.insert(symbol, token)
    ensure_book(symbol)
    return {"Ok": token}


@update
def refresh_token(symbol: text) -> Async[TokenConfigResult]:
    err = require_staff("refresh tokens") or check_symbol("symbol", symbol)
    if err is not None:
        return {"Err": err}
    token, err = yield refresh_from_ledger(symbol)
    if err is not None:
        return {"Err": err}
    return {"Ok": token}


@update
def set_token_enabled(symbol: text, enabled: bool) -> MerchantUnitResult:
    err = require_owner("enable or disable tokens") or check_symbol("symbol", symbol)
    if err is not None:
        return {"Err": err}
    token = tokens_map.get(symbol)
    if token is None:
        return {"Err": "not_found: token " + symbol + " is not configured"}
    updated = copy_record(token)
    updated["enabled"] = enabled
    tokens_map.insert(symbol, updated)
    return {"Ok": None}


@query
def get_accepted_tokens() -> Vec[TokenConfig]:
    return tokens_map.values()
