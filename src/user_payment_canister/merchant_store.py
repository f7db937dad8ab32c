"""All state of the merchant canister, in stable maps (the only state that survives an
upgrade). Memory ids 0-39 belong to part 1 (sessions, payments, modals, elements, tokens);
40+ are free for later parts. Lists are read through `seq -> id` index maps and counters,
never by walking a map (see src/common/pagination.py)."""

from kybra import Principal, StableBTreeMap, ic, nat, nat8, nat64, text

from src.common.merchant_api import HostedCheckoutSession
from src.common.tiered_map import TieredMap, text_bytes
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
sessions_large_map = StableBTreeMap[text, HostedCheckoutSession](memory_id=5, max_key_size=100, max_value_size=48_000)
session_locks_map = StableBTreeMap[text, SessionLock](memory_id=6, max_key_size=100, max_value_size=300)
session_index_map = StableBTreeMap[nat64, text](memory_id=7, max_key_size=20, max_value_size=100)
idempotency_map = StableBTreeMap[text, text](memory_id=8, max_key_size=300, max_value_size=100)
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
sessions_small_map = StableBTreeMap[text, HostedCheckoutSession](memory_id=26, max_key_size=100, max_value_size=3_000)
rate_window_index_map = StableBTreeMap[nat64, text](memory_id=27, max_key_size=20, max_value_size=350)
intent_lookups_map = StableBTreeMap[text, IntentLookup](memory_id=28, max_key_size=100, max_value_size=1_000)
sweeps_map = StableBTreeMap[text, SweepRecord](memory_id=29, max_key_size=100, max_value_size=500)
# payment id -> what its payer itself sent, for an ICRC-1 payment paid in shares by several
# senders (a refund of it is capped there); absent: the whole payment is the payer's
payer_shares_map = StableBTreeMap[text, nat](memory_id=36, max_key_size=100, max_value_size=60)

SESSION_FIXED_BYTES = 1_024  # type table, numbers, principals, blob and tags, with room to spare
SESSION_TEXT_FIELDS = ("session_id", "modal_config_id", "currency_token", "customer_email",
                       "payment_intent_id", "custom_domain", "client_reference_id", "success_url",
                       "cancel_url", "payment_account", "payment_method", "url")


def session_bytes(session: HostedCheckoutSession) -> int:
    """An upper bound of the session's encoded size (TieredMap never underestimates)."""
    size = SESSION_FIXED_BYTES
    for name in SESSION_TEXT_FIELDS:
        size += text_bytes(session.get(name))
    for pair in session["metadata"]:
        size += text_bytes(pair["key"]) + text_bytes(pair["value"])
    for option in session.get("price_options") or []:
        size += 80 + text_bytes(option["token"])
    for item in session.get("line_items") or []:
        size += 40 + text_bytes(item["name"])
    return size


# Sessions: most encode to under 1 KB and take a 3 KB slot; big ones (metadata, long URLs)
# a 48 KB slot. Memory 5 keeps its declaration, so sessions stored before the split read
# back unchanged. New sessions must fit in 46 KB: payment fields are filled in later.
sessions_map = TieredMap(sessions_small_map, sessions_large_map, 3_000, 46_000, session_bytes)


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
    while cursor <= top and walked < budget:
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


def restamp(store, key: str, record: dict) -> dict:
    """Store a copy of the lock or intent `record` with started_at = now: whoever reads it
    during the next `yield` sees the call in flight and leaves it alone."""
    stamped = copy_record(record)
    stamped["started_at"] = ic.time()
    store.insert(key, stamped)
    return stamped


def still_stamped(store, key: str, started_at: int) -> bool:
    """After a `yield`: is the lock or intent still the one stamped at `started_at`? A call
    in flight past its stale period may have been taken over by a retry or a timer; then
    only the message that took it over settles it."""
    record = store.get(key)
    return record is not None and record["started_at"] == started_at
