"""Two StableBTreeMaps used as one: a small-slot map for the common record and a
large-slot map for the rare big one.

Kybra 0.7.1's StableBTreeMap (ic-stable-structures 0.5) gives every entry a slot of the
map's declared `max_key_size + max_value_size`, whatever the entry's real size. A checkout
session may carry 50 metadata pairs and two 2 KB URLs (about 40 KB encoded) but usually
encodes to under 1 KB; declaring one map for the worst case reserves 48 KB per session. Here
a record goes to the small map when a conservative estimate of its encoded size fits the
small slot, else to the large one, and moves between them when it grows or shrinks.

`size_of` must never underestimate: a value over a map's `max_value_size` traps.
"""

from typing import Any, Callable


def text_bytes(value: Any) -> int:
    """Upper bound of an (opt) text's encoded size: UTF-8 bytes plus length prefix and opt tag."""
    if value is None:
        return 1
    return len(value.encode("utf-8")) + 5


class TieredMap:
    """get/insert/remove/contains_key/len over a small and a large map with the same key
    and value types (a key lives in exactly one of them)."""

    def __init__(self, small: Any, large: Any, small_limit: int, large_limit: int, size_of: Callable[[Any], int]):
        self.small = small
        self.large = large
        self.small_limit = small_limit
        self.large_limit = large_limit
        self.size_of = size_of

    def fits(self, value: Any) -> bool:
        """Whether `value` can be stored: check before inserting input-sized records, so
        a record over every slot gets an Err instead of a trap."""
        return self.size_of(value) <= self.large_limit

    def get(self, key: Any) -> Any:
        value = self.small.get(key)
        return value if value is not None else self.large.get(key)

    def contains_key(self, key: Any) -> bool:
        return self.small.contains_key(key) or self.large.contains_key(key)

    def insert(self, key: Any, value: Any) -> Any:
        """Store `value` in the map its size belongs to; returns the previous value."""
        if self.size_of(value) <= self.small_limit:
            into, other = self.small, self.large
        else:
            into, other = self.large, self.small
        moved = other.remove(key)
        previous = into.insert(key, value)
        return previous if previous is not None else moved

    def remove(self, key: Any) -> Any:
        value = self.small.remove(key)
        return value if value is not None else self.large.remove(key)

    def len(self) -> int:
        return self.small.len() + self.large.len()
