"""Candid types of the merchant services built on checkout: one-click pre-authorizations,
security and verification, analytics, webhooks, events and reports (seed features 4, 6 and 7).
Seed `HashMap<String, X>` fields are vectors of `{key; value}` records; results are
`variant { Ok; Err : text }`; times are nanoseconds, amounts token base units."""

from kybra import Opt, Principal, Record, Variant, Vec, blob, float64, nat, nat8, nat32, nat64, null, text

from src.common.factory_api import SystemAlert
from src.common.merchant_api import MetadataPair


class TokenVolumeEntry(Record):
    key: text
    value: nat


class MerchantEvent(Record):
    event_id: text
    event_type: text
    object_id: text
    data_json: text
    created_at: nat64
    seq: nat64
    type_seq: nat64
    deliveries: nat32


class MerchantEventResult(Variant, total=False):
    Ok: MerchantEvent
    Err: text


class MerchantEventPage(Record):
    events: Vec[MerchantEvent]
    next_cursor: Opt[text]


class MerchantEventPageResult(Variant, total=False):
    Ok: MerchantEventPage
    Err: text


class WebhookDeliveryStats(Record):
    total_deliveries: nat64
    successful_deliveries: nat64
    failed_deliveries: nat64
    pending_deliveries: nat64
    total_attempts: nat64
    failed_attempts: nat64
    last_attempt_at: Opt[nat64]
    last_success_at: Opt[nat64]
    last_status_code: Opt[nat32]


class WebhookDeliveryStatsResult(Variant, total=False):
    Ok: WebhookDeliveryStats
    Err: text


class WebhookConfig(Record):
    webhook_id: text
    url: text
    events: Vec[text]
    secret: text
    active: bool
    delivery_stats: WebhookDeliveryStats
    previous_secret: Opt[text]
    previous_secret_expires_at: Opt[nat64]
    created_at: nat64
    updated_at: nat64


class WebhookConfigResult(Variant, total=False):
    Ok: WebhookConfig
    Err: text


class WebhookListResult(Variant, total=False):
    Ok: Vec[WebhookConfig]
    Err: text


class WebhookDelivery(Record):
    delivery_id: text
    webhook_id: text
    event_id: text
    status: text
    attempts: nat32
    next_attempt_at: nat64
    created_at: nat64
    completed_at: Opt[nat64]
    last_status_code: Opt[nat32]
    last_error: Opt[text]


class WebhookAttempt(Record):
    delivery_id: text
    event_id: text
    attempt: nat32
    attempted_at: nat64
    status_code: Opt[nat32]
    error: Opt[text]
    success: bool


class WebhookAttemptListResult(Variant, total=False):
    Ok: Vec[WebhookAttempt]
    Err: text


class WebhookTestResult(Record):
    webhook_id: text
    event_id: text
    success: bool
    status_code: Opt[nat32]
    error: Opt[text]
    response_time_ns: nat64


class WebhookTestResultResult(Variant, total=False):
    Ok: WebhookTestResult
    Err: text


class SpendingLimit(Record):
    max_per_transaction: nat64
    max_per_period: nat64
    period_seconds: nat64


class SpendingLimitEntry(Record):
    key: text
    value: SpendingLimit


class PaymentProfile(Record):
    profile_id: text
    principal: Principal
    email: Opt[text]
    preferred_tokens: Vec[text]
    spending_limits: Vec[SpendingLimitEntry]
    auto_approve_under: nat64
    merchant_specific_settings: Vec[MetadataPair]
    created_at: nat64
    last_used: nat64


class PaymentProfileResult(Variant, total=False):
    Ok: PaymentProfile
    Err: text


class SpendWindow(Record):
    period_start: nat64
    spent: nat64
    reserved: nat64


class PreAuthorizedPayment(Record):
    auth_id: text
    customer_principal: Principal
    max_amount: nat64
    token_symbol: text
    expires_at: nat64
    uses_remaining: nat32
    merchant_specific_data: Vec[MetadataPair]
    status: text
    created_at: nat64
    total_charged: nat64
    charges: nat32
    in_flight: bool


class OneClickChargeLock(Record):
    payment_id: text
    amount: nat64
    created_at_time: nat64
    started_at: nat64
    spend_key: text
    ledger_canister_id: Principal


