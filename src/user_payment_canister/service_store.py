"""Stable state of the merchant services built on checkout (memory ids 40-79; checkout's
own maps, 0-39, are in merchant_store.py): events and webhook deliveries, security, risk and
verification, one-click profiles and pre-authorizations, analytics buckets and reports.
Named counters live in merchant_store's `counters_map` (families in counter_keys.py).
Value sizes are bytes: each map's largest record is bounded by the input checks, with text
counted at 4 bytes per character where it may be any Unicode."""

from kybra import StableBTreeMap, Vec, blob, float64, nat, nat8, nat64, text

from src.common.factory_api import FraudPatternSet
from src.common.merchant_api import MetadataPair
from src.common.tiered_map import TieredMap, text_bytes
from src.user_payment_canister.service_types import (
    BusinessProfile,
    CustomerRiskStats,
    CustomerStats,
    CustomerVerificationState,
    FactoryReportStatus,
    MerchantEvent,
    MerchantSecurityConfig,
    OneClickChargeLock,
    PaymentProfile,
    PreAuthorizedPayment,
    ScheduledReport,
    SecurityAlert,
    SpendWindow,
    StoredVerification,
    TotpSecretRecord,
    WebhookAttempt,
    WebhookConfig,
    WebhookDelivery,
)

events_large_map = StableBTreeMap[text, MerchantEvent](memory_id=40, max_key_size=100, max_value_size=20_000)
event_index_map = StableBTreeMap[nat64, text](memory_id=41, max_key_size=20, max_value_size=100)
event_type_index_map = StableBTreeMap[text, text](memory_id=42, max_key_size=150, max_value_size=100)
webhooks_map = StableBTreeMap[text, WebhookConfig](memory_id=43, max_key_size=100, max_value_size=16_000)
deliveries_large_map = StableBTreeMap[text, WebhookDelivery](memory_id=44, max_key_size=100, max_value_size=3_000)
delivery_queue_map = StableBTreeMap[text, text](memory_id=45, max_key_size=100, max_value_size=200)
attempts_map = StableBTreeMap[text, WebhookAttempt](memory_id=46, max_key_size=150, max_value_size=3_000)
security_config_map = StableBTreeMap[nat8, MerchantSecurityConfig](memory_id=47, max_key_size=16, max_value_size=60_000)
blocked_map = StableBTreeMap[text, text](memory_id=48, max_key_size=200, max_value_size=1_500)
global_blocked_map = StableBTreeMap[text, text](memory_id=49, max_key_size=200, max_value_size=2_500)
global_reputation_map = StableBTreeMap[text, float64](memory_id=69, max_key_size=200, max_value_size=24)
fraud_patterns_map = StableBTreeMap[nat8, FraudPatternSet](memory_id=70, max_key_size=16, max_value_size=16_000)
risk_customers_map = StableBTreeMap[text, CustomerRiskStats](memory_id=50, max_key_size=100, max_value_size=500)
verifications_map = StableBTreeMap[text, StoredVerification](memory_id=51, max_key_size=100, max_value_size=1_000)
customer_verification_map = StableBTreeMap[text, CustomerVerificationState](
    memory_id=52, max_key_size=100, max_value_size=2_000
)
totp_secrets_map = StableBTreeMap[text, TotpSecretRecord](memory_id=53, max_key_size=100, max_value_size=300)
alerts_map = StableBTreeMap[nat64, SecurityAlert](memory_id=54, max_key_size=20, max_value_size=3_000)
profiles_large_map = StableBTreeMap[text, PaymentProfile](memory_id=55, max_key_size=100, max_value_size=20_000)
auths_large_map = StableBTreeMap[text, PreAuthorizedPayment](memory_id=56, max_key_size=100, max_value_size=12_000)
spend_map = StableBTreeMap[text, SpendWindow](memory_id=57, max_key_size=150, max_value_size=200)
day_buckets_map = StableBTreeMap[text, nat](memory_id=58, max_key_size=100, max_value_size=60)
customer_stats_map = StableBTreeMap[text, CustomerStats](memory_id=59, max_key_size=100, max_value_size=200)
schedules_map = StableBTreeMap[text, ScheduledReport](memory_id=60, max_key_size=100, max_value_size=4_000)
report_status_map = StableBTreeMap[nat8, FactoryReportStatus](memory_id=61, max_key_size=16, max_value_size=2_000)
business_profile_map = StableBTreeMap[nat8, BusinessProfile](memory_id=75, max_key_size=16, max_value_size=400)
charge_locks_map = StableBTreeMap[text, OneClickChargeLock](memory_id=62, max_key_size=100, max_value_size=600)
expiry_index_map = StableBTreeMap[text, text](memory_id=63, max_key_size=150, max_value_size=150)
events_small_map = StableBTreeMap[text, MerchantEvent](memory_id=64, max_key_size=100, max_value_size=2_000)
# events whose payload is over the 20 KB slot (metadata near its limits, non-ASCII)
events_xl_map = StableBTreeMap[text, MerchantEvent](memory_id=78, max_key_size=100, max_value_size=124_000)
# key 0: 32 bytes of raw_rand drawn once per install (reinstall: fresh), mixed into event ids
event_salt_map = StableBTreeMap[nat8, blob](memory_id=79, max_key_size=16, max_value_size=100)

