"""Cross-merchant spend per customer (USD cents) for one-click limits.

One record per customer holds today's spend (UTC day) and lifetime totals, so a check or
an update is one lookup.
"""

from kybra import Record, StableBTreeMap, ic, nat64, text

from src.payment_backend.factory_counters import add_count

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
