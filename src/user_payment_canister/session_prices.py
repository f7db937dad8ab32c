"""Multi-token checkout sessions (Stripe's multi-currency presentment): when the merchant
accepts several tokens, a session gets one price per accepted token, computed once at
creation from the factory's USD rates and stored in the session (`price_options`, the
session's own token first). The customer pays any one of them; the session completes once,
in the token actually paid. Without rates (no factory, or it has none for the tokens) or with
one accepted token the field stays null and the session is priced in its own token only, as
before. A rate the factory has but older than MAX_RATE_AGE_SECONDS refuses the session
(`stale_rate`), and a price option is paid by ICRC-2 only while its quote is that young.

Amounts are integers in each token's base units: the rates (floats from the factory) become
exact fractions, and the conversion rounds up, so the merchant never receives less than the
price in its own token is worth."""

from kybra import ic

from src.user_payment_canister.factory_link import MAX_RATE_AGE_SECONDS, rate_problem, stale_rates, usd_rates
from src.user_payment_canister.ledger_calls import balance_of
from src.user_payment_canister.merchant_store import copy_record, sessions_map, tokens_map
from src.user_payment_canister.token_prefs import pairs_to_dict, preferences, rate_for

MAX_PRICE_OPTIONS = 8
NAT64_MAX = 2**64 - 1


