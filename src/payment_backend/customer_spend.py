"""Cross-merchant spend per customer (USD cents) for one-click limits.

One record per customer holds today's spend (UTC day) and lifetime totals, so a check or
an update is one lookup. A charge first reserves its amount (counted against today's limit
at once, so concurrent charges at several merchants cannot overrun it), then confirms it
(the spend is recorded) or releases it (given back). A reservation neither confirmed nor
released (its merchant's message trapped before it learnt the id) stays counted for its
day, so the limit fails closed, and expires once a whole UTC day has passed after its own:
`expire_reservations` ends it as released, so it no longer holds one of its merchant's
open reservations. Reservation ids are sequential and made in time order, so a cursor
walks them oldest first and stops at the first one still young.
"""

from kybra import Record, StableBTreeMap, ic, nat64, text

from src.payment_backend.factory_counters import add_count, counters_map, get_count, next_seq, top_seq

DAY_NS = 86_400_000_000_000


class CustomerSpend(Record):
    day: nat64
    spent_today: nat64
    total_spent: nat64
    payments: nat64


customer_spend_map = StableBTreeMap[text, CustomerSpend](memory_id=100, max_key_size=100, max_value_size=128)


def today() -> int:
    return ic.time() // DAY_NS


def spent_today(principal_text: str) -> int:
    entry = customer_spend_map.get(principal_text)
    if entry is None or entry["day"] != today():
        return 0
    return entry["spent_today"]


def add_spend(principal_text: str, amount: int) -> None:
    entry = customer_spend_map.get(principal_text)
    if entry is None:
        entry = {"day": today(), "spent_today": 0, "total_spent": 0, "payments": 0}
        add_count("network_customers", 1)
    if entry["day"] != today():
        entry["day"] = today()
        entry["spent_today"] = 0
    entry["spent_today"] = entry["spent_today"] + amount
    entry["total_spent"] = entry["total_spent"] + amount
    entry["payments"] = entry["payments"] + 1
    customer_spend_map.insert(principal_text, entry)
    add_count("network_volume_usd_cents", amount)
    add_count("network_payments", 1)


class SpendReservation(Record):
    principal: text
    merchant: text
    amount: nat64
    day: nat64


reservations_map = StableBTreeMap[text, SpendReservation](memory_id=101, max_key_size=40, max_value_size=400)


EXPIRE_AFTER_DAYS = 2  # open through the whole next UTC day: a charge settles well within it
EXPIRE_PER_CALL = 10


def reserved_key(principal_text: str, day: "int | None" = None) -> str:
    return "reserved:" + principal_text + "|" + str(today() if day is None else day)


def held_today(principal_text: str) -> int:
    """Spent plus reserved today: what the daily limit is checked against."""
    return spent_today(principal_text) + get_count(reserved_key(principal_text))


def reserve(principal_text: str, merchant_text: str, amount: int) -> str:
    """Holds `amount` for the customer today; returns the reservation id."""
    add_count(reserved_key(principal_text), amount)
    add_count("open_reservations:" + merchant_text, 1)
    reservation_id = "rsv_" + str(next_seq("reservations"))
    reservations_map.insert(
        reservation_id, {"principal": principal_text, "merchant": merchant_text, "amount": amount, "day": today()}
    )
    return reservation_id


def settle(reservation_id: str, confirmed: bool) -> None:
    """Ends a reservation: confirmed, its amount becomes spend; else it is given back."""
    entry = reservations_map.remove(reservation_id)
    add_count("open_reservations:" + entry["merchant"], -1)
    key = reserved_key(entry["principal"], entry["day"])
    if add_count(key, -entry["amount"]) == 0:
        counters_map.remove(key)  # one counter per customer with holds that day, not per day ever
    if confirmed:
        add_spend(entry["principal"], entry["amount"])


def expire_reservations(limit: int = EXPIRE_PER_CALL) -> int:
    """End (as released) up to `limit` reservations left open since before yesterday,
    oldest first; returns how many ended."""
    ended = 0
    start = get_count("reservations_expired_upto")
    cursor = start
    for _ in range(limit):
        if cursor >= top_seq("reservations"):
            break
        reservation_id = "rsv_" + str(cursor + 1)
        entry = reservations_map.get(reservation_id)
        if entry is not None:
            if today() - entry["day"] < EXPIRE_AFTER_DAYS:
                break  # this one and every later one are still young
            settle(reservation_id, False)
            ended += 1
        cursor += 1
    if cursor != start:
        add_count("reservations_expired_upto", cursor - start)
    return ended
