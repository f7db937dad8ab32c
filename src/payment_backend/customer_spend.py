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

What a reservation touches is kept small, since every one-click charge at every merchant
comes here: the last id handed out and the network totals are one-entry maps, and each
merchant's open count has a map of its own (the shared counters map holds a few keys per
merchant and per customer, so each of its operations walks a deep tree). They started in
the counters map: each reads its old counter once when its own entry is missing.
"""

from kybra import Record, StableBTreeMap, ic, nat8, nat64, text

from src.common.message_budget import budget_left
from src.payment_backend.factory_counters import add_count, counters_map, get_count, set_count, top_seq

DAY_NS = 86_400_000_000_000
OPEN = "open_reservations:"  # the counter a merchant's open count had before open_reservations_map


class CustomerSpend(Record):
    day: nat64
    spent_today: nat64
    total_spent: nat64
    payments: nat64


class CustomerDay(Record):
    # a customer's one-click spend: `spent` and `reserved` are of UTC day `day` (the latest
    # with a charge), the totals over all days
    day: nat64
    spent: nat64
    reserved: nat64
    total_spent: nat64
    payments: nat64


class NetworkTotals(Record):
    customers: nat64
    volume_usd_cents: nat64
    payments: nat64


class SpendReservation(Record):
    principal: text
    merchant: text
    amount: nat64
    day: nat64


# before customer_day_map: spend per customer here, holds in the counters map per customer
# and day ("reserved:<principal>|<day>"); read once per customer when it moves
customer_spend_map = StableBTreeMap[text, CustomerSpend](memory_id=100, max_key_size=100, max_value_size=128)
reservations_map = StableBTreeMap[text, SpendReservation](memory_id=101, max_key_size=40, max_value_size=400)
open_reservations_map = StableBTreeMap[text, nat64](memory_id=102, max_key_size=100, max_value_size=24)
reservation_seq_map = StableBTreeMap[nat8, nat64](memory_id=103, max_key_size=8, max_value_size=24)
network_totals_map = StableBTreeMap[nat8, NetworkTotals](memory_id=104, max_key_size=8, max_value_size=64)
customer_day_map = StableBTreeMap[text, CustomerDay](memory_id=105, max_key_size=100, max_value_size=128)

EXPIRE_AFTER_DAYS = 2  # open through the whole next UTC day: a charge settles well within it
EXPIRE_PER_CALL = 50_000  # ids walked per timer run (about 0.35M instructions each)
MAX_OPEN_RESERVATIONS = 100  # per merchant canister: a merchant cannot stockpile holds


def today() -> int:
    return ic.time() // DAY_NS


def reserved_key(principal_text: str, day: int) -> str:
    return "reserved:" + principal_text + "|" + str(day)


def customer_day(principal_text: str, day: int) -> "tuple":
    """(the customer's record, rolled to `day` if it is of an earlier day, True when the
    customer had no spend or hold anywhere yet). A customer not yet in customer_day_map is
    read from where the record was before, as of today (its holds of today included; no
    write: see moved_out)."""
    entry = customer_day_map.get(principal_text)
    new = False
    if entry is None:
        now = today()
        old = customer_spend_map.get(principal_text)
        reserved = get_count(reserved_key(principal_text, now))
        new = old is None and reserved == 0
        entry = {
            "day": now,
            "spent": 0 if old is None or old["day"] != now else old["spent_today"],
            "reserved": reserved,
            "total_spent": 0 if old is None else old["total_spent"],
            "payments": 0 if old is None else old["payments"],
        }
    if entry["day"] < day:
        entry["day"] = day
        entry["spent"] = 0
        entry["reserved"] = 0
    return (entry, new)


def moved_out(principal_text: str) -> None:
    """The customer's first write to customer_day_map: the holds counted in the counters
    map (today's went into the record, yesterday's count no more) are dropped there."""
    now = today()
    for d in (now, now - 1):
        if counters_map.contains_key(reserved_key(principal_text, d)):
            counters_map.remove(reserved_key(principal_text, d))


def put_customer(principal_text: str, entry: dict, new: bool) -> None:
    """Write the record; on its first write, drop what it replaces (a customer `new` to the
    network has nothing to drop)."""
    if customer_day_map.insert(principal_text, entry) is None and not new:
        moved_out(principal_text)


def held_today(principal_text: str) -> int:
    """Spent plus reserved today: what the daily limit is checked against."""
    entry, _ = customer_day(principal_text, today())
    return entry["spent"] + entry["reserved"]


def new_totals() -> dict:
    return {"customers": 0, "volume": 0, "payments": 0}


def network_totals() -> dict:
    """{customers, volume_usd_cents, payments} of the one-click network."""
    stored = network_totals_map.get(0)
    if stored is not None:
        return stored
    return {  # before the first spend since they moved here from the counters map
        "customers": get_count("network_customers"),
        "volume_usd_cents": get_count("network_volume_usd_cents"),
        "payments": get_count("network_payments"),
    }


def add_network_totals(totals: dict) -> None:
    """The network totals a message's spends changed, written once."""
    if totals["payments"] == 0:
        return
    stored = network_totals()
    stored["customers"] = stored["customers"] + totals["customers"]
    stored["volume_usd_cents"] = stored["volume_usd_cents"] + totals["volume"]
    stored["payments"] = stored["payments"] + totals["payments"]
    network_totals_map.insert(0, stored)


