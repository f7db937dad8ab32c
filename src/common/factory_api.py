"""The factory methods merchant canisters call, and the types they exchange.

Merchant canisters import `PaymentFactory` and build it with the factory id from their init
args. Types shared by both canisters in the seed (`ModalTheme`, `TransactionData`) are
defined here once: the merchant canister imports them from this module instead of
redefining them (Kybra needs type names unique across every imported module).

Conventions (DESIGN.md): seed `HashMap<K, V>` is a `Vec` of `{key; value}` records,
`u64` is nat64, `f64` is float64, results are `variant { Ok; Err : text }` whose text starts
with a stable snake_case code. Fiat amounts exchanged with the factory are USD cents:
`validate_cross_merchant_limits`, `record_cross_merchant_payment`, `volume_usd_cents`,
`PaymentPattern.amount/average_amount` and the `amount` of `get_global_token_recommendations`
(merchants convert with `get_real_time_rates`); a one-click charge is sent in base units
and valued by the factory (`reserve_one_click_spend`). `TransactionData.amount` is in base units
of `token_symbol`. Global security reaches merchants by pull: `get_global_blocklist_changes`
(incremental by seq), `check_principal_reputation`, `validate_transaction_against_global_rules`.
"""

from kybra import (
    Opt,
    Principal,
    Record,
    Service,
    Variant,
    Vec,
    float64,
    int64,
    nat,
    nat32,
    nat64,
    null,
    service_query,
    service_update,
    text,
)


class FactoryUnitResult(Variant, total=False):
    Ok: null
    Err: text


class FactoryTextResult(Variant, total=False):
    Ok: text
    Err: text


class FactoryBoolResult(Variant, total=False):
    Ok: bool
    Err: text


class GlobalRateEntry(Record):
    key: text
    value: float64


class TimedRate(Record):
    # A USD rate with the time it was true (the XRC's timestamp, seconds since the epoch):
    # a merchant prices only with rates younger than its bound.
    symbol: text
    rate_usd: float64
    timestamp_seconds: nat64


class OneClickSettlement(Record):
    # how a one-click charge's factory reservation ended: confirmed (charged) or released
    reservation_id: text
    confirmed: bool


class OneClickReserveArgs(Record):
    # a one-click charge as the factory values it: the customer's principal as text (as
    # the factory keys its maps), the token by symbol and ledger (the factory's own rate
    # table), the amount in base units; and the merchant's settlements queued since its
    # last call, applied first (settle_one_click_reservations)
    customer: text
    token_symbol: text
    ledger: Principal
    amount: nat64
    settlements: Vec[OneClickSettlement]


class OneClickReservation(Record):
    reservation_id: text
    usd_cents: nat64


class OneClickReservationResult(Variant, total=False):
    Ok: OneClickReservation
    Err: text


class SettlementRefusal(Record):
    reservation_id: text
    error: text


class SettlementReceipt(Record):
    # every settlement of the call was handled: ended now, already ended (no-op) or refused
    settled: nat32
    already_ended: nat32
    refused: Vec[SettlementRefusal]


class OneClickReserveReply(Record):
    reservation: OneClickReservationResult
    settlements: SettlementReceipt


class OneClickReserveResult(Variant, total=False):
    Ok: OneClickReserveReply
    Err: text


class SettlementBatchResult(Variant, total=False):
    Ok: SettlementReceipt
    Err: text


class GlobalNat64Entry(Record):
    key: text
    value: nat64


class ModalTheme(Record):
    primary_color: text
    background_color: text
    text_color: text
    font_family: text
    border_radius: nat32
    dark_mode: bool


class GlobalModalTemplate(Record):
    template_id: text
    template_name: text
    category: text
    preview_url: text
    is_public: bool
    created_by: Principal
    usage_count: nat64
    base_theme: ModalTheme


class GlobalModalTemplateResult(Variant, total=False):
    Ok: GlobalModalTemplate
    Err: text


class GlobalTokenVolume(Record):
    token: text
    amount: nat


class GlobalTemplateConversion(Record):
    template_id: text
    views: nat64
    conversions: nat64


class MerchantMetricsReport(Record):
    # Cumulative totals since the merchant canister was installed: the factory keeps the
    # last report per merchant and applies the difference, so a resent report is harmless.
    transaction_count: nat64
    successful_payments: nat64
    failed_payments: nat64
    refunded_payments: nat64
    sessions_created: nat64
    sessions_completed: nat64
    modal_views: nat64
    hosted_page_views: nat64
    volume_usd_cents: nat64
    volume_by_token: Vec[GlobalTokenVolume]
    template_conversions: Vec[GlobalTemplateConversion]
    region: Opt[text]
    industry: Opt[text]


class ReputationScore(Record):
    principal_id: Principal
    score: float64
    level: text
    blocked: bool
    block_reason: Opt[text]
    reports: nat64
    reasons: Vec[text]


