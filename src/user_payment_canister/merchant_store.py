"""All state of the merchant canister, in stable maps (the only state that survives an
upgrade). Memory ids 0-39 hold checkout (sessions, payments, modals, elements, tokens);
40-79 the services built on it (service_store.py). Lists are read through `seq -> id` index maps and counters,
never by walking a map (see src/common/pagination.py)."""

from kybra import Principal, StableBTreeMap, Vec, nat, nat8, nat64, text

from src.common.merchant_api import HostedCheckoutSession, SessionLineItem
from src.common.message_budget import budget_left
from src.common.tiered_map import TieredMap, text_bytes
from src.user_payment_canister.hosted_page_origin import session_url
from src.user_payment_canister.line_items import line_items_bytes
from src.user_payment_canister.merchant_types import (
    AuthorizedPrincipal,
    CustomerTokenHistory,
    ElementConfiguration,
    ElementUsageMetrics,
    IntentLookup,
    MerchantState,
    MerchantTokenPreferences,
    ModalConfig,
    ModalCounters,
    PaymentRecord,
    PayoutRecord,
    RateWindow,
    RefundRecord,
    SessionLock,
    StoredCheckoutSession,
    SweepRecord,
    TokenBook,
    TokenConfig,
    TransferIntent,
)

state_map = StableBTreeMap[nat8, MerchantState](memory_id=0, max_key_size=16, max_value_size=12_000)
owners_map = StableBTreeMap[text, Principal](memory_id=1, max_key_size=100, max_value_size=100)
servers_map = StableBTreeMap[text, AuthorizedPrincipal](memory_id=2, max_key_size=100, max_value_size=1_000)
tokens_map = StableBTreeMap[text, TokenConfig](memory_id=3, max_key_size=50, max_value_size=1_000)
counters_map = StableBTreeMap[text, nat](memory_id=4, max_key_size=150, max_value_size=60)
sessions_large_map = StableBTreeMap[text, StoredCheckoutSession](memory_id=5, max_key_size=100, max_value_size=48_000)
session_locks_map = StableBTreeMap[text, SessionLock](memory_id=6, max_key_size=100, max_value_size=300)
session_index_map = StableBTreeMap[nat64, text](memory_id=7, max_key_size=20, max_value_size=100)
idempotency_map = StableBTreeMap[text, text](memory_id=8, max_key_size=300, max_value_size=100)
# caller|key -> SHA-256 hex of the parameters the key was first used with (idempotency_error)
idempotency_fingerprints_map = StableBTreeMap[text, text](memory_id=39, max_key_size=300, max_value_size=100)
expiry_slots_map = StableBTreeMap[text, text](memory_id=9, max_key_size=60, max_value_size=100)
payments_map = StableBTreeMap[text, PaymentRecord](memory_id=10, max_key_size=100, max_value_size=2_000)
payment_index_map = StableBTreeMap[nat64, text](memory_id=11, max_key_size=20, max_value_size=100)
used_blocks_map = StableBTreeMap[text, text](memory_id=12, max_key_size=150, max_value_size=100)
refunds_map = StableBTreeMap[text, RefundRecord](memory_id=13, max_key_size=100, max_value_size=4_000)
refund_index_map = StableBTreeMap[nat64, text](memory_id=14, max_key_size=20, max_value_size=100)
payouts_map = StableBTreeMap[text, PayoutRecord](memory_id=15, max_key_size=100, max_value_size=2_000)
payout_index_map = StableBTreeMap[nat64, text](memory_id=16, max_key_size=20, max_value_size=100)
books_map = StableBTreeMap[text, TokenBook](memory_id=17, max_key_size=50, max_value_size=500)
modals_map = StableBTreeMap[text, ModalConfig](memory_id=18, max_key_size=100, max_value_size=48_000)
modal_counters_map = StableBTreeMap[text, ModalCounters](memory_id=19, max_key_size=100, max_value_size=200)
elements_map = StableBTreeMap[text, ElementConfiguration](memory_id=20, max_key_size=100, max_value_size=70_000)
element_metrics_map = StableBTreeMap[text, ElementUsageMetrics](memory_id=21, max_key_size=100, max_value_size=300)
rate_windows_map = StableBTreeMap[text, RateWindow](memory_id=22, max_key_size=300, max_value_size=100)
token_prefs_map = StableBTreeMap[nat8, MerchantTokenPreferences](memory_id=23, max_key_size=16, max_value_size=10_000)
customer_history_map = StableBTreeMap[text, CustomerTokenHistory](memory_id=24, max_key_size=100, max_value_size=6_000)
transfer_intents_map = StableBTreeMap[text, TransferIntent](memory_id=25, max_key_size=100, max_value_size=3_000)
sessions_small_map = StableBTreeMap[text, StoredCheckoutSession](memory_id=26, max_key_size=100, max_value_size=3_000)
rate_window_index_map = StableBTreeMap[nat64, text](memory_id=27, max_key_size=20, max_value_size=350)
intent_lookups_map = StableBTreeMap[text, IntentLookup](memory_id=28, max_key_size=100, max_value_size=1_000)
sweeps_map = StableBTreeMap[text, SweepRecord](memory_id=29, max_key_size=100, max_value_size=500)
session_line_items_map = StableBTreeMap[text, Vec[SessionLineItem]](
    memory_id=30, max_key_size=100, max_value_size=9_000
)  # line_items.py bounds
# payment id -> what its payer itself sent, for an ICRC-1 payment paid in shares by several
# senders (a refund of it is capped there); absent: the whole payment is the payer's
payer_shares_map = StableBTreeMap[text, nat](memory_id=36, max_key_size=100, max_value_size=60)