EVENT_FIXED_BYTES = 256  # type table, seq numbers and counters, with room to spare


def event_bytes(event: MerchantEvent) -> int:
    """An upper bound of the event's encoded size (TieredMap never underestimates)."""
    return EVENT_FIXED_BYTES + sum(
        text_bytes(event[name]) for name in ("event_id", "event_type", "object_id", "data_json")
    )


# Events: most payloads are a few hundred bytes (2 KB slot); bigger ones take the 20 KB slot
# of memory 40 (as before the split), and the few over it (up to merchant_events.MAX_DATA_JSON:
# an object with 50 metadata pairs at their limits) the 124 KB slot of memory 78.
EVENT_XL_LIMIT = 124_000
events_map = TieredMap(
    events_small_map,
    TieredMap(events_large_map, events_xl_map, 20_000, EVENT_XL_LIMIT, event_bytes),
    2_000,
    EVENT_XL_LIMIT,
    event_bytes,
)

deliveries_small_map = StableBTreeMap[text, WebhookDelivery](memory_id=65, max_key_size=100, max_value_size=800)

DELIVERY_FIXED_BYTES = 200  # type table, counters, times, status code, with room to spare


def delivery_bytes(delivery: WebhookDelivery) -> int:
    """An upper bound of the delivery's encoded size (TieredMap never underestimates)."""
    return DELIVERY_FIXED_BYTES + sum(
        text_bytes(delivery[name]) for name in ("delivery_id", "webhook_id", "event_id", "status", "last_error")
    )


# Deliveries: one per event and webhook, a few hundred bytes (800-byte slot) unless the
# last error text is long (the 3 KB slot of memory 44, as before the split).
deliveries_map = TieredMap(deliveries_small_map, deliveries_large_map, 800, 3_000, delivery_bytes)

profiles_small_map = StableBTreeMap[text, PaymentProfile](memory_id=66, max_key_size=100, max_value_size=1_500)
auths_small_map = StableBTreeMap[text, PreAuthorizedPayment](memory_id=67, max_key_size=100, max_value_size=1_000)

PROFILE_FIXED_BYTES = 300  # type table, principal, amounts and times, with room to spare
AUTH_FIXED_BYTES = 300


def pairs_bytes(pairs: list) -> int:
    return sum(text_bytes(p["key"]) + text_bytes(p["value"]) for p in pairs)


def profile_bytes(profile: PaymentProfile) -> int:
    """An upper bound of the profile's encoded size (TieredMap never underestimates)."""
    return (
        PROFILE_FIXED_BYTES
        + text_bytes(profile["profile_id"])
        + text_bytes(profile["email"])
        + sum(text_bytes(t) for t in profile["preferred_tokens"])
        + sum(30 + text_bytes(e["key"]) for e in profile["spending_limits"])
        + pairs_bytes(profile["merchant_specific_settings"])
    )


def auth_bytes(auth: PreAuthorizedPayment) -> int:
    """An upper bound of the pre-authorization's encoded size."""
    return (
        AUTH_FIXED_BYTES
        + text_bytes(auth["auth_id"])
        + text_bytes(auth["token_symbol"])
        + text_bytes(auth["status"])
        + pairs_bytes(auth["merchant_specific_data"])
    )


# One per one-click customer and per pre-authorization: usually a few hundred bytes.
profiles_map = TieredMap(profiles_small_map, profiles_large_map, 1_500, 20_000, profile_bytes)
auths_map = TieredMap(auths_small_map, auths_large_map, 1_000, 12_000, auth_bytes)

# The metadata a merchant gave a one-click charge, by payment id (the payment record's layout
# is frozen). Usually small (2 KB slot); 50 pairs at their limits take the 110 KB slot.
payment_metadata_small_map = StableBTreeMap[text, Vec[MetadataPair]](
    memory_id=76, max_key_size=100, max_value_size=2_000
)
payment_metadata_large_map = StableBTreeMap[text, Vec[MetadataPair]](
    memory_id=77, max_key_size=100, max_value_size=110_000
)
METADATA_FIXED_BYTES = 100  # type table and vector length, with room to spare


def metadata_bytes(pairs: list) -> int:
    """An upper bound of the pairs' encoded size (TieredMap never underestimates)."""
    return METADATA_FIXED_BYTES + pairs_bytes(pairs)


payment_metadata_map = TieredMap(payment_metadata_small_map, payment_metadata_large_map, 2_000, 110_000, metadata_bytes)