class GlobalBlocklistChange(Record):
    seq: nat64
    principal_id: Principal
    blocked: bool
    reason: text
    changed_at: nat64


class GlobalBlocklistPage(Record):
    changes: Vec[GlobalBlocklistChange]
    next_seq: nat64


class KnownBadAddressEntry(Record):
    seq: nat64
    address: text
    reason: text


class KnownBadAddressPage(Record):
    # Additions to the factory's known-bad addresses after `since_seq`, oldest first:
    # merchants pull them by version and refuse payers whose principal is listed.
    addresses: Vec[KnownBadAddressEntry]
    next_seq: nat64


class FraudPattern(Record):
    pattern_id: text
    description: text
    max_payments_per_hour: nat32
    max_payments_per_day: nat32
    max_amount_multiple: float64
    new_customer_max_amount: nat64  # USD cents: checked by the factory only (merchants price in base units)
    risk_weight: float64
    enabled: bool


class FraudPatternSet(Record):
    # The factory's global fraud patterns at a version (its security config version):
    # merchants keep the newest and add each matching pattern's risk_weight to a payment.
    version: nat64
    patterns: Vec[FraudPattern]


class ReputationChange(Record):
    # A principal's global reputation after a change (a report by another independent
    # owner): merchants keep the score and add risk points for it on every payment.
    seq: nat64
    principal_id: Principal
    score: float64
    reports: nat64


class ReputationChangePage(Record):
    changes: Vec[ReputationChange]
    next_seq: nat64


class SystemAlert(Record):
    # A system-wide alert from the factory's operator: pushed to every merchant canister
    # (and pulled by version as the fallback); `alert_seq` is its version.
    alert_seq: nat64
    severity: text
    title: text
    message: text
    issued_at: nat64


class SystemAlertPage(Record):
    alerts: Vec[SystemAlert]
    next_seq: nat64


class SecurityBulletin(Record):
    # One push of global security updates (security_push.py): each part holds the changes
    # after its `*_from_seq`; a merchant applies a part only when it already has every
    # change up to that seq, and by seq, so a repeated or late push changes nothing.
    blocklist_from_seq: nat64
    blocklist: GlobalBlocklistPage
    known_bad_from_seq: nat64
    known_bad: KnownBadAddressPage
    alerts_from_seq: nat64
    alerts: SystemAlertPage
    reputation_from_seq: nat64
    reputation: ReputationChangePage
    fraud_patterns: Opt[FraudPatternSet]  # only when they changed since the last push


class SecurityVersions(Record):
    # The factory's current version of each security log (its top seq) and of its fraud
    # patterns, sent back with every accepted report: a merchant pulls a log only when the
    # factory's version is past its own, so an unchanged log costs no call.
    blocklist_seq: nat64
    known_bad_seq: nat64
    reputation_seq: nat64
    alerts_seq: nat64
    fraud_patterns_version: nat64
    report_shard: Opt[Principal]  # from the factory: the report aggregator the caller reports to


class MetricsReceiptResult(Variant, total=False):
    Ok: SecurityVersions
    Err: text


class ReportCountDelta(Record):
    key: text  # a system counter (metric:<field>, active_merchants, conv_bucket:<n>, ...)
    delta: int64


class ReportRegionDelta(Record):
    # By the merchant's own region name (None: none given); the factory folds names into
    # its capped groups.
    name: Opt[text]
    merchants: int64
    volume_usd_cents: int64


class ReportIndustryDelta(Record):
    name: Opt[text]
    merchants: int64
    sessions_created: int64
    sessions_completed: int64
    transactions: int64
    successful: int64
    volume_usd_cents: int64


class ReportTokenDelta(Record):
    token: text
    amount: int  # base units (negative when a token left a merchant's report)


class ReportRegionTokenDelta(Record):
    region: Opt[text]
    token: text
    amount: int


class ReportTemplateDelta(Record):
    template_id: text
    views: int64
    conversions: int64


class ShardReportRefusal(Record):
    merchant: text
    code: text
    error: text


class ReportTotals(Record):
    # What one batch of a report aggregator shard's merchants changed in total, made at the
    # shard by common/report_deltas.py against each merchant's last report (docs/scaling.md,
    # option (b)). `seq`: the shard's batch number (the factory applies seq = its last + 1
    # once and acknowledges a re-sent last one); `reports`: the accepted reports;
    # `refused`: the first MAX_REFUSALS refused ones, `refused_count` all of them.
    seq: nat64
    reports: nat32
    counts: Vec[ReportCountDelta]
    regions: Vec[ReportRegionDelta]
    industries: Vec[ReportIndustryDelta]
    tokens: Vec[ReportTokenDelta]
    region_tokens: Vec[ReportRegionTokenDelta]
    templates: Vec[ReportTemplateDelta]
    refused: Vec[ShardReportRefusal]
    refused_count: nat32


class ReportTotalsReceipt(Record):
    # `applied`: false when the seq was the last one applied (a re-sent batch, not applied
    # twice); either way the shard may write its merchants' new last reports.
    seq: nat64
    applied: bool
    versions: SecurityVersions


