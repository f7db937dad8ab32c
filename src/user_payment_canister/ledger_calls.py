"""Calls to ICRC ledgers, as generators the canister methods `yield` from.

Each helper returns `(value, error_text)`; the error text starts with `ledger_error:` (call
rejected or ledger error) or a more precise code. A call outcome is a CallResult object,
never an exception (KYBRA.md). ICRC-3 blocks are parsed into plain transfer dicts so the
payment checks never trust a client-supplied transaction id.
"""

from kybra import Principal, ic

from src.common.icrc_account import same_subaccount
from src.common.icrc_types import IcrcLedger

RECENT_BLOCK_WINDOW = 100


def call_error(result) -> "str | None":
    """The reject message of a failed inter-canister call, else None."""
    err = getattr(result, "Err", None)
    if err is not None:
        return "ledger_error: ledger call rejected: " + str(err)
    return None


def describe_ledger_error(err: dict) -> str:
    """A readable, stable error text for an ICRC transfer/transfer_from error variant."""
    if "InsufficientFunds" in err:
        return "insufficient_funds: ledger balance is " + str(err["InsufficientFunds"]["balance"])
    if "InsufficientAllowance" in err:
        return "insufficient_allowance: approved allowance is " + str(err["InsufficientAllowance"]["allowance"])
    if "BadFee" in err:
        return "ledger_error: bad fee, the ledger expects " + str(err["BadFee"]["expected_fee"])
    if "GenericError" in err:
        return "ledger_error: " + err["GenericError"]["message"]
    for name in err:
        return "ledger_error: " + name
    return "ledger_error: unknown ledger error"


REJECTED_PREFIX = "ledger_error: ledger call rejected"
TOO_OLD = "ledger_error: TooOld"
UNKNOWN_OUTCOMES = (TOO_OLD, "ledger_error: TemporarilyUnavailable")


def outcome_unknown(err: str) -> bool:
    """True if a transfer error does not prove the transfer was not applied: the call was
    rejected (the ledger may have run it), or the ledger could not check for a duplicate."""
    return err.startswith(REJECTED_PREFIX) or err in UNKNOWN_OUTCOMES


def balance_of(ledger: Principal, owner: Principal, subaccount: "bytes | None"):
    result = yield IcrcLedger(ledger).icrc1_balance_of({"owner": owner, "subaccount": subaccount})
    err = call_error(result)
    if err is not None:
        return (0, err)
    return (result.Ok, None)


def block_or_error(result):
    """(block index, None) or (None, error text) from a transfer's CallResult; a Duplicate
    answer means an earlier identical transfer went through, so it counts as success with
    that block."""
    err = call_error(result)
    if err is not None:
        return (None, err)
    outcome = result.Ok
    if "Ok" in outcome:
        return (outcome["Ok"], None)
    if "Duplicate" in outcome["Err"]:
        return (outcome["Err"]["Duplicate"]["duplicate_of"], None)
    return (None, describe_ledger_error(outcome["Err"]))


def transfer(
    ledger: Principal, from_subaccount: "bytes | None", to: dict, amount: int, fee: int, memo: bytes, created_at: int
):
    """icrc1_transfer from this canister; a Duplicate answer means an earlier identical
    transfer went through, so it counts as success with that block."""
    args = {
        "from_subaccount": from_subaccount,
        "to": to,
        "amount": amount,
        "fee": fee,
        "memo": memo,
        "created_at_time": created_at,
    }
    result = yield IcrcLedger(ledger).icrc1_transfer(args)
    return block_or_error(result)


def transfer_from(ledger: Principal, payer: dict, to: dict, amount: int, memo: bytes, created_at: int):
    """icrc2_transfer_from the payer's account (the payer approved this canister)."""
    args = {
        "spender_subaccount": None,
        "from_": payer,
        "to": to,
        "amount": amount,
        "fee": None,
        "memo": memo,
        "created_at_time": created_at,
    }
    result = yield IcrcLedger(ledger).icrc2_transfer_from(args)
    return block_or_error(result)


