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
    ReputationChangePage,
    SecurityVersions,
    SystemAlertPage,
)


class ShardInitArgs(Record):
    factory: Principal


class ShardUnitResult(Variant, total=False):
    Ok: null
    Err: text


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
    versions: SecurityVersions


class ReportAggregator(Service):
    @service_update
    def submit_metrics_report(self, report: MerchantMetricsReport) -> MetricsReceiptResult: ...

    @service_query
    def get_security_versions(self) -> SecurityVersions: ...

    @service_update
    def add_report_merchants(self, merchants: Vec[Principal]) -> ShardUnitResult: ...

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