class ReportTotalsResult(Variant, total=False):
    Ok: ReportTotalsReceipt
    Err: text


class ReportMarketToken(Record):
    # A tracked token's rate and supply as the factory values and checks reports with.
    symbol: text
    rate_usd: float64
    decimals: nat32
    total_supply: nat


class RiskScore(Record):
    address: text
    score: float64
    level: text
    reasons: Vec[text]


class TransactionData(Record):
    transaction_id: text
    customer: Principal
    merchant_canister: Principal
    amount: nat64
    token_symbol: text
    from_address: Opt[text]
    country: Opt[text]
    timestamp: nat64


class SecurityResult(Record):
    allowed: bool
    risk_score: float64
    required_action: text
    reasons: Vec[text]


class PaymentPattern(Record):
    customer: Principal
    amount: nat64
    token_symbol: text
    payments_last_hour: nat32
    payments_last_day: nat32
    average_amount: nat64
    country: Opt[text]
    is_new_customer: bool


class FraudScore(Record):
    score: float64
    risk_level: text
    matched_patterns: Vec[text]
    recommendation: text


class GlobalTokenRecommendation(Record):
    token_symbol: text
    score: float64
    rate_usd: float64
    estimated_fee: nat64
    volatility: float64
    reason: text


class PaymentFactory(Service):
    @service_query
    def get_global_modal_template(self, template_id: text) -> GlobalModalTemplateResult: ...

    @service_update
    def update_template_usage(self, template_id: text) -> FactoryUnitResult: ...

    @service_update
    def track_component_usage(self, component_id: text, canister_id: Principal) -> FactoryUnitResult: ...

    @service_query
    def get_component_cdn_url(self, component_id: text, version: text) -> FactoryTextResult: ...

    @service_query
    def get_real_time_rates(self) -> Vec[GlobalRateEntry]: ...

    @service_query
    def get_timed_rates(self) -> Vec[TimedRate]: ...

    @service_query
    def get_global_fee_estimates(self) -> Vec[GlobalNat64Entry]: ...

    @service_query
    def get_global_token_recommendations(self, amount: nat64, region: Opt[text]) -> Vec[GlobalTokenRecommendation]: ...

    @service_update
    def report_merchant_metrics(self, report: MerchantMetricsReport) -> FactoryUnitResult: ...

    @service_update
    def submit_metrics_report(self, report: MerchantMetricsReport) -> MetricsReceiptResult: ...

    @service_query
    def get_security_versions(self) -> SecurityVersions: ...

    @service_update
    def submit_report_totals(self, totals: ReportTotals) -> ReportTotalsResult: ...

    @service_query
    def get_report_market(self) -> Vec[ReportMarketToken]: ...

    @service_update
    def register_merchant_for_one_click(self, canister_id: Principal) -> FactoryUnitResult: ...

    @service_query
    def validate_cross_merchant_limits(self, principal: Principal, amount: nat64) -> FactoryBoolResult: ...

    @service_update
    def record_cross_merchant_payment(self, principal: Principal, amount: nat64) -> FactoryUnitResult: ...

    @service_update
    def reserve_cross_merchant_spend(self, principal: Principal, amount: nat64) -> FactoryTextResult: ...

    @service_update
    def confirm_cross_merchant_spend(self, reservation_id: text) -> FactoryUnitResult: ...

    @service_update
    def reserve_one_click_spend(self, args: OneClickReserveArgs) -> OneClickReserveResult: ...

    @service_update
    def settle_one_click_reservations(self, settlements: Vec[OneClickSettlement]) -> SettlementBatchResult: ...

    @service_update
    def release_cross_merchant_spend(self, reservation_id: text) -> FactoryUnitResult: ...

    @service_query
    def check_principal_reputation(self, principal: Principal) -> ReputationScore: ...

    @service_update
    def report_suspicious_principal(self, principal: Principal, reason: text) -> FactoryUnitResult: ...

    @service_query
    def get_global_blocklist_changes(self, since_seq: nat64, limit: nat32) -> GlobalBlocklistPage: ...

    @service_query
    def get_known_bad_address_changes(self, since_seq: nat64, limit: nat32) -> KnownBadAddressPage: ...

    @service_query
    def get_system_alerts_since(self, since_seq: nat64, limit: nat32) -> SystemAlertPage: ...

    @service_query
    def get_reputation_changes(self, since_seq: nat64, limit: nat32) -> ReputationChangePage: ...

    @service_query
    def get_fraud_patterns_since(self, version: nat64) -> Opt[FraudPatternSet]: ...

    @service_query
    def get_address_risk_score(self, address: text) -> RiskScore: ...

    @service_query
    def validate_transaction_against_global_rules(self, transaction: TransactionData) -> SecurityResult: ...

    @service_query
    def analyze_payment_pattern(self, payment_data: PaymentPattern) -> FraudScore: ...
