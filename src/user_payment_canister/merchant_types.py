"""Candid types of the merchant canister that are not part of its contract with the factory
(those live in src/common/merchant_api.py). Seed `HashMap<String, X>` fields are vectors of
`{key; value}` records; every result is `variant { Ok; Err : text }`."""

from kybra import (
    Opt,
    Principal,
    Record,
    Variant,
    Vec,
    blob,
    float64,
    nat,
    nat8,
    nat32,
    nat64,
    null,
    text,
)

from src.common.factory_api import ModalTheme
from src.common.icrc_types import Account
from src.common.merchant_api import (
    CheckoutStatus,
    HostedCheckoutSession,
    MetadataPair,
    SessionLineItem,
    SessionPriceOption,
)


class MerchantUnitResult(Variant, total=False):
    Ok: null
    Err: text


class MerchantTextResult(Variant, total=False):
    Ok: text
    Err: text


class MerchantCountResult(Variant, total=False):
    Ok: nat32
    Err: text


class MerchantCostResult(Variant, total=False):
    Ok: nat64
    Err: text


class AuthorizedPrincipal(Record):
    principal_id: Principal
    label: text
    added_by: Principal
    added_at: nat64


class AccessOverview(Record):
    owners: Vec[Principal]
    servers: Vec[AuthorizedPrincipal]
    factory: Opt[Principal]
    routing_key: text
    name: text


class AccessOverviewResult(Variant, total=False):
    Ok: AccessOverview
    Err: text


class MerchantState(Record):
    routing_key: text
    factory: Opt[Principal]
    name: text
    website: Opt[text]
    support_email: Opt[text]
    installed_at: nat64


class TokenConfig(Record):
    symbol: text
    ledger_canister_id: Principal
    name: text
    fee: nat
    decimals: nat8
    enabled: bool
    verified: bool
    added_at: nat64


class TokenConfigResult(Variant, total=False):
    Ok: TokenConfig
    Err: text


class CreateCheckoutSessionArgs(Record):
    modal_config_id: Opt[text]
    amount: nat64
    currency_token: text
    metadata: Vec[MetadataPair]
    customer_email: Opt[text]
    client_reference_id: Opt[text]
    success_url: Opt[text]
    cancel_url: Opt[text]
    expires_in_seconds: Opt[nat64]
    idempotency_key: Opt[text]
    custom_domain: Opt[text]
    line_items: Opt[Vec[SessionLineItem]]


class CheckoutSessionPage(Record):
    sessions: Vec[HostedCheckoutSession]
    next_cursor: Opt[text]


class CheckoutSessionPageResult(Variant, total=False):
    Ok: CheckoutSessionPage
    Err: text


class CheckoutSessionAnalytics(Record):
    total_sessions: nat64
    completed_sessions: nat64
    abandonment_rate: float64
    average_completion_time: nat64
    open_sessions: nat64
    expired_sessions: nat64


class CheckoutSessionAnalyticsResult(Variant, total=False):
    Ok: CheckoutSessionAnalytics
    Err: text


# A session as sessions_small_map / sessions_large_map (memory 26 / 5) hold it: their value
# type is frozen, so this is HostedCheckoutSession without the fields added later
# (`line_items` live in session_line_items_map, `url` is derived when read: see
# merchant_store.SessionStore).
class StoredCheckoutSession(Record):
    session_id: text
    modal_config_id: text
    amount: nat64
    currency_token: text
    customer_email: Opt[text]
    metadata: Vec[MetadataPair]
    status: CheckoutStatus
    payment_intent_id: Opt[text]
    expires_at: nat64
    created_at: nat64
    custom_domain: Opt[text]
    client_reference_id: Opt[text]
    success_url: text
    cancel_url: text
    ledger_canister_id: Principal
    payment_account: text
    payment_subaccount: blob
    amount_received: nat
    amount_overpaid: nat
    payer: Opt[Principal]
    ledger_block: Opt[nat]
    payment_method: Opt[text]
    completed_at: Opt[nat64]
    price_options: Opt[Vec[SessionPriceOption]]


class SessionLock(Record):
    operation: text
    caller: Principal
    started_at: nat64
    created_at_time: nat64


class TransferIntent(Record):
    kind: text
    record_id: text
    seq: nat64
    subject: text
    token_symbol: text
    ledger_canister_id: Principal
    amount: nat
    fee: nat
    to: Account
    note: Opt[text]
    created_by: Principal
    created_at_time: nat64
    started_at: nat64


class SweepRecord(Record):
    payer: Opt[Account]
    paying_block: Opt[nat]
    first_uncredited: nat
    fee: nat


class IntentLookup(Record):
    next_block: Opt[nat64]
    from_ts: nat64
    until_ts: nat64
    blocks_read: nat64
    problem: Opt[text]


class PaymentRecord(Record):
    payment_id: text
    session_id: text
    token_symbol: text
    ledger_canister_id: Principal
    expected_amount: nat
    amount: nat
    overpaid: nat
    fee: nat
    net_amount: nat
    payer: Opt[Account]
    ledger_block: Opt[nat]
    sweep_block: Opt[nat]
    method: text
    refunded: nat
    refund_pending: nat
    client_reference_id: Opt[text]
    created_at: nat64


class PaymentRecordResult(Variant, total=False):
    Ok: PaymentRecord
    Err: text


class PaymentMetadataResult(Variant, total=False):
    Ok: Vec[MetadataPair]
    Err: text