class PreAuthorizationResult(Variant, total=False):
    Ok: PreAuthorizedPayment
    Err: text


class PreAuthorizationArgs(Record):
    customer: Principal
    max_amount: nat64
    token: text
    duration: nat64
    uses: nat32
    metadata: Vec[MetadataPair]


class OneClickAnalytics(Record):
    total_profiles: nat64
    total_authorizations: nat64
    active_authorizations: nat64
    revoked_authorizations: nat64
    successful_charges: nat64
    declined_charges: nat64
    volume: Vec[TokenVolumeEntry]
    average_charge: nat64
    registered_with_network: bool


class OneClickAnalyticsResult(Variant, total=False):
    Ok: OneClickAnalytics
    Err: text


class RateLimitConfig(Record):
    max_payments_per_hour: nat32
    max_payments_per_day: nat32
    max_verification_requests_per_hour: nat32


class VerificationPreferences(Record):
    email_enabled: bool
    sms_enabled: bool
    totp_enabled: bool
    code_ttl_seconds: nat32
    max_attempts: nat32


class RiskTolerance(Variant, total=False):
    Low: null
    Medium: null
    High: null


class MerchantSecurityConfig(Record):
    require_2fa_over: nat64
    allowed_countries: Vec[text]
    merchant_blocked_addresses: Vec[text]
    custom_rate_limits: RateLimitConfig
    verification_preferences: VerificationPreferences
    risk_tolerance: RiskTolerance


class MerchantSecurityConfigResult(Variant, total=False):
    Ok: MerchantSecurityConfig
    Err: text


class RiskAssessment(Record):
    risk_score: nat8
    decision: text
    reasons: Vec[text]
    rules: Vec[text]
    requires_verification: bool
    assessed_at: nat64


class RiskAssessmentResult(Variant, total=False):
    Ok: RiskAssessment
    Err: text


class CustomerRiskStats(Record):
    payments: nat64
    total_amount: nat
    hour_start: nat64
    hour_count: nat32
    day_start: nat64
    day_count: nat32
    first_payment_at: nat64
    last_payment_at: nat64


class SecurityAlert(Record):
    alert_id: text
    alert_type: text
    severity: text
    message: text
    customer: Opt[Principal]
    created_at: nat64


class SecurityAlertListResult(Variant, total=False):
    Ok: Vec[SecurityAlert]
    Err: text


class VerificationMethod(Variant, total=False):
    Email: null
    Sms: null
    Totp: null


class VerificationStatus(Variant, total=False):
    Unverified: null
    Pending: null
    Verified: null
    Failed: null
    Expired: null
    Locked: null
    Required: null


class VerificationStatusResult(Variant, total=False):
    Ok: VerificationStatus
    Err: text


class TransactionVerification(Record):
    verification_id: text
    transaction_amount: nat64
    customer_principal: Principal
    verification_method: VerificationMethod
    status: VerificationStatus
    initiated_at: nat64
    expires_at: nat64
    attempts: nat32


class TransactionVerificationResult(Variant, total=False):
    Ok: TransactionVerification
    Err: text


class StoredVerification(Record):
    verification: TransactionVerification
    code_hash: blob
    max_attempts: nat32


class CustomerVerificationState(Record):
    status: text
    verified_at: nat64
    required_reason: Opt[text]
    required_at: nat64
    locked_until: nat64
    failures: nat32


class TotpSecretRecord(Record):
    secret: blob
    registered_at: nat64
    last_step: nat64


class VerifyResult(Variant, total=False):
    Ok: bool
    Err: text


class DateRange(Record):
    start: nat64
    end: nat64


class TimePeriod(Variant, total=False):
    Day: DateRange
    Week: DateRange
    Month: DateRange


class TokenUsageStats(Record):
    token_symbol: text
    transaction_count: nat64
    volume: nat
    share_of_transactions: float64


class ConversionMetrics(Record):
    modal_views: nat64
    sessions_created: nat64
    sessions_completed: nat64
    sessions_expired: nat64
    one_click_charges: nat64
    view_to_session_rate: float64
    session_to_payment_rate: float64
    overall_conversion_rate: float64
    abandonment_rate: float64


class ConversionMetricsResult(Variant, total=False):
    Ok: ConversionMetrics
    Err: text


