"""Newest-first pages over the factory's `seq -> key -> record` indexes.

Every factory list method pages the same way (src/common/pagination.page_desc) and answers
with the same `{Ok: {items, next_cursor}} | {Err}` shape; these two helpers are that shape.
Change logs that merchants pull by version page oldest first from a seq (`since`).
"""

from src.common.pagination import page_desc, since  # noqa: F401  (since: the change logs' pages)


def via_index(seq_map, records_map):
    """A page_desc lookup: seq -> key in seq_map -> record in records_map (None for a gap)."""

    def lookup(seq: int):
        key = seq_map.get(seq)
        return None if key is None else records_map.get(key)

    return lookup


def page_result(lookup, top: int, cursor: "str | None", limit: "int | None") -> dict:
    """One page as the list methods' result variant."""
    items, next_cursor, err = page_desc(lookup, top, cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"items": items, "next_cursor": next_cursor}}
