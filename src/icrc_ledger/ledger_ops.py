"""ICRC-1 transfer, ICRC-2 approve and transfer_from: every rule of the standards,
answered with the standard error variants (GenericError where they have none),
never a trap. Each operation is a constant number of O(log n) map operations."""

from kybra import ic

from src.icrc_ledger.ledger_accounts import (
    account_key,
    account_problem,
    account_value_parts,
    balance_of,
    current_allowance,
    same_account,
    set_allowance,
    set_balance,
)
from src.icrc_ledger.ledger_blocks import append_block
from src.icrc_ledger.ledger_dedup import (
    check_time,
    find_duplicate,
    prune,
    remember,
    tx_hash,
)
from src.icrc_ledger.ledger_store import get_config, get_counter, set_counter

MAX_MEMO_BYTES = 32
ERR_BAD_MEMO = 1
ERR_BAD_ACCOUNT = 2
ERR_BAD_REQUEST = 3
ERR_MINTING_ACCOUNT = 4


def generic_error(code: int, message: str) -> dict:
    return {"GenericError": {"error_code": code, "message": message}}


def _new_block(btype: str, now: int, amount: int) -> dict:
    return {
        "btype": btype,
        "ts": now,
        "phash": None,
        "fee": None,
        "amt": amount,
        "from_account": None,
        "to_account": None,
        "spender": None,
        "tx_fee": None,
        "memo": None,
        "created_at_time": None,
        "expected_allowance": None,
        "expires_at": None,
    }


def _opt_fields(args: dict, names: list) -> list:
    """The optional request fields as (name, Value) pairs for the dedup hash."""
    out = []
    for name in names:
        value = args[name]
        if value is None:
            continue
        if isinstance(value, (bytes, bytearray)):
            out.append((name, {"Blob": bytes(value)}))
        else:
            out.append((name, {"Nat": value}))
    return out


def _acct_field(name: str, account) -> tuple:
    items = []
    for part in account_value_parts(account):
        items.append({"Blob": part})
    return (name, {"Array": items})


def _common_checks(args: dict, accounts: list):
    """Memo length and account shape: GenericError, as the standard has no variant."""
    memo = args["memo"]
    if memo is not None and len(memo) > MAX_MEMO_BYTES:
        return generic_error(
            ERR_BAD_MEMO,
            "memo is " + str(len(memo)) + " bytes; the maximum is " + str(MAX_MEMO_BYTES),
        )
    for account in accounts:
        problem = account_problem(account)
        if problem != "":
            return generic_error(ERR_BAD_ACCOUNT, "invalid account: " + problem)
    return None


def _dedup(kind: str, caller_account, fields: list, created_at_time, now: int):
    """(error, digest): TooOld / CreatedInFuture / Duplicate, or the digest to remember."""
    time_error = check_time(created_at_time, now)
    if time_error is not None:
        return (time_error, None)
    if created_at_time is None:
        return (None, None)
    digest = tx_hash(kind, account_value_parts(caller_account), fields)
    duplicate = find_duplicate(digest)
    if duplicate is not None:
        return ({"Duplicate": {"duplicate_of": duplicate}}, None)
    return (None, digest)


def _finish(block: dict, digest, now: int) -> int:
    index = append_block(block)
    if digest is not None:
        remember(digest, index, now)
    prune(now)
    return index


def _credit(key: str, amount: int) -> None:
    set_balance(key, balance_of(key) + amount)


def _move_supply(delta: int) -> None:
    set_counter("total_supply", get_counter("total_supply") + delta)


def _fee_for(args: dict, expected: int):
    """BadFee error when the caller named a fee other than `expected`."""
    if args["fee"] is not None and args["fee"] != expected:
        return {"BadFee": {"expected_fee": expected}}
    return None


def transfer(caller, args: dict) -> dict:
    """icrc1_transfer: mint from the minting account, burn to it, else a fee-paying transfer."""
    config = get_config()
    now = ic.time()
    source = {"owner": caller, "subaccount": args["from_subaccount"]}
    target = args["to"]
    error = _common_checks(args, [source, target])
    if error is not None:
        return {"Err": error}
    minting = config["minting_account"]
    is_mint = same_account(source, minting)
    is_burn = same_account(target, minting)
    if is_mint and is_burn:
        return {"Err": generic_error(ERR_MINTING_ACCOUNT, "the minting account cannot transfer to itself")}
    fee = 0 if (is_mint or is_burn) else config["fee"]
    error = _fee_for(args, fee)
    if error is not None:
        return {"Err": error}
    if is_burn and args["amount"] < config["fee"]:
        return {"Err": {"BadBurn": {"min_burn_amount": config["fee"]}}}
    fields = [_acct_field("to", target), ("amount", {"Nat": args["amount"]})]
    fields.extend(_opt_fields(args, ["from_subaccount", "fee", "memo", "created_at_time"]))
    error, digest = _dedup("icrc1_transfer", source, fields, args["created_at_time"], now)
    if error is not None:
        return {"Err": error}
    source_key = account_key(source)
    if not is_mint:
        balance = balance_of(source_key)
        if balance < args["amount"] + fee:
            return {"Err": {"InsufficientFunds": {"balance": balance}}}
        set_balance(source_key, balance - args["amount"] - fee)
    if not is_burn:
        _credit(account_key(target), args["amount"])
    if is_mint:
        _move_supply(args["amount"])
        block = _new_block("1mint", now, args["amount"])
        block["to_account"] = account_value_parts(target)
    elif is_burn:
        _move_supply(-args["amount"])
        block = _new_block("1burn", now, args["amount"])
        block["from_account"] = account_value_parts(source)
    else:
        _move_supply(-fee)
        block = _new_block("1xfer", now, args["amount"])
        block["from_account"] = account_value_parts(source)
        block["to_account"] = account_value_parts(target)
        _set_block_fee(block, args, fee)
    block["memo"] = args["memo"]
    block["created_at_time"] = args["created_at_time"]
    return {"Ok": _finish(block, digest, now)}


