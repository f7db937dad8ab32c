"""Newest-first pages over the factory's `seq -> key -> record` indexes.

Every factory list method pages the same way (src/common/pagination.page_desc) and answers
with the same `{Ok: {items, next_cursor}} | {Err}` shape; these two helpers are that shape.
Change logs that merchants pull by version page oldest first from a seq (`since`).
"""

from src.common.pagination import page_desc


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


def since(lookup, top: int, since_seq: int, limit: int) -> "tuple":
    """(entries with seq > since_seq, oldest first, at most limit (1-100; 0 = 100), the seq to
    ask from next); `lookup(seq)` is the entry or None for a gap."""
    size = 100 if limit == 0 or limit > 100 else limit
    out = []
    seq = since_seq + 1
    while seq <= top and len(out) < size:
        entry = lookup(seq)
        if entry is not None:
            out.append(entry)
        seq += 1
    return (out, seq - 1 if seq - 1 > since_seq else since_seq)
