"""Stable state of the local Exchange Rate Canister: admins and pair rates.

A rate is stored per pair and per minute ("C:BTC/F:USD@1700000040") plus the latest
one per pair, as the real XRC serves minute-rounded timestamps (seconds since epoch).
"""

from kybra import Record, StableBTreeMap, nat64, text


class StoredRate(Record):
    rate: nat64
    timestamp: nat64


xrc_admins = StableBTreeMap[text, nat64](memory_id=0, max_key_size=128, max_value_size=16)
rates_by_minute = StableBTreeMap[text, nat64](memory_id=1, max_key_size=128, max_value_size=16)
latest_rates = StableBTreeMap[text, StoredRate](memory_id=2, max_key_size=128, max_value_size=64)
