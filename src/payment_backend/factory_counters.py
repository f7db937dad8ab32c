"""Named nat64 counters in one stable map.

Aggregates (quota use, status counts, totals) are kept as counters updated on every change,
so no query has to walk a registry to count.
"""

from kybra import StableBTreeMap, nat64, text

counters_map = StableBTreeMap[text, nat64](memory_id=2, max_key_size=200, max_value_size=24)


def get_count(name: str) -> int:
    """The counter's value (0 when never set)."""
    value = counters_map.get(name)
    return 0 if value is None else value


def add_count(name: str, delta: int) -> int:
    """Adds delta (may be negative, floored at 0) and returns the new value."""
    value = get_count(name) + delta
    if value < 0:
        value = 0
    counters_map.insert(name, value)
    return value


def set_count(name: str, value: int) -> None:
    """Overwrites the counter."""
    counters_map.insert(name, value)


def next_seq(name: str) -> int:
    """Increments the counter and returns the new value: ids and index positions start at 1."""
    return add_count("seq:" + name, 1)


def top_seq(name: str) -> int:
    """The highest seq handed out by next_seq(name)."""
    return get_count("seq:" + name)
