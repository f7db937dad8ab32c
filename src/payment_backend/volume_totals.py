"""Per-token payment volume reported by merchant canisters, in token base units.

Kept apart from system_analytics so the token market can weigh token popularity without
importing the analytics module (which itself needs market rates). Volumes are `nat`
(ckETH volumes in wei overflow nat64), keyed by symbol and by region|symbol.
"""

from kybra import StableBTreeMap, nat, text

token_volume_map = StableBTreeMap[text, nat](memory_id=90, max_key_size=60, max_value_size=40)
region_token_volume_map = StableBTreeMap[text, nat](memory_id=91, max_key_size=120, max_value_size=40)


def add_volume(symbol: str, delta: int) -> None:
    value = token_volume_map.get(symbol)
    token_volume_map.insert(symbol, max(0, (0 if value is None else value) + delta))


def add_region_volume(region: str, symbol: str, delta: int) -> None:
    key = region + "|" + symbol
    value = region_token_volume_map.get(key)
    region_token_volume_map.insert(key, max(0, (0 if value is None else value) + delta))


def token_volume(symbol: str) -> int:
    value = token_volume_map.get(symbol)
    return 0 if value is None else value


def region_token_volume(region: str, symbol: str) -> int:
    value = region_token_volume_map.get(region + "|" + symbol)
    return 0 if value is None else value