def _set_block_fee(block: dict, args: dict, fee: int) -> None:
    """tx.fee when the user named the fee, else the ledger-level fee field."""
    if args["fee"] is not None:
        block["tx_fee"] = args["fee"]
    else:
        block["fee"] = fee


def approve(caller, args: dict) -> dict:
    """icrc2_approve: the approver pays the fee; expected_allowance and expires_at enforced."""
    config = get_config()
    now = ic.time()
    source = {"owner": caller, "subaccount": args["from_subaccount"]}
    spender = args["spender"]
    error = _common_checks(args, [source, spender])
    if error is not None:
        return {"Err": error}
    if same_account(source, config["minting_account"]):
        return {"Err": generic_error(ERR_MINTING_ACCOUNT, "the minting account cannot approve")}
    if spender["owner"].to_str() == caller.to_str():
        return {"Err": generic_error(ERR_BAD_REQUEST, "the spender must not be the approver")}
    fee = config["fee"]
    error = _fee_for(args, fee)
    if error is not None:
        return {"Err": error}
    if args["expires_at"] is not None and args["expires_at"] <= now:
        return {"Err": {"Expired": {"ledger_time": now}}}
    fields = [_acct_field("spender", spender), ("amount", {"Nat": args["amount"]})]
    fields.extend(
        _opt_fields(
            args,
            ["from_subaccount", "expected_allowance", "expires_at", "fee", "memo", "created_at_time"],
        )
    )
    error, digest = _dedup("icrc2_approve", source, fields, args["created_at_time"], now)
    if error is not None:
        return {"Err": error}
    source_key = account_key(source)
    spender_key = account_key(spender)
    current = current_allowance(source_key, spender_key, now)[0]
    if args["expected_allowance"] is not None and args["expected_allowance"] != current:
        return {"Err": {"AllowanceChanged": {"current_allowance": current}}}
    balance = balance_of(source_key)
    if balance < fee:
        return {"Err": {"InsufficientFunds": {"balance": balance}}}
    set_balance(source_key, balance - fee)
    _move_supply(-fee)
    set_allowance(source_key, spender_key, args["amount"], args["expires_at"])
    block = _new_block("2approve", now, args["amount"])
    block["from_account"] = account_value_parts(source)
    block["spender"] = account_value_parts(spender)
    block["expected_allowance"] = args["expected_allowance"]
    block["expires_at"] = args["expires_at"]
    block["memo"] = args["memo"]
    block["created_at_time"] = args["created_at_time"]
    _set_block_fee(block, args, fee)
    return {"Ok": _finish(block, digest, now)}


def transfer_from(caller, args: dict) -> dict:
    """icrc2_transfer_from: spends amount + fee of the (from, spender) allowance; burns
    when `to` is the minting account (no fee, at least the fee as minimum burn)."""
    config = get_config()
    now = ic.time()
    spender = {"owner": caller, "subaccount": args["spender_subaccount"]}
    source = args["from_"]
    target = args["to"]
    error = _common_checks(args, [spender, source, target])
    if error is not None:
        return {"Err": error}
    minting = config["minting_account"]
    if same_account(source, minting):
        return {"Err": generic_error(ERR_MINTING_ACCOUNT, "the minting account cannot be debited by transfer_from")}
    is_burn = same_account(target, minting)
    fee = 0 if is_burn else config["fee"]
    error = _fee_for(args, fee)
    if error is not None:
        return {"Err": error}
    if is_burn and args["amount"] < config["fee"]:
        return {"Err": {"BadBurn": {"min_burn_amount": config["fee"]}}}
    fields = [
        _acct_field("from", source),
        _acct_field("to", target),
        ("amount", {"Nat": args["amount"]}),
    ]
    fields.extend(_opt_fields(args, ["spender_subaccount", "fee", "memo", "created_at_time"]))
    error, digest = _dedup("icrc2_transfer_from", spender, fields, args["created_at_time"], now)
    if error is not None:
        return {"Err": error}
    source_key = account_key(source)
    spender_key = account_key(spender)
    needed = args["amount"] + fee
    uses_allowance = source_key != spender_key
    if uses_allowance:
        allowance, expires_at = current_allowance(source_key, spender_key, now)
        if allowance < needed:
            return {"Err": {"InsufficientAllowance": {"allowance": allowance}}}
    balance = balance_of(source_key)
    if balance < needed:
        return {"Err": {"InsufficientFunds": {"balance": balance}}}
    if uses_allowance:
        set_allowance(source_key, spender_key, allowance - needed, expires_at)
    set_balance(source_key, balance - needed)
    if is_burn:
        _move_supply(-args["amount"])
        block = _new_block("1burn", now, args["amount"])
        block["from_account"] = account_value_parts(source)
    else:
        _credit(account_key(target), args["amount"])
        _move_supply(-fee)
        block = _new_block("2xfer", now, args["amount"])
        block["from_account"] = account_value_parts(source)
        block["to_account"] = account_value_parts(target)
        _set_block_fee(block, args, fee)
    block["spender"] = account_value_parts(spender)
    block["memo"] = args["memo"]
    block["created_at_time"] = args["created_at_time"]
    return {"Ok": _finish(block, digest, now)}
