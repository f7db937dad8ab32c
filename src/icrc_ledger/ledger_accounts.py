"""Accounts of the ICRC ledger: validation, the text key balances are stored under,
the ICRC-3 Value form, and balance / allowance bookkeeping (each O(log n))."""

from src.icrc_ledger.ledger_store import allowances, balances

SUBACCOUNT_LEN = 32
DEFAULT_SUBACCOUNT = bytes(32)


def account_problem(account) -> str:
    """Why an account is invalid ("" when it is valid)."""
    sub = account["subaccount"]
    if sub is not None and len(sub) != SUBACCOUNT_LEN:
        return "subaccount must be 32 bytes, got " + str(len(sub))
    if len(account["owner"].bytes) > 29:
        return "principal is longer than 29 bytes"
    return ""


def account_key(account) -> str:
    """Text key: default subaccount (absent or zeros) and owner text are the same account."""
    owner = account["owner"].to_str()
    sub = account["subaccount"]
    if sub is None or bytes(sub) == DEFAULT_SUBACCOUNT:
        return owner
    return owner + ":" + bytes(sub).hex()


def same_account(a, b) -> bool:
    return account_key(a) == account_key(b)


def account_value_parts(account) -> list:
    """ICRC-3 Account: owner bytes, then the subaccount bytes when one was given."""
    parts = [account["owner"].bytes]
    if account["subaccount"] is not None:
        parts.append(bytes(account["subaccount"]))
    return parts


def balance_of(key: str) -> int:
    value = balances.get(key)
    return 0 if value is None else value


def set_balance(key: str, value: int) -> None:
    if value == 0:
        balances.remove(key)
    else:
        balances.insert(key, value)


def allowance_key(owner_key: str, spender_key: str) -> str:
    return owner_key + "|" + spender_key


def current_allowance(owner_key: str, spender_key: str, now: int) -> tuple:
    """(allowance, expires_at) with an expired allowance read as (0, None)."""
    entry = allowances.get(allowance_key(owner_key, spender_key))
    if entry is None:
        return (0, None)
    expires_at = entry["expires_at"]
    if expires_at is not None and expires_at <= now:
        return (0, None)
    return (entry["allowance"], expires_at)


def set_allowance(owner_key: str, spender_key: str, amount: int, expires_at) -> None:
    key = allowance_key(owner_key, spender_key)
    if amount == 0:
        allowances.remove(key)
    else:
        allowances.insert(key, {"allowance": amount, "expires_at": expires_at})
