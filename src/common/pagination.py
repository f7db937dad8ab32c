"""Newest-first pagination over sequence-number indexes.

Stable maps have no range query, so lists are kept as an index `seq -> id` (seq 1, 2, 3...
assigned at insert; a per-owner index uses its own counter). A page walks seq downwards from
the cursor, so it costs O(limit) lookups, never a walk of the whole map. Removed entries
leave gaps; the walk skips at most MAX_PROBES of them per page and hands back a cursor to
continue. The cursor is the decimal seq to continue below (opaque to clients).
"""

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_PROBES = 1000


def check_limit(limit: "int | None") -> "tuple":
    """(limit, None) with the default for None/0, or (0, error) above MAX_LIMIT."""
    if limit is None or limit == 0:
        return (DEFAULT_LIMIT, None)
    if limit > MAX_LIMIT:
        return (0, "invalid_argument: limit must be at most " + str(MAX_LIMIT))
    return (limit, None)


def parse_cursor(cursor: "str | None", top: int) -> "tuple":
    """(start, None): the first seq to look at, or (0, error) for a malformed cursor."""
    if cursor is None or cursor == "":
        return (top, None)
    if len(cursor) > 20 or not cursor.isdigit():
        return (0, "invalid_argument: cursor is not one this canister returned")
    return (min(int(cursor), top), None)


def page_desc(lookup, top: int, cursor: "str | None", limit: "int | None", size_of=None,
              max_bytes: int = 0) -> "tuple":
    """(items, next_cursor, None) or ([], None, error).

    lookup(seq) returns the item stored under seq or None for a gap; top is the highest seq
    ever assigned. next_cursor is None when the list is exhausted. With `size_of(item)` the
    page also stops before its items' sizes pass `max_bytes` (it always holds one), so a
    page of large records stays within the IC's reply size.
    """
    size, err = check_limit(limit)
    if err is not None:
        return ([], None, err)
    start, err = parse_cursor(cursor, top)
    if err is not None:
        return ([], None, err)
    items = []
    seq = start
    probes = 0
    used = 0
    while seq >= 1 and len(items) < size and probes < MAX_PROBES + size:
        item = lookup(seq)
        if item is not None:
            if size_of is not None:
                used += size_of(item)
                if used > max_bytes and len(items) > 0:
                    break
            items.append(item)
        seq -= 1
        probes += 1
    next_cursor = str(seq) if seq >= 1 else None
    return (items, next_cursor, None)