class CustomerBehaviorMetrics(Record):
    total_customers: nat64
    new_customers: nat64
    repeat_customers: nat64
    one_time_customers: nat64
    repeat_rate: float64
    average_payments_per_customer: float64


class CustomerBehaviorMetricsResult(Variant, total=False):
    Ok: CustomerBehaviorMetrics
    Err: text


class CustomerStats(Record):
    payments: nat64
    first_payment_at: nat64
    last_payment_at: nat64


class TimeSeriesPoint(Record):
    timestamp: nat64
    label: text
    transactions: nat64
    volume: Vec[TokenVolumeEntry]
    sessions_created: nat64
    refunds: nat64


class RevenuePeriodEntry(Record):
    key: text
    value: nat


class MerchantAnalytics(Record):
    total_volume: Vec[TokenVolumeEntry]
    transaction_count: nat64
    success_rate: float64
    average_transaction_size: nat64
    top_tokens: Vec[TokenUsageStats]
    conversion_funnel: ConversionMetrics
    customer_analytics: CustomerBehaviorMetrics
    time_series_data: Vec[TimeSeriesPoint]
    revenue_by_period: Vec[RevenuePeriodEntry]
    refund_count: nat64
    refunded_volume: Vec[TokenVolumeEntry]
    failed_payments: nat64


class MerchantAnalyticsResult(Variant, total=False):
    Ok: MerchantAnalytics
    Err: text


class RevenueBucket(Record):
    label: text
    start: nat64
    end: nat64
    transactions: nat64
    volume: Vec[TokenVolumeEntry]
    refunded: Vec[TokenVolumeEntry]


class RevenueBreakdown(Record):
    granularity: text
    start: nat64
    end: nat64
    buckets: Vec[RevenueBucket]
    total_transactions: nat64
    total_volume: Vec[TokenVolumeEntry]


class RevenueBreakdownResult(Variant, total=False):
    Ok: RevenueBreakdown
    Err: text


class ReportCriteria(Record):
    name: text
    date_range: DateRange
    granularity: text
    metrics: Vec[text]
    tokens: Vec[text]


class ReportRow(Record):
    label: text
    start: nat64
    values: Vec[RevenuePeriodEntry]


class CustomReport(Record):
    report_id: text
    name: text
    generated_at: nat64
    criteria: ReportCriteria
    rows: Vec[ReportRow]
    totals: Vec[RevenuePeriodEntry]


class CustomReportResult(Variant, total=False):
    Ok: CustomReport
    Err: text


class ReportSchedule(Record):
    name: text
    frequency: text
    metrics: Vec[text]
    tokens: Vec[text]
    lookback_days: nat32


class ScheduledReport(Record):
    schedule_id: text
    schedule: ReportSchedule
    next_run_at: nat64
    last_run_at: Opt[nat64]
    runs: nat32
    created_at: nat64


class ScheduledReportListResult(Variant, total=False):
    Ok: Vec[ScheduledReport]
    Err: text


class FactoryReportStatus(Record):
    reports_sent: nat64
    failures: nat64
    last_attempt_at: nat64
    last_success_at: nat64
    last_error: Opt[text]
    registered_for_one_click: bool
    blocklist_seq: nat64


class FactoryReportStatusResult(Variant, total=False):
    Ok: FactoryReportStatus
    Err: text


class FactorySyncStatus(Record):
    reports_skipped: nat64
    version_checks: nat64
    log_pulls: nat64
    ticks_since_sync: nat64
    last_tick_at: nat64
    report_shard: Opt[Principal]
    shard_reports: nat64
    shard_fallbacks: nat64
    one_click_settlements_queued: nat64


class FactorySyncStatusResult(Variant, total=False):
    Ok: FactorySyncStatus
    Err: text


class BusinessProfile(Record):
    # The merchant's own region and industry, sent with its metric reports so the factory's
    # geography, benchmarks and regional recommendations group it (None: unknown).
    region: Opt[text]
    industry: Opt[text]


class BusinessProfileResult(Variant, total=False):
    Ok: BusinessProfile
    Err: text


class SystemAlertList(Record):
    items: Vec[SystemAlert]
    next_cursor: Opt[text]


class SystemAlertPageResult(Variant, total=False):
    Ok: SystemAlertList
    Err: text
