"""Time-ordered work queues by `kind` (verification pruning, pre-authorization expiry,
interrupted one-click charges), all in `expiry_index_map` and all run by minute_slots.py.

Per kind (counter families `xq:` in counter_keys.py): `xq:<kind>:cursor` is the next minute
to drain, `xq:<kind>:pos` how many entries of that minute are taken, and `xq:<kind>:<minute>`
how many were filed there; entries are `<kind>:<minute>:<n> -> id` in `expiry_index_map`."""

from kybra import ic

from src.user_payment_canister.counter_keys import due_cursor_key, due_position_key, due_slot_key
from src.user_payment_canister.minute_slots import MinuteSlots
from src.user_payment_canister.service_store import expiry_index_map

MAX_MINUTE_PROBES = 1440
MESSAGE_MINUTE_PROBES = 120


def entry_key_of(kind: str):
    def entry_key(minute: int, n: int) -> str:
        return kind + ":" + str(minute) + ":" + str(n)

    return entry_key


def slot_key_of(kind: str):
    def slot_key(minute: int) -> str:
        return due_slot_key(kind, minute)

    return slot_key


def queue(kind: str) -> MinuteSlots:
    return MinuteSlots(
        expiry_index_map, entry_key_of(kind), slot_key_of(kind), due_cursor_key(kind), due_position_key(kind)
    )


def file_due(kind: str, due_at: int, item_id: str) -> None:
    """Queue `item_id` to be taken once the time passes `due_at` (ns)."""
    queue(kind).file(due_at, item_id, ic.time())


def take_due_items(kind: str, now: int, budget: int, max_probes: int = MAX_MINUTE_PROBES) -> list:
    """Remove and return up to `budget` item ids that are due, oldest minute first; at most
    `max_probes` minutes are visited per call (a long idle gap is caught up over several
    calls: the maintenance timer visits a day of minutes per tick)."""
    items = []

    def keep(item: str) -> bool:
        items.append(item)
        return True

    queue(kind).take(now, budget, max_probes, keep)
    return items
