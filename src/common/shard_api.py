"""The report aggregator shard (src/report_aggregator/) as its callers see it.

Merchants assigned to a shard send it their reports and pull the security logs from its
mirror with the same method names and types as the factory's (src/common/factory_api.py),
so one pull implementation serves both; the factory tells a shard its merchants."""

from kybra import Opt, Principal, Record, Service, Variant, Vec, nat32, nat64, null, service_query, service_update, text

from src.common.factory_api import (
    FraudPatternSet,
    GlobalBlocklistPage,
    KnownBadAddressPage,
    MerchantMetricsReport,
    MetricsReceiptResult,
    ReportTotals,
    ReputationChangePage,
    SecurityVersions,
    SystemAlertPage,
)


class ShardInitArgs(Record):
    factory: Principal


class ShardUnitResult(Variant, total=False):
    Ok: null
    Err: text


class ShardMerchantSeed(Record):
    # A merchant the factory assigns to the shard, with its last report the factory
    # accepted (None: it never reported): the shard holds it from then on.
    merchant: Principal
    last_report: Opt[MerchantMetricsReport]


class ShardMerchantSeedsResult(Variant, total=False):
    Ok: Vec[ShardMerchantSeed]
    Err: text


class MerchantReportResult(Variant, total=False):
    Ok: Opt[MerchantMetricsReport]
    Err: text


class StagedReport(Record):
    # A report of the batch in flight: its queue entry, the report (valued when accepted)
    # and whether it was accepted (refused ones only leave the queue).
    queue_seq: nat64
    report: MerchantMetricsReport
    accepted: bool


class InflightBatch(Record):
    totals: ReportTotals
    sent_at: nat64


class ShardStatus(Record):
    factory: Principal
    merchants: nat64
    pending: nat64
    batches_sent: nat64
    batch_failures: nat64
    reports_received: nat64
    reports_forwarded: nat64
    reports_refused: nat64
    last_batch_at: nat64
    batch_seq: nat64  # the last batch the factory acknowledged
    in_flight: bool  # a batch waits for the factory's acknowledgement (re-sent as it is)
    versions: SecurityVersions


class ReportAggregator(Service):
    @service_update
    def submit_metrics_report(self, report: MerchantMetricsReport) -> MetricsReceiptResult: ...

    @service_query
    def get_security_versions(self) -> SecurityVersions: ...

    @service_update
    def add_report_merchants(self, merchants: Vec[ShardMerchantSeed]) -> ShardUnitResult: ...

    @service_update
    def remove_report_merchants(self, merchants: Vec[Principal]) -> ShardMerchantSeedsResult: ...

    @service_query
    def get_merchant_report(self, merchant: Principal) -> MerchantReportResult: ...

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