def count_spend(entry: dict, amount: int, new: bool, totals: dict) -> None:
    entry["total_spent"] = entry["total_spent"] + amount
    entry["payments"] = entry["payments"] + 1
    totals["customers"] += 1 if new else 0
    totals["volume"] += amount
    totals["payments"] += 1


def add_spend(principal_text: str, amount: int) -> None:
    """A spend recorded at once (record_cross_merchant_payment), on today."""
    day = today()
    entry, new = customer_day(principal_text, day)
    entry["spent"] = entry["spent"] + amount
    totals = new_totals()
    count_spend(entry, amount, new, totals)
    put_customer(principal_text, entry, new)
    add_network_totals(totals)


def last_reservation_seq() -> int:
    """The highest reservation id handed out ("rsv_<seq>")."""
    seq = reservation_seq_map.get(0)
    return top_seq("reservations") if seq is None else seq


def open_count(merchant_text: str) -> int:
    """The merchant canister's reservations not yet ended (for a writer: its count is moved
    out of the counters map if it is still there)."""
    held = open_reservations_map.get(merchant_text)
    if held is not None:
        return held
    held = get_count(OPEN + merchant_text)
    if held > 0:
        counters_map.remove(OPEN + merchant_text)  # moved: the caller writes it here
        open_reservations_map.insert(merchant_text, held)
    return held


def reserve_within(principal_text: str, merchant_text: str, amount: int, limit: int, day: int) -> "tuple":
    """(reservation id, None) holding `amount` of the customer's `day` (today) if spent +
    reserved + amount stays within `limit` and the merchant holds fewer than
    MAX_OPEN_RESERVATIONS open ones, else (None, error). The check and the hold are one
    message with no `yield`, so concurrent charges at several merchants cannot pass the
    limit together. Each record is read once and written once."""
    entry, new = customer_day(principal_text, day)
    if entry["spent"] + entry["reserved"] + amount > limit:
        return (None, limit_error(limit))
    held = open_count(merchant_text)
    if held >= MAX_OPEN_RESERVATIONS:
        return (None, open_limit_error())
    entry["reserved"] = entry["reserved"] + amount
    put_customer(principal_text, entry, new)
    open_reservations_map.insert(merchant_text, held + 1)
    seq = last_reservation_seq() + 1
    reservation_seq_map.insert(0, seq)
    reservation_id = "rsv_" + str(seq)
    reservations_map.insert(
        reservation_id, {"principal": principal_text, "merchant": merchant_text, "amount": amount, "day": day}
    )
    return (reservation_id, None)


def limit_error(limit: int) -> str:
    return (
        "limit_exceeded: the charge would bring the customer's cross-merchant spend today over "
        + str(limit)
        + " USD cents"
    )