class PaymentPage(Record):
    payments: Vec[PaymentRecord]
    next_cursor: Opt[text]


class PaymentPageResult(Variant, total=False):
    Ok: PaymentPage
    Err: text


class RefundRecord(Record):
    refund_id: text
    payment_id: Opt[text]
    session_id: text
    token_symbol: text
    amount: nat
    fee: nat
    to: Account
    ledger_block: nat
    reason: Opt[text]
    created_by: Principal
    created_at: nat64


class RefundRecordResult(Variant, total=False):
    Ok: RefundRecord
    Err: text


class RefundPage(Record):
    refunds: Vec[RefundRecord]
    next_cursor: Opt[text]


class RefundPageResult(Variant, total=False):
    Ok: RefundPage
    Err: text


class PayoutRecord(Record):
    payout_id: text
    token_symbol: text
    amount: nat
    fee: nat
    to: Account
    ledger_block: nat
    memo: Opt[text]
    created_by: Principal
    created_at: nat64


class PayoutRecordResult(Variant, total=False):
    Ok: PayoutRecord
    Err: text


class PayoutPage(Record):
    payouts: Vec[PayoutRecord]
    next_cursor: Opt[text]


class PayoutPageResult(Variant, total=False):
    Ok: PayoutPage
    Err: text


class TokenBook(Record):
    symbol: text
    received: nat
    refunded: nat
    paid_out: nat
    fees: nat
    pending: nat


class BalanceReconciliation(Record):
    symbol: text
    ledger_canister_id: Principal
    book_balance: nat
    ledger_balance: nat
    pending_outgoing: nat
    difference: int
    matches: bool
    received: nat
    refunded: nat
    paid_out: nat
    fees: nat


class ReconciliationResult(Variant, total=False):
    Ok: Vec[BalanceReconciliation]
    Err: text


class PaymentOptions(Record):
    accepted_tokens: Vec[text]
    allow_token_selection: bool
    show_fiat_equivalent: bool
    collect_email: bool


class BrandingConfig(Record):
    company_name: text
    logo_url: Opt[text]
    accent_color: text
    button_text: text
    support_url: Opt[text]


class RedirectUrls(Record):
    success_url: text
    cancel_url: text


class ModalConfig(Record):
    modal_id: text
    name: text
    description: Opt[text]
    theme: ModalTheme
    payment_options: PaymentOptions
    branding: BrandingConfig
    redirect_urls: RedirectUrls
    template_id: Opt[text]
    created_at: nat64
    updated_at: nat64
    is_active: bool


class ModalConfigResult(Variant, total=False):
    Ok: ModalConfig
    Err: text


class ModalPage(Record):
    modals: Vec[ModalConfig]
    next_cursor: Opt[text]


class ModalPageResult(Variant, total=False):
    Ok: ModalPage
    Err: text


class ModalCounters(Record):
    views: nat64
    sessions: nat64
    payments: nat64
    revenue: nat


class ModalAnalytics(Record):
    modal_id: text
    total_views: nat64
    successful_payments: nat64
    conversion_rate: float64
    revenue_generated: nat64
    sessions_created: nat64
    view_to_session_rate: float64
    session_to_payment_rate: float64


class ModalAnalyticsResult(Variant, total=False):
    Ok: ModalAnalytics
    Err: text


class ElementConfiguration(Record):
    element_id: text
    component_type: text
    theme_overrides: Vec[MetadataPair]
    validation_rules: Vec[MetadataPair]
    merchant_branding: BrandingConfig
    is_active: bool


class ElementConfigurationResult(Variant, total=False):
    Ok: ElementConfiguration
    Err: text


class ElementPage(Record):
    elements: Vec[ElementConfiguration]
    next_cursor: Opt[text]


class ElementPageResult(Variant, total=False):
    Ok: ElementPage
    Err: text


class ElementUsageMetrics(Record):
    element_id: text
    total_renders: nat64
    successful_interactions: nat64
    error_rate: float64
    clicks: nat64
    errors: nat64


class ElementUsageMetricsResult(Variant, total=False):
    Ok: ElementUsageMetrics
    Err: text


class RateWindow(Record):
    window_start: nat64
    count: nat32


class TokenPriority(Record):
    key: text
    value: nat32


class TokenAmount(Record):
    key: text
    value: nat64


class MerchantTokenPreferences(Record):
    preferred_tokens: Vec[text]
    token_priorities: Vec[TokenPriority]
    minimum_amounts: Vec[TokenAmount]
    merchant_fee_overrides: Vec[TokenPriority]
    auto_convert_to: Opt[text]


class CustomerTokenHistory(Record):
    customer_principal: Principal
    token_usage_frequency: Vec[TokenPriority]
    preferred_tokens: Vec[text]
    average_transaction_sizes: Vec[TokenAmount]
    last_used_tokens: Vec[text]


class CustomerTokenHistoryResult(Variant, total=False):
    Ok: CustomerTokenHistory
    Err: text


class FiatEquivalent(Record):
    currency: text
    amount_cents: nat64
    rate: float64
    available: bool


class PersonalizedTokenRecommendation(Record):
    token_symbol: text
    available_balance: nat64
    estimated_fee: nat64
    total_cost: nat64
    fiat_equivalent: FiatEquivalent
    recommendation_score: float64
    merchant_bonus: float64
    customer_history_bonus: float64
    recommendation_reason: text


class RecommendationListResult(Variant, total=False):
    Ok: Vec[PersonalizedTokenRecommendation]
    Err: text
