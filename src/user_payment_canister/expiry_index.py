"""Time-ordered work queues without scans: items filed under the UTC minute after their due
time and taken in minute order, a few per message, so pruning expired verifications,
expiring pre-authorizations and resuming interrupted one-click charges never walks a map.

Per queue `kind` (counters in part 1's `counters_map`): `xq:<kind>:cursor` is the next
minute to drain, `xq:<kind>:pos` how many entries of that minute are taken, and
`xq:<kind>:<minute>` how many were filed there; entries are `<kind>:<minute>:<n> -> id` in
`expiry_index_map`. An item is filed at least one minute after its due time and never
before the cursor, so it is only taken once it is due. Takers re-check the item itself
(it may have been revoked, resolved or re-filed meanwhile)."""

from kybra import ic

from src.common.message_budget import budget_left
from src.user_payment_canister.service_store import expiry_index_map
from src.user_payment_canister.merchant_store import bump, clear_counter, counter, set_counter

MINUTE_NS = 60 * 1_000_000_000
MAX_MINUTE_PROBES = 1440
MESSAGE_MINUTE_PROBES = 120


def file_due(kind: str, due_at: int, item_id: str) -> None:
    """Queue `item_id` to be taken once the time passes `due_at` (ns)."""
    cursor = counter("xq:" + kind + ":cursor")
    if cursor == 0:
        cursor = ic.time() // MINUTE_NS
        set_counter("xq:" + kind + ":cursor", cursor)
    slot = max(due_at // MINUTE_NS + 1, cursor)
    n = bump("xq:" + kind + ":" + str(slot))
    expiry_index_map.insert(kind + ":" + str(slot) + ":" + str(n), item_id)


def take_due_items(kind: str, now: int, budget: int, max_probes: int = MAX_MINUTE_PROBES) -> list:
    """Remove and return up to `budget` item ids that are due, oldest minute first; at most
    `max_probes` minutes are visited per call (a long idle gap is caught up over several
    calls: the maintenance timer visits a day of minutes per tick)."""
    items = []
    cursor = counter("xq:" + kind + ":cursor")
    if cursor == 0:
        return items
    position = counter("xq:" + kind + ":pos")
    now_minute = now // MINUTE_NS
    probes = 0
    while cursor <= now_minute and len(items) < budget and probes < max_probes and budget_left():
        total = counter("xq:" + kind + ":" + str(cursor))
        while position < total and len(items) < budget and budget_left():
            position += 1
            item = expiry_index_map.remove(kind + ":" + str(cursor) + ":" + str(position))
            if item is not None:
                items.append(item)
        if position >= total:
            if total > 0:
                clear_counter("xq:" + kind + ":" + str(cursor))
            cursor += 1
            position = 0
        probes += 1
    set_counter("xq:" + kind + ":cursor", cursor)
    set_counter("xq:" + kind + ":pos", position)
    return items
