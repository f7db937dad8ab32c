"""A checkout session's line items (like Stripe's `line_items`): what the customer buys, shown
on the hosted page. The merchant's server sends them with the session; they must add up to
the session amount (in the session's own token), so the page never shows a total that
differs from what is charged."""

from src.common.validation import check_text, invalid

MAX_LINE_ITEMS = 20
MAX_NAME_CHARS = 100
MAX_QUANTITY = 10_000
ITEM_FIXED_BYTES = 24  # quantity, amount and field tags of one encoded item
# These bounds size merchant_store.session_line_items_map (9 KB a value): 20 items x (100
# characters of up to 4 UTF-8 bytes + length + nat32 + nat64) encode to about 8.3 KB.


def check_line_items(items: "list | None", amount: int) -> "str | None":
    if items is None:
        return None
    if len(items) == 0 or len(items) > MAX_LINE_ITEMS:
        return invalid("line_items", "must list 1 to " + str(MAX_LINE_ITEMS) + " items (or be null)")
    total = 0
    for item in items:
        err = check_text("line_items name", item["name"], MAX_NAME_CHARS, 1)
        if err is not None:
            return err
        if item["quantity"] < 1 or item["quantity"] > MAX_QUANTITY:
            return invalid("line_items quantity", "must be between 1 and " + str(MAX_QUANTITY))
        total += item["quantity"] * item["unit_amount"]
    if total != amount:
        return invalid("line_items", "add up to " + str(total) + ", not the session amount " + str(amount))
    return None


def line_items_bytes(items: "list | None") -> int:
    """An upper bound of the bytes the items add to a session as callers get it."""
    if items is None:
        return 0
    total = 0
    for item in items:
        total += len(item["name"].encode()) + ITEM_FIXED_BYTES
    return total
