"""The outcome of an interrupted transfer (a refund, a payout, an ICRC-2 charge) once the
ledger can no longer say it.

A replay within the ledger's deduplication window (24 h on ICRC ledgers) gets `Duplicate`
or goes through. After it, the ledger answers `TooOld` and would not know whether the
first transfer happened, so the canister reads the ledger's own log (ICRC-3 blocks). The
ledger stamps each block with its time and accepts a transfer only near its
created_at_time, so a binary search finds the first block that could hold it, and a scan,
LOOKUP_PAGES pages per message with the cursor in stable
memory, either finds the block or reaches blocks stamped after the `TooOld` answer, so
there was no transfer. The journal (ledger_journal.py) settles it
either way; the lookup is filed under the intent's or the session's id."""

from kybra import ic

from src.common.icrc_account import same_subaccount
from src.common.message_budget import budget_left
from src.user_payment_canister.ledger_calls import block_time, get_blocks, parse_transfer
from src.user_payment_canister.merchant_store import copy_record, intent_lookups_map

NS = 1_000_000_000
MARGIN_NS = 10 * 60 * NS  # ledgers refuse created_at_time more than a minute or two ahead of their clock
LOOKUP_PAGE = 100  # blocks asked per call; a ledger may answer fewer
LOOKUP_PAGES = 10  # calls per message, so one message stays far below the instruction limit


def new_lookup(created_at_time: int) -> dict:
    """The search window of a transfer whose replay just got `TooOld`."""
    return {
        "next_block": None,
        "from_ts": max(created_at_time - MARGIN_NS, 0),
        "until_ts": ic.time() + MARGIN_NS,
        "blocks_read": 0,
        "problem": None,
    }


def lookup_step(key: str, ledger, expected: dict, lookup: dict):
    """One bounded step of the search for the transfer `expected` ({from, to, amount, memo}):
    ("found", block), ("absent", None), ("more", None), ("problem", text: the blocks cannot be
    read, e.g. archived) or ("paused", error of a ledger call). The cursor is stored after
    each page, so a trap loses at most one page of work."""
    lookup = copy_record(lookup)
    if lookup["next_block"] is None:
        first, err = yield first_block_at(ledger, lookup["from_ts"])
        if err is not None:
            return ("paused", err)
        lookup["next_block"] = first
        intent_lookups_map.insert(key, lookup)
    for _ in range(LOOKUP_PAGES):
        if not budget_left():
            return ("more", None)  # the cursor is stored: the next step reads on
        page, err = yield get_blocks(ledger, lookup["next_block"], LOOKUP_PAGE)
        if err is not None:
            return ("paused", err)
        blocks = [item for item in page["blocks"] if item["id"] >= lookup["next_block"]]
        if not blocks:
            if lookup["next_block"] < page["log_length"]:
                return (
                    "problem",
                    "the ledger has archived block "
                    + str(lookup["next_block"])
                    + "; look for a transfer with memo "
                    + expected["memo"].hex()
                    + " in its archive",
                )
            return ("absent", None)  # the end of the log: later blocks are stamped after until_ts
        for item in blocks:
            stamped = block_time(item["block"])
            if stamped is not None and stamped > lookup["until_ts"]:
                return ("absent", None)
            if is_the_transfer(expected, item["block"]):
                return ("found", item["id"])
        lookup["next_block"] = blocks[-1]["id"] + 1
        lookup["blocks_read"] = lookup["blocks_read"] + len(blocks)
        intent_lookups_map.insert(key, lookup)
    return ("more", None)


def unsettled(key: str, outcome: str, value, schedule_next) -> bool:
    """Act on a step that did not settle the lookup (True): schedule the next step (a
    function of no arguments), leave a paused one to its owner's timer, or keep the problem
    for the retry's error."""
    if outcome == "more":
        schedule_next()
        return True
    if outcome == "paused":
        ic.print("lookup of " + key + " paused: " + value)
        return True
    if outcome == "problem":
        current = intent_lookups_map.get(key)
        if current is not None:
            current = copy_record(current)
            current["problem"] = value
            intent_lookups_map.insert(key, current)
        return True
    return False


def lookup_status(key: str, what: str) -> str:
    """The `unavailable` error of a retry while `what` is looked up."""
    lookup = intent_lookups_map.get(key)
    if lookup is not None and lookup["problem"] is not None:
        return "unavailable: " + what + " cannot be settled automatically: " + lookup["problem"]
    read = 0 if lookup is None else lookup["blocks_read"]
    return (
        "unavailable: " + what + " is older than the ledger's deduplication window, so its outcome is being "
        "looked up in the ledger's blocks (" + str(read) + " read so far)"
    )


def first_block_at(ledger, from_ts: int):
    """(index, None): the first block stamped at or after from_ts (the log length if none)."""
    page, err = yield get_blocks(ledger, 0, 0)
    if err is not None:
        return (None, err)
    low = 0
    high = page["log_length"]
    while low < high:
        middle = (low + high) // 2
        page, err = yield get_blocks(ledger, middle, 1)
        if err is not None:
            return (None, err)
        if not page["blocks"]:
            return (low, None)  # archived: the scan reports it
        stamped = block_time(page["blocks"][0]["block"])
        if stamped is not None and stamped >= from_ts:
            high = middle
        else:
            low = middle + 1
    return (low, None)


def is_the_transfer(expected: dict, block) -> bool:
    """The block holds the expected transfer: same memo (unique per transfer), sender,
    receiver and amount."""
    info = parse_transfer(block)
    return (
        info is not None
        and info["memo"] == expected["memo"]
        and info["amount"] == expected["amount"]
        and same_account(info["from"], expected["from"])
        and same_account(info["to"], expected["to"])
    )


def same_account(a: dict, b: dict) -> bool:
    return a["owner"].to_str() == b["owner"].to_str() and same_subaccount(a["subaccount"], b["subaccount"])