SESSION_FIXED_BYTES = 1_024  # type table, numbers, principals, blob and tags, with room to spare
SESSION_API_EXTRA_BYTES = 64  # the type table of `url` and `line_items`, their opt tags and vec length
SESSION_TEXT_FIELDS = (
    "session_id",
    "modal_config_id",
    "currency_token",
    "customer_email",
    "payment_intent_id",
    "custom_domain",
    "client_reference_id",
    "success_url",
    "cancel_url",
    "payment_account",
    "payment_method",
)
API_ONLY_FIELDS = ("line_items", "url")


def stored_session_bytes(session: dict) -> int:
    """An upper bound of the session's encoded size as StoredCheckoutSession (TieredMap
    never underestimates); fields callers see but the map does not hold are not counted."""
    size = SESSION_FIXED_BYTES
    for name in SESSION_TEXT_FIELDS:
        size += text_bytes(session.get(name))
    for pair in session["metadata"]:
        size += text_bytes(pair["key"]) + text_bytes(pair["value"])
    for option in session.get("price_options") or []:
        size += 80 + text_bytes(option["token"])
    return size


def session_bytes(session: HostedCheckoutSession) -> int:
    """An upper bound of the session's encoded size as callers get it (reply pages)."""
    return (
        stored_session_bytes(session)
        + SESSION_API_EXTRA_BYTES
        + text_bytes(session.get("url"))
        + line_items_bytes(session.get("line_items"))
    )


def stored_session(session: HostedCheckoutSession) -> StoredCheckoutSession:
    """The part of a session the session maps hold (everything but line items and url)."""
    stored = {}
    for key in session:
        if key not in API_ONLY_FIELDS:
            stored[key] = session[key]
    return stored


def api_session(stored: StoredCheckoutSession, line_items: "list | None") -> HostedCheckoutSession:
    """A stored session as callers see it: its line items and its hosted page url (derived
    from the id and the current origin or the session's custom_domain, so never stored)."""
    session = copy_record(stored)
    session["line_items"] = line_items
    session["url"] = session_url(stored["session_id"], stored["custom_domain"])
    return session


class SessionStore:
    """Checkout sessions by id, read and written as HostedCheckoutSession: the one place
    that splits a session into its stored record (size-tiered maps 26 / 5, whose value
    type is frozen) and its line items (map 30), and joins them back."""

    def __init__(self, sessions: TieredMap, line_items: "StableBTreeMap"):
        self.sessions = sessions
        self.line_items = line_items

    def fits(self, session: HostedCheckoutSession) -> bool:
        """Whether the session can be stored (its line items always fit: line_items.py
        bounds them to map 30's value size)."""
        return self.sessions.fits(session)

    def get(self, session_id: str) -> "HostedCheckoutSession | None":
        stored = self.sessions.get(session_id)
        if stored is None:
            return None
        return api_session(stored, self.line_items.get(session_id))

    def contains_key(self, session_id: str) -> bool:
        return self.sessions.contains_key(session_id)

    def insert(self, session_id: str, session: HostedCheckoutSession) -> None:
        items = session["line_items"]
        if items is None:
            self.line_items.remove(session_id)
        else:
            self.line_items.insert(session_id, items)
        self.sessions.insert(session_id, stored_session(session))

    def remove(self, session_id: str) -> None:
        """Drop the session and its line items together (nothing is left behind)."""
        self.line_items.remove(session_id)
        self.sessions.remove(session_id)

    def len(self) -> int:
        return self.sessions.len()


# Sessions: most encode to under 1 KB and take a 3 KB slot; big ones (metadata, long URLs)
# a 48 KB slot. Memory 5 keeps its declaration, so sessions stored before the split read
# back unchanged. New sessions must fit in 46 KB: payment fields are filled in later.
sessions_map = SessionStore(
    TieredMap(sessions_small_map, sessions_large_map, 3_000, 46_000, stored_session_bytes), session_line_items_map
)


def counter(name: str) -> int:
    """The current value of a named counter (0 if never bumped)."""
    value = counters_map.get(name)
    return 0 if value is None else value


def bump(name: str, delta: int = 1) -> int:
    """Add delta to a named counter and return the new value (never below 0)."""
    value = counter(name) + delta
    if value < 0:
        value = 0
    counters_map.insert(name, value)
    return value


def set_counter(name: str, value: int) -> None:
    counters_map.insert(name, value)


def clear_counter(name: str) -> None:
    counters_map.remove(name)


def prune_sequence(index_map, seq_name: str, cursor_name: str, budget: int, drop) -> int:
    """Walk a `seq -> value` index oldest first from the `cursor_name` counter, at most
    `budget` entries: `drop(value)` removes what the entry refers to and returns True, or
    returns False when that entry is not due yet (the walk stops there)."""
    cursor = counter(cursor_name) + 1
    top = counter(seq_name)
    walked = 0
    while cursor <= top and walked < budget and budget_left():
        value = index_map.get(cursor)
        if value is not None:
            if not drop(value):
                break
            index_map.remove(cursor)
        set_counter(cursor_name, cursor)
        cursor += 1
        walked += 1
    return walked


def merchant_state() -> MerchantState:
    """The install-time settings (routing key, factory, profile)."""
    return state_map.get(0)


def copy_record(record: dict) -> dict:
    """A shallow copy of a record value (no `{**d}`: RustPython bug #4932)."""
    result = {}
    for key in record:
        result[key] = record[key]
    return result