def convert_up(amount: int, from_decimals: int, from_rate: float, to_decimals: int, to_rate: float) -> int:
    """ceil(amount * from_rate / to_rate * 10^(to_decimals - from_decimals)) in integers."""
    from_num, from_den = from_rate.as_integer_ratio()
    to_num, to_den = to_rate.as_integer_ratio()
    numerator = amount * from_num * to_den * 10**to_decimals
    denominator = from_den * to_num * 10**from_decimals
    return -(-numerator // denominator)


def option_of(token: dict, amount: int, rate: float) -> dict:
    return {
        "token": token["symbol"],
        "ledger_canister_id": token["ledger_canister_id"],
        "amount": amount,
        "decimals": token["decimals"],
        "usd_rate": rate,
        "amount_received": 0,
    }


def rank(prefs: dict, symbol: str) -> tuple:
    """Merchant order: higher priority first, then preferred tokens, then by symbol."""
    priority = pairs_to_dict(prefs["token_priorities"]).get(symbol, 0)
    preferred = 0 if symbol in prefs["preferred_tokens"] else 1
    return (-priority, preferred, symbol)


def other_tokens(token: dict, modal: "dict | None") -> list:
    """The other tokens a new session in `token` would be priced in (none when the
    merchant's modal turned token choice off)."""
    if modal is not None and not modal["payment_options"]["allow_token_selection"]:
        return []
    accepted = [] if modal is None else modal["payment_options"]["accepted_tokens"]
    out = []
    for other in tokens_map.values():
        symbol = other["symbol"]
        if symbol == token["symbol"] or not other["enabled"] or not other["verified"]:
            continue
        if len(accepted) == 0 or symbol in accepted:
            out.append(other)
    return out


def stale_rate_error(symbols: list) -> "str | None":
    """`stale_rate: ...` for the first symbol whose factory rate the last usd_rates() refused."""
    for symbol in symbols:
        for key in (symbol, symbol.upper(), symbol + "/USD", symbol.upper() + "/USD"):
            if key in stale_rates:
                return rate_problem(key)
    return None


def price_options(token: dict, amount: int, modal: "dict | None", rates: dict) -> "list | None":
    """The options of a new session priced at `amount` of `token`, or None when only its own
    token can be offered (no rate for it, or no other accepted token with a rate)."""
    own_rate = rate_for(rates, token["symbol"])
    if own_rate is None:
        return None
    prefs = preferences()
    minimums = pairs_to_dict(prefs["minimum_amounts"])
    others = []
    for other in other_tokens(token, modal):
        symbol = other["symbol"]
        rate = rate_for(rates, symbol)
        if rate is None:
            continue
        converted = convert_up(amount, token["decimals"], own_rate, other["decimals"], rate)
        if converted <= 2 * other["fee"] or converted > NAT64_MAX or converted < minimums.get(symbol, 0):
            continue
        others.append(option_of(other, converted, rate))
    if len(others) == 0:
        return None
    others.sort(key=lambda o: rank(prefs, o["token"]))
    return [option_of(token, amount, own_rate)] + others[: MAX_PRICE_OPTIONS - 1]


def options_for_new_session(token: dict, amount: int, modal: "dict | None"):
    """Generator: (price options or None, None), or (None, `stale_rate` error) when the
    factory's rate of the session's token or of a token it would be offered in is older than
    the bound. Asks the factory for its rates only when another token could be offered; a
    factory that is unset or down means no options."""
    others = other_tokens(token, modal)
    if len(others) == 0:
        return (None, None)
    rates = yield usd_rates()
    err = stale_rate_error([token["symbol"]] + [o["symbol"] for o in others])
    if err is not None:
        return (None, err)
    return (price_options(token, amount, modal, rates), None)


def quote_error(session: dict, option: dict) -> "str | None":
    """`stale_rate` when `option` (another token than the session's own) was priced from
    rates read more than MAX_RATE_AGE_SECONDS ago (at the session's creation)."""
    if is_primary(session, option):
        return None
    age = (ic.time() - session["created_at"]) // 1_000_000_000
    if age <= MAX_RATE_AGE_SECONDS:
        return None
    return (
        "stale_rate: the "
        + option["token"]
        + " price of session "
        + session["session_id"]
        + " was set from USD rates "
        + str(age)
        + " s ago, over the "
        + str(MAX_RATE_AGE_SECONDS)
        + " s bound: pay in "
        + options_of(session)[0]["token"]
        + " or create a new session"
    )


def options_of(session: dict) -> list:
    """The session's options; a single-token session has exactly its own (first = the
    token it was created in)."""
    stored = session.get("price_options")
    if stored is not None and len(stored) > 0:
        return stored
    return [
        {
            "token": session["currency_token"],
            "ledger_canister_id": session["ledger_canister_id"],
            "amount": session["amount"],
            "decimals": 0,
            "usd_rate": 0.0,
            "amount_received": session["amount_received"],
        }
    ]


def option_for(session: dict, symbol: str) -> "tuple":
    """(option, None) for `symbol` ("" = the session's own token), else (None, error)."""
    options = options_of(session)
    if symbol == "":
        return (options[0], None)
    for option in options:
        if option["token"] == symbol:
            return (option, None)
    offered = ", ".join([o["token"] for o in options])
    return (
        None,
        "unsupported_token: session " + session["session_id"] + " can be paid in " + offered + ", not " + symbol,
    )


def option_index(session: dict, symbol: str) -> int:
    options = options_of(session)
    for index in range(len(options)):
        if options[index]["token"] == symbol:
            return index
    return 0


def is_primary(session: dict, option: dict) -> bool:
    return options_of(session)[0]["token"] == option["token"]


def priced_in(session: dict, option: dict) -> dict:
    """The session as paid in `option`: its token, ledger and amount become the option's,
    so the payment record, books and counters name the token actually paid."""
    updated = copy_record(session)
    updated["currency_token"] = option["token"]
    updated["ledger_canister_id"] = option["ledger_canister_id"]
    updated["amount"] = option["amount"]
    return updated


def note_received(session_id: str, balances: dict) -> None:
    """Show underpayments ({symbol: balance} of the ledgers read) on the open session."""
    session = sessions_map.get(session_id)
    if session is None:
        return
    updated = copy_record(session)
    stored = session.get("price_options")
    if session["currency_token"] in balances:
        updated["amount_received"] = balances[session["currency_token"]]
    if stored is not None:
        options = []
        for option in stored:
            copy = copy_record(option)
            if option["token"] in balances:
                copy["amount_received"] = balances[option["token"]]
            options.append(copy)
        updated["price_options"] = options
    sessions_map.insert(session_id, updated)


def option_suffix(session: dict, option: dict) -> str:
    """Key suffix of per-ledger bookkeeping: none for the session's own token (the keys
    single-token sessions always used), ":SYMBOL" for another option's ledger."""
    return "" if is_primary(session, option) else ":" + option["token"]


def paid_option(session: dict, candidates: list):
    """Generator: (option, balance, None) for the first candidate whose ledger shows the
    session subaccount holding at least its amount; else (None, 0, error) after noting
    the amounts received so far (an underpayment in one token does not add up with another)."""
    balances = {}
    first_err = None
    for option in candidates:
        balance, err = yield balance_of(option["ledger_canister_id"], ic.id(), session["payment_subaccount"])
        if err is not None:
            first_err = err if first_err is None else first_err
            continue
        balances[option["token"]] = balance
        if balance >= option["amount"]:
            return (option, balance, None)
    if len(balances) == 0:
        return (None, 0, first_err)
    note_received(session["session_id"], balances)
    parts = []
    for option in candidates:
        if option["token"] in balances:
            suffix = "" if len(candidates) == 1 else " " + option["token"]
            parts.append(str(balances[option["token"]]) + " of " + str(option["amount"]) + suffix)
    return (None, 0, "insufficient_payment: session " + session["session_id"] + " has received " + ", ".join(parts))
