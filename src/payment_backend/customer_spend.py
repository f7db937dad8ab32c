"""Cross-merchant spend per customer (USD cents) for one-click limits.

One record per customer holds today's spend (UTC day) and lifetime totals, so a check or
an update is one lookup. A charge first reserves its amount (counted against today's limit
at once, so concurrent charges at several merchants cannot overrun it), then confirms it
(the spend is recorded) or releases it (given back). A reservation neither confirmed nor
released stays counted for its day: the limit fails closed.
"""

from kybra import Record, StableBTreeMap, ic, nat64, text

from src.payment_backend.factory_counters import add_count, counters_map, get_count, next_seq

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


def reserved_key(principal_text: str) -> str:
    return "reserved:" + principal_text + "|" + str(today())


def held_today(principal_text: str) -> int:
    """Spent plus reserved today: what the daily limit is checked against."""
    return spent_today(principal_text) + get_count(reserved_key(principal_text))


def reserve(principal_text: str, merchant_text: str, amount: int) -> str:
    """Holds `amount` for the customer today; returns the reservation id."""
    add_count(reserved_key(principal_text), amount)
    add_count("open_reservations:" + merchant_text, 1)
    reservation_id = "rsv_" + str(next_seq("reservations"))
    reservations_map.insert(reservation_id, {"principal": principal_text, "merchant": merchant_text,
                                             "amount": amount, "day": today()})
    return reservation_id


def settle(reservation_id: str, confirmed: bool) -> None:
    """Ends a reservation: confirmed, its amount becomes spend; else it is given back."""
    entry = reservations_map.remove(reservation_id)
    add_count("open_reservations:" + entry["merchant"], -1)
    if entry["day"] == today():
        key = reserved_key(entry["principal"])
        if add_count(key, -entry["amount"]) == 0:
            counters_map.remove(key)  # one counter per customer with holds today, not per day ever
    if confirmed:
        add_spend(entry["principal"], entry["amount"])
