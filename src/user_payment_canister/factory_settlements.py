"""The queue of factory reservations a one-click charge still has to confirm or release.

A charge reserves its value on the factory's cross-merchant limit before its ledger call
and keeps the reservation id in its journal operation's context (one_click.py). The
journal settles the operation synchronously (no `yield` in a settle callback), whoever
answers: the charging message, a retry or the recovery timer. So the settle and release
callbacks only file the reservation here (confirm or release), in the stable map, in the
message that learnt the outcome; the factory hears of it later and in bulk: the next
charge's reservation carries the queue (`reserve_one_click_spend`, up to
PIGGYBACK_PER_CALL), and the maintenance tick sends what is still queued in one
`settle_one_click_reservations` call (up to SETTLE_PER_CALL). So a charge costs the factory
one call, not three.

Waiting is safe: a queued release only keeps the customer's limit stricter until it
arrives (fails closed), and a queued confirmation changes nothing of spent + reserved. An
entry leaves the queue once the factory answered the call that carried it (settled now,
already ended there, or refused: a retry would get the same answer); if the call got no
answer it stays and goes again. The factory's record is the guard against counting twice:
a settlement of a reservation no longer open there is a no-op. A heap lease keeps
concurrent calls of this canister from carrying the same entries (lost on upgrade or after
a trap: then an entry may go twice, which the factory ignores).
"""

from kybra import StableBTreeMap, ic, nat8, text

from src.user_payment_canister.factory_link import factory

CONFIRM = 1
RELEASE = 0
SETTLE_PER_CALL = 100  # the factory's MAX_SETTLEMENTS_PER_CALL
PIGGYBACK_PER_CALL = 20  # carried by a reservation
LEASE_SECONDS = 120  # an entry out with a call that has not answered yet is not sent again meanwhile
NS = 1_000_000_000

factory_settlements_map = StableBTreeMap[text, nat8](memory_id=110, max_key_size=64, max_value_size=8)
sending = {}  # reservation id -> when a call carrying it went out (heap lease)


def file_settlement(reservation: str, confirmed: bool) -> None:
    """Due: confirm (charged) or release the reservation at the factory; sent with the next
    reservation or by the maintenance tick."""
    if reservation == "" or factory_settlements_map.contains_key(reservation):
        return
    factory_settlements_map.insert(reservation, CONFIRM if confirmed else RELEASE)


def take_due(limit: int) -> list:
    """Up to `limit` queued settlements no other call of this canister is carrying, leased
    to the caller's call: [{reservation_id, confirmed}]."""
    if factory_settlements_map.is_empty():
        return []
    now = ic.time()
    out = []
    for reservation, action in factory_settlements_map.items():
        if len(out) >= limit:
            break
        leased = sending.get(reservation)
        if leased is not None and now - leased < LEASE_SECONDS * NS:
            continue
        sending[reservation] = now
        out.append({"reservation_id": reservation, "confirmed": action == CONFIRM})
    return out


def answered(sent: list, receipt: "dict | None", refusal: "str | None" = None) -> None:
    """The factory answered the call that carried `sent`: every entry is done (see the
    module docstring); refusals are logged."""
    for item in sent:
        factory_settlements_map.remove(item["reservation_id"])
        sending.pop(item["reservation_id"], None)
    if refusal is not None and len(sent) > 0:
        ic.print("factory refused " + str(len(sent)) + " one-click settlements: " + refusal[:200])
    if receipt is not None:
        for refused in receipt["refused"]:
            ic.print("cross-merchant reservation " + refused["reservation_id"] + " refused: " + refused["error"][:200])


def unanswered(sent: list) -> None:
    """No answer: the entries stay queued and may go with the next call."""
    for item in sent:
        sending.pop(item["reservation_id"], None)


def settle_due_at_factory():
    """Maintenance: the queued settlements, in one batch (the rest with the next tick)."""
    svc = factory()
    if svc is None:
        return
    sent = take_due(SETTLE_PER_CALL)
    if len(sent) == 0:
        return
    result = yield svc.settle_one_click_reservations(sent)
    if getattr(result, "Err", None) is not None:
        ic.print("one-click settlements not sent yet: " + str(result.Err)[:200])
        unanswered(sent)
        return
    if "Err" in result.Ok:
        answered(sent, None, result.Ok["Err"])
        return
    answered(sent, result.Ok["Ok"])


def queued_settlements() -> int:
    return factory_settlements_map.len()
