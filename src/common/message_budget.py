"""The instruction budget of one message, for batch work.

The IC traps a message that goes over its instruction limit (40 B for an update or a timer)
and rolls back everything it did, its cursor included: a batch too big for one message then
fails the same way at every run and its work never gets done. Every batch loop asks
`budget_left()` before each item and stops early; it saves its cursor as usual and the next
message (the next timer run, a zero-delay follow-up timer, or the next call) resumes there.

BATCH_INSTRUCTIONS is half the update limit: the item in progress (one session expiry with
ten webhooks is about 0.2 B), the work after the loop, the reply and the commit fit in the
other half with a wide margin. `ic.performance_counter(0)` counts the current message
execution only (it restarts after each `yield`)."""

from kybra import ic

UPDATE_LIMIT = 40_000_000_000
BATCH_INSTRUCTIONS = UPDATE_LIMIT // 2


def budget_left(limit: int = BATCH_INSTRUCTIONS) -> bool:
    """True while this message has used less than `limit` instructions."""
    return ic.performance_counter(0) < limit
