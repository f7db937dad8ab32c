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
# Room a page's items may take when a caller passes `size_of`: under the IC's 2 MiB reply
# limit with space for the page record and cursor (docs/kybra.md "Message limits").
MAX_PAGE_BYTES = 1_800_000


def check_limit(limit: "int | None", max_limit: int = MAX_LIMIT) -> "tuple":
    """(limit, None) with the default for None/0, or (0, error) above max_limit."""
    if limit is None or limit == 0:
        return (min(DEFAULT_LIMIT, max_limit), None)
    if limit > max_limit:
        return (0, "invalid_argument: limit must be at most " + str(max_limit))
    return (limit, None)


def parse_cursor(cursor: "str | None", top: int) -> "tuple":
    """(start, None): the first seq to look at, or (0, error) for a malformed cursor."""
    if cursor is None or cursor == "":
        return (top, None)
    if len(cursor) > 20 or not cursor.isdigit():
        return (0, "invalid_argument: cursor is not one this canister returned")
    return (min(int(cursor), top), None)


def page_desc(lookup, top: int, cursor: "str | None", limit: "int | None", size_of=None) -> "tuple":
    """(items, next_cursor, None) or ([], None, error).

    lookup(seq) returns the item stored under seq or None for a gap; top is the highest seq
    ever assigned. next_cursor is None when the list is exhausted. With size_of (an upper
    bound of an item's encoded size) the page also stops before MAX_PAGE_BYTES, for lists
    whose limit x largest item could exceed the reply limit.
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
                if used > MAX_PAGE_BYTES and items:
                    break  # this item starts the next page
            items.append(item)
        seq -= 1
        probes += 1
    next_cursor = str(seq) if seq >= 1 else None
    return (items, next_cursor, None)


def page_by_key(
    keys: list, lookup, cursor: "str | None", limit: "int | None", max_limit: int, max_cursor: int
) -> "tuple":
    """(items, next_cursor, None) or ([], None, error) over a map's sorted text keys.

    For maps without a seq index whose entries are large: max_limit bounds the page so that
    max_limit x the map's max_value_size stays under the IC's 2 MiB reply limit. The cursor
    is the last key returned; the next page starts after it.
    """
    size, err = check_limit(limit, max_limit)
    if err is not None:
        return ([], None, err)
    if cursor is not None and (len(cursor) == 0 or len(cursor) > max_cursor):
        return ([], None, "invalid_argument: cursor is not one this canister returned")
    items = []
    last = None
    for key in keys:
        if cursor is not None and key <= cursor:
            continue
        if len(items) == size:
            return (items, last, None)
        item = lookup(key)
        if item is not None:
            items.append(item)
            last = key
    return (items, None, None)


def since(lookup, top: int, since_seq: int, limit: int) -> "tuple":
    """(entries with seq > since_seq, oldest first, at most limit (1-100; 0 = 100), the seq to
    ask from next); `lookup(seq)` is the entry or None for a gap. The change logs merchants
    pull by version page this way (the factory's and a report aggregator's mirror of them)."""
    size = 100 if limit == 0 or limit > 100 else limit
    out = []
    seq = since_seq + 1
    while seq <= top and len(out) < size:
        entry = lookup(seq)
        if entry is not None:
            out.append(entry)
        seq += 1
    return (out, seq - 1 if seq - 1 > since_seq else since_seq)
