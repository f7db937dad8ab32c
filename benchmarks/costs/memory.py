"""Stable-memory accounting of a canister, per StableBTreeMap.

localnet stores each entry as its Candid-encoded key and value, exactly the bytes
ic-stable-structures 0.5 keeps under Kybra 0.7.1; `encoded` sums those. That crate's
BTreeMap gives every entry a slot sized for the map's declared `max_key_size` and
`max_value_size` (nodes are arrays of fixed-size slots), so `reserved` (entries x declared
maximum sizes) is a lower bound of what the entries occupy on the IC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class MapUsage:
    entries: int
    encoded: int
    slot: int  # max_key_size + max_value_size


def usage(net, canister_id) -> Dict[int, MapUsage]:
    """{memory id: MapUsage} of every map of the canister now."""
    c = net.canisters[canister_id.bytes]
    return {
        mid: MapUsage(len(m.entries), m.nbytes, m.max_key_size + m.max_value_size) for mid, m in c.stable.maps.items()
    }


def per_item(before: Dict[int, MapUsage], after: Dict[int, MapUsage], items: int) -> dict:
    """Bytes added per item between two usages, overall and per map that grew."""
    if items <= 0:
        raise ValueError("items must be positive")
    maps = {}
    encoded = reserved = 0
    for mid, now in after.items():
        old = before.get(mid, MapUsage(0, 0, now.slot))
        d_entries, d_bytes = now.entries - old.entries, now.encoded - old.encoded
        if d_entries == 0 and d_bytes == 0:
            continue
        encoded += d_bytes
        reserved += max(d_entries, 0) * now.slot
        maps[str(mid)] = {
            "entries_per_item": round(d_entries / items, 3),
            "encoded_bytes_per_item": round(d_bytes / items, 1),
        }
    return {
        "items": items,
        "encoded_bytes_per_item": round(encoded / items, 1),
        "reserved_bytes_per_item": round(reserved / items, 1),
        "maps": maps,
    }
