"""The one time-ordered work queue of the merchant canister: items are filed under the UTC
minute after their due time and taken in minute order under a work budget, so session
expiry, webhook retries, verification pruning, pre-authorization expiry and interrupted
one-click charges never walk a map.

A queue is an entry map (`entry_key(minute, n) -> value`) plus counters in
merchant_store's `counters_map` (families in counter_keys.py): the next minute to drain
(`cursor_key`), how many entries of that minute are taken (`position_key`) and how many were
filed in each minute (`slot_key(minute)`). An item is filed at least one minute after its
due time and never before the cursor, so it is only taken once due. Takers re-check the
item itself (it may have been resolved or re-filed meanwhile).

The queues keep the maps and key layouts they had before they shared this code (stable
memory: pending entries stay where they are). `minute_shift` is 1 for session expiry,
whose minutes are numbered by the due minute itself rather than the minute after it."""

from src.common.message_budget import budget_left
from src.user_payment_canister.merchant_store import bump, clear_counter, counter, set_counter

MINUTE_NS = 60 * 1_000_000_000


class MinuteSlots:
    """One queue: where its entries and counters live (see the module docstring)."""

    def __init__(self, entries, entry_key, slot_key, cursor_key: str, position_key: str, minute_shift: int = 0):
        self.entries = entries
        self.entry_key = entry_key
        self.slot_key = slot_key
        self.cursor_key = cursor_key
        self.position_key = position_key
        self.minute_shift = minute_shift

    def start(self, now: int) -> int:
        """The cursor, set to the current minute the first time the queue is used."""
        cursor = counter(self.cursor_key)
        if cursor == 0:
            cursor = now // MINUTE_NS
            set_counter(self.cursor_key, cursor)
        return cursor

    def file(self, due_at: int, value: str, now: int) -> None:
        """Queue `value` to be taken once the minute after `due_at` (ns) has begun."""
        cursor = self.start(now)
        minute = max(due_at // MINUTE_NS + 1 - self.minute_shift, cursor)
        n = bump(self.slot_key(minute))
        self.entries.insert(self.entry_key(minute, n), value)

    def take(self, now: int, budget: int, max_probes: int, handle) -> "tuple":
        """Remove due entries oldest minute first and pass each value to `handle(value)`,
        which acts on it and returns whether it counts against `budget`. At most
        `max_probes` minutes are visited per call (a long idle gap is caught up over several
        calls). Returns (entries counted, True when it stopped for the message's instruction
        budget: the caller continues in a new message)."""
        cursor = counter(self.cursor_key)
        if cursor == 0:
            return (0, False)
        position = counter(self.position_key)
        last_minute = now // MINUTE_NS - self.minute_shift
        done = 0
        probes = 0
        stopped = False
        while cursor <= last_minute and done < budget and probes < max_probes and not stopped:
            total = counter(self.slot_key(cursor))
            while position < total and done < budget:
                if not budget_left():
                    stopped = True
                    break
                position += 1
                value = self.entries.remove(self.entry_key(cursor, position))
                if value is not None and handle(value):
                    done += 1
            if position >= total:
                if total > 0:
                    clear_counter(self.slot_key(cursor))
                cursor += 1
                position = 0
            probes += 1
            if not stopped and not budget_left():
                stopped = True
        set_counter(self.cursor_key, cursor)
        set_counter(self.position_key, position)
        return (done, stopped)