def token_metadata(ledger: Principal):
    """(symbol, name, decimals, fee) read from the ledger itself."""
    svc = IcrcLedger(ledger)
    symbol = yield svc.icrc1_symbol()
    err = call_error(symbol)
    if err is not None:
        return (None, err)
    name = yield svc.icrc1_name()
    err = call_error(name)
    if err is not None:
        return (None, err)
    decimals = yield svc.icrc1_decimals()
    err = call_error(decimals)
    if err is not None:
        return (None, err)
    fee = yield svc.icrc1_fee()
    err = call_error(fee)
    if err is not None:
        return (None, err)
    return ({"symbol": symbol.Ok, "name": name.Ok, "decimals": decimals.Ok, "fee": fee.Ok}, None)


def value_map(value) -> dict:
    """An ICRC-3 Map value as a Python dict (empty for anything else)."""
    result = {}
    if isinstance(value, dict) and "Map" in value:
        for entry in value["Map"]:
            result[entry[0]] = entry[1]
    return result


def value_nat(value) -> "int | None":
    if isinstance(value, dict) and "Nat" in value:
        return value["Nat"]
    return None


def value_account(value) -> "dict | None":
    """An ICRC-3 account (Array of owner blob and optional subaccount blob)."""
    if not isinstance(value, dict) or "Array" not in value:
        return None
    parts = value["Array"]
    if len(parts) < 1 or "Blob" not in parts[0]:
        return None
    sub = None
    if len(parts) > 1 and "Blob" in parts[1]:
        sub = parts[1]["Blob"]
    return {"owner": Principal(parts[0]["Blob"]), "subaccount": sub}


def block_time(block) -> "int | None":
    """The ledger's timestamp of an ICRC-3 block (its top-level `ts`)."""
    return value_nat(value_map(block).get("ts"))


def parse_transfer(block) -> "dict | None":
    """{from, to, amount, memo} for a transfer block (legacy `op = xfer` or btype 1xfer/2xfer)."""
    top = value_map(block)
    tx = value_map(top.get("tx"))
    op = tx.get("op")
    btype = top.get("btype")
    is_xfer = (isinstance(op, dict) and op.get("Text") == "xfer") or (
        isinstance(btype, dict) and btype.get("Text") in ("1xfer", "2xfer")
    )
    if not is_xfer:
        return None
    sender = value_account(tx.get("from"))
    receiver = value_account(tx.get("to"))
    amount = value_nat(tx.get("amt"))
    if sender is None or receiver is None or amount is None:
        return None
    memo = tx.get("memo")
    memo = memo["Blob"] if isinstance(memo, dict) and "Blob" in memo else None
    return {"from": sender, "to": receiver, "amount": amount, "memo": memo}


def is_to_subaccount(transfer_info: dict, subaccount: bytes) -> bool:
    to = transfer_info["to"]
    return to["owner"].to_str() == ic.id().to_str() and same_subaccount(to["subaccount"], subaccount)


def get_blocks(ledger: Principal, start: int, length: int):
    result = yield IcrcLedger(ledger).icrc3_get_blocks([{"start": start, "length": length}])
    err = call_error(result)
    if err is not None:
        return (None, err)
    return (result.Ok, None)


def find_transfers_to(ledger: Principal, subaccount: bytes, hint: "int | None"):
    """((transfers, log_length), None): the transfers into this canister's `subaccount` as
    (block index, transfer with its block's `time`) in ascending block order, and the
    ledger's log length.

    The hint (a client-supplied block index) only adds that block if it really is such a
    transfer (so older payments can be found); the last RECENT_BLOCK_WINDOW blocks are
    always searched too, so a caller cannot hide other senders' transfers behind a hint.
    """
    found = {}
    if hint is not None:
        page, err = yield get_blocks(ledger, hint, 1)
        if err is not None:
            return (([], 0), err)
        for item in page["blocks"]:
            info = parse_transfer(item["block"])
            if item["id"] == hint and info is not None and is_to_subaccount(info, subaccount):
                info["time"] = block_time(item["block"])
                found[item["id"]] = info
    else:
        page, err = yield get_blocks(ledger, 0, 0)
        if err is not None:
            return (([], 0), err)
    log_length = page["log_length"]
    start = log_length - RECENT_BLOCK_WINDOW if log_length > RECENT_BLOCK_WINDOW else 0
    page, err = yield get_blocks(ledger, start, log_length - start)
    if err is None:
        for item in page["blocks"]:
            info = parse_transfer(item["block"])
            if info is not None and is_to_subaccount(info, subaccount):
                info["time"] = block_time(item["block"])
                found[item["id"]] = info
    return (([(index, found[index]) for index in sorted(found.keys())], log_length), err)