def open_limit_error() -> str:
    return "limit_exceeded: at most " + str(MAX_OPEN_RESERVATIONS) + " open reservations per merchant canister"


def end_hold(reservation: dict, confirmed: bool, totals: dict) -> None:
    """The customer side of ending a reservation of day d: its hold leaves d's reserved and,
    confirmed, becomes spend of d, so ending it later (a batched settlement, after midnight)
    leaves every day's spent + reserved as it was. Once the customer's record has moved on
    to a later day, d counts no more: only the lifetime totals change."""
    principal_text = reservation["principal"]
    amount = reservation["amount"]
    day = reservation["day"]
    entry, new = customer_day(principal_text, day)
    if entry["day"] == day:
        entry["reserved"] = max(0, entry["reserved"] - amount)
        if confirmed:
            entry["spent"] = entry["spent"] + amount
    elif not confirmed:
        return  # a release of a day gone by: nothing of today changes
    if confirmed:
        count_spend(entry, amount, new, totals)
    put_customer(principal_text, entry, new)


def settle(reservation_id: str, confirmed: bool) -> None:
    """Ends a reservation: confirmed, its amount becomes spend; else it is given back."""
    entry = reservations_map.remove(reservation_id)
    open_reservations_map.insert(entry["merchant"], max(0, open_count(entry["merchant"]) - 1))
    totals = new_totals()
    end_hold(entry, confirmed, totals)
    add_network_totals(totals)


def settle_batch(merchant_text: str, settlements: list) -> dict:
    """End the caller's reservations listed in `settlements` ({reservation_id, confirmed});
    returns {settled, already_ended, refused}. Idempotent by reservation id: an id no longer
    open (settled by an earlier copy of this batch, or expired) is counted as already ended
    and changes nothing, so a batch re-sent after a lost reply counts no spend twice. An
    open reservation of another merchant canister is refused and stays open. The merchant's
    open count and the network counters are written once per batch."""
    settled = 0
    ended = 0
    refused = []
    totals = new_totals()
    for item in settlements:
        reservation_id = item["reservation_id"]
        entry = reservations_map.remove(reservation_id) if len(reservation_id) <= 40 else None
        if entry is None:
            ended += 1
            continue
        if entry["merchant"] != merchant_text:
            reservations_map.insert(reservation_id, entry)  # not the caller's: put back unchanged
            refused.append(
                {
                    "reservation_id": reservation_id,
                    "error": "not_found: reservation "
                    + reservation_id
                    + " is not an open reservation of this canister",
                }
            )
            continue
        end_hold(entry, item["confirmed"], totals)
        settled += 1
    if settled > 0:
        open_reservations_map.insert(merchant_text, max(0, open_count(merchant_text) - settled))
        add_network_totals(totals)
    return {"settled": settled, "already_ended": ended, "refused": refused}


def expire_reservations(limit: int = EXPIRE_PER_CALL) -> bool:
    """End (as released) the reservations left open since before yesterday, oldest first,
    walking at most `limit` ids while the message's budget lasts (the factory's timer,
    `reservations_timer`); True when it stopped with ids left to walk. The cursor walks
    every id once (an id no longer open is passed over, as settled); with no reservation
    open at all it jumps to the newest id."""
    start = get_count("reservations_expired_upto")
    top = last_reservation_seq()
    if start < top and reservations_map.is_empty():
        set_count("reservations_expired_upto", top)
        return False
    day = today()
    cursor = start
    more = False
    for _ in range(limit):
        if cursor >= top:
            break
        if not budget_left():
            more = True
            break
        reservation_id = "rsv_" + str(cursor + 1)
        entry = reservations_map.get(reservation_id)
        if entry is not None:
            if day - entry["day"] < EXPIRE_AFTER_DAYS:
                break  # this one and every later one are still young
            settle(reservation_id, False)
        cursor += 1
    else:
        more = cursor < top
    if cursor != start:
        add_count("reservations_expired_upto", cursor - start)
    return more
