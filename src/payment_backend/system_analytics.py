"""System analytics and benchmarks (seed feature 6), aggregated from merchant reports.

Merchant canisters send cumulative totals (`report_merchant_metrics`); the factory keeps
each (unsharded) merchant's last report and applies only the difference to system, token, region and
industry totals, so a resent report changes nothing and no query walks the merchants.
Each difference is plausibility-checked (base-unit volumes never shrink, never exceed the
token's supply, come with payments; counts grow by at most MAX_STEP per report), and
volume is valued in USD by the factory at its own rates when the base units arrive: the
merchant's own `volume_usd_cents` is ignored, so a price drop or a failed rate fetch on
the merchant's side never freezes the totals and no merchant sets its own USD volume.
The checks and the valuation are `common/report_checks.py` and the sums a report adds are
`common/report_deltas.py` (by the merchant's own group names; `apply_totals` folds them into
the capped groups), so whoever holds a merchant's last report can make them: a merchant
assigned to a report aggregator shard is checked, valued and summed there and the factory
writes only the shard's sums (report_totals.py; docs/scaling.md). Merchant percentiles come from a 100-bucket histogram of conversion rates.
Regions and industries are capped at 50 each (further ones count as "other").
"""

from kybra import (
    Async,
    Principal,
    Record,
    StableBTreeMap,
    Variant,
    Vec,
    float64,
    ic,
    nat,
    nat32,
    nat64,
    query,
    text,
    update,
)

from src.common.factory_api import FactoryUnitResult, GlobalRateEntry, MerchantMetricsReport, MetricsReceiptResult
from src.common.report_checks import check_report, empty_report, token_amounts, value_report
from src.common.report_deltas import add_report_delta, bucket_of, bump_total, conversion_of, new_deltas, ratio
from src.common.shard_api import ReportAggregator
from src.payment_backend.admins import caller_text, is_admin_text
from src.payment_backend.deployments import find_merchant
from src.payment_backend.factory_counters import add_count, get_count, set_count, top_seq
from src.payment_backend.global_security import rate_limited
from src.payment_backend.merchant_callers import require_merchant_canister
from src.payment_backend.report_store import last_report_map
from src.payment_backend.security_push import security_versions
from src.payment_backend.shard_registry import merchant_shard_map, shard_canister_of
from src.payment_backend.templates import note_template_conversions
from src.payment_backend.token_market import market_token, usd_cents
from src.payment_backend.volume_totals import add_region_volume, add_volume, token_volume_map

MAX_GROUPS = 50


class MerchantCount(Record):
    merchants: nat64
    volume_usd_cents: nat64


class MerchantCountEntry(Record):
    key: text
    value: MerchantCount


class GroupTotals(Record):
    merchants: nat64
    sessions_created: nat64
    sessions_completed: nat64
    transactions: nat64
    successful: nat64
    volume_usd_cents: nat64


class SystemHealthMetrics(Record):
    total_canisters: nat64
    active_canisters: nat64
    failed_deployments: nat64
    low_cycles_canisters: nat64
    factory_cycles: nat
    reports_received: nat64
    last_report_at: nat64
    direct_reports: nat64  # reports merchants sent the factory themselves
    shard_batches: nat64  # batches of reports from report aggregator shards


class SystemAnalytics(Record):
    total_system_volume: nat64
    active_merchants: nat64
    system_wide_conversion_rates: float64
    popular_payment_methods: Vec[text]
    geographic_distribution: Vec[MerchantCountEntry]
    system_health_metrics: SystemHealthMetrics


class PrincipalPercentile(Record):
    key: Principal
    value: nat32


class BenchmarkData(Record):
    industry_averages: Vec[GlobalRateEntry]
    merchant_performance_percentiles: Vec[PrincipalPercentile]
    conversion_rate_benchmarks: Vec[GlobalRateEntry]


class BenchmarkDataResult(Variant, total=False):
    Ok: BenchmarkData
    Err: text


class PerformanceComparison(Record):
    canister_id: Principal
    conversion_rate: float64
    system_conversion_rate: float64
    industry_conversion_rate: float64
    success_rate: float64
    system_success_rate: float64
    average_transaction_usd_cents: nat64
    system_average_transaction_usd_cents: nat64
    conversion_percentile: nat32
    volume_share: float64
    summary: text


class PerformanceComparisonResult(Variant, total=False):
    Ok: PerformanceComparison
    Err: text


regions_map = StableBTreeMap[text, MerchantCount](memory_id=111, max_key_size=60, max_value_size=64)
industries_map = StableBTreeMap[text, GroupTotals](memory_id=112, max_key_size=60, max_value_size=128)


def group_name(table, started: dict, name: "str | None", memo: dict) -> str:
    """The capped group of a region or industry name; `started` holds the groups a batch
    created but has not written yet (they count toward the cap). `memo` keeps each name's
    answer for the rest of the batch (one map lookup per name and batch, not per report):
    it cannot change within a batch, since groups are only added and the cap only fills."""
    if name is None:
        return "unknown"
    known = memo.get(name)
    if known is not None:
        return known
    if name in started or table.contains_key(name):
        known = name
    elif table.len() + len(started) < MAX_GROUPS:
        started[name] = True
        known = name
    else:
        known = "other"
    memo[name] = known
    return known


def new_totals() -> dict:
    """The changes accepted reports make to the system totals, summed in memory and written
    once by apply_totals: a batch of reports costs one write per total it changes, not one
    per report (docs/scaling.md). `market`: the message's cache of tracked tokens."""
    totals = new_deltas()
    totals["market"] = {}
    return totals


def capped_groups(table, pending: dict) -> tuple:
    """The sums by merchant-given name folded into the capped groups (in the order the
    names came, so the last free groups go to the first names as they did per report)."""
    started = {}
    memo = {}
    out = {}
    for name, delta in pending.items():
        group = group_name(table, started, name, memo)
        into = out.get(group)
        if into is None:
            out[group] = dict(delta)
        else:
            for field in delta:
                into[field] += delta[field]
    return out, memo


def tracked_tokens_of(tokens: dict) -> dict:
    """The tokens of the sums that are tracked or may start (at most MAX_GROUPS tokens)."""
    kept = {}
    started = 0
    for token in tokens:
        if token_volume_map.contains_key(token):
            kept[token] = True
        elif token_volume_map.len() + started < MAX_GROUPS:
            started += 1
            kept[token] = True
    return kept


def write_groups(table, pending: dict) -> None:
    for group, delta in pending.items():
        stored = table.get(group)
        if stored is None:
            stored = {}
            for name in delta:
                stored[name] = 0
        for name in delta:
            stored[name] = max(0, stored[name] + delta[name])
        table.insert(group, stored)


def apply_totals(totals: dict) -> None:
    """Write what accept_report summed: one read and write per changed total, in the
    factory's capped groups and tracked tokens."""
    for name, delta in totals["counts"].items():
        if delta != 0:
            add_count(name, delta)
    regions, region_names = capped_groups(regions_map, totals["regions"])
    write_groups(regions_map, regions)
    write_groups(industries_map, capped_groups(industries_map, totals["industries"])[0])
    kept = tracked_tokens_of(totals["tokens"])
    for token, delta in totals["tokens"].items():
        if token in kept:
            add_volume(token, delta)
    by_region = {}
    for key, delta in totals["region_tokens"].items():
        region, token = key
        if token in kept:
            bump_total(by_region, (group_name(regions_map, {}, region, region_names), token), delta)
    for key, delta in by_region.items():
        add_region_volume(key[0], key[1], delta)
    for template_id, delta in totals["templates"].items():
        note_template_conversions(template_id, delta[0], delta[1])
    if totals["counts"].get("reports_received", 0) > 0:
        set_count("last_report_at", ic.time())


def accept_report(key: str, report: dict, totals: dict) -> "str | None":
    """Check one merchant's cumulative report (key: its canister id) against its last
    accepted one, value it here, keep it as the last one and add its difference to `totals`
    (written by apply_totals): the one implementation behind a merchant's own report and a
    report aggregator's batch. Error text when refused (nothing kept or added)."""
    stored = last_report_map.get(key)
    first = stored is None
    old = empty_report() if first else stored
    amounts = (token_amounts(old), token_amounts(report))
    cache = totals["market"]

    def market(symbol: str) -> "dict | None":
        return market_token(symbol, cache)

    err = check_report(report, old, amounts, market)
    if err is not None:
        return err
    value_report(report, old, amounts, market)  # at the factory's own rates
    add_report_delta(totals, old, report, first, amounts)
    last_report_map.insert(key, report)
    return None


def merchant_report(report: dict) -> "str | None":
    """A report sent by the calling merchant canister itself (rate limited per caller). A
    merchant assigned to a report aggregator shard is counted there only (its shard holds
    its last report; a delta taken here would count it twice): refused with
    `report_via_shard`, the merchant keeps its cumulative report for the shard."""
    err = require_merchant_canister()
    if err is None and merchant_shard_map.contains_key(caller_text()):
        err = (
            "report_via_shard: "
            + caller_text()
            + " reports through its report aggregator shard; its report waits for the shard"
        )
    if err is None:
        err = rate_limited("report_merchant_metrics", caller_text())
    totals = new_totals()
    if err is None:
        err = accept_report(caller_text(), report, totals)
    if err is None:
        bump_total(totals["counts"], "direct_reports", 1)
        apply_totals(totals)
    return err


@update
def report_merchant_metrics(report: MerchantMetricsReport) -> FactoryUnitResult:
    err = merchant_report(report)
    if err is not None:
        return {"Err": err}
    return {"Ok": None}


@update
def submit_metrics_report(report: MerchantMetricsReport) -> MetricsReceiptResult:
    """report_merchant_metrics whose reply carries the factory's security versions, so the
    merchant pulls only the logs that moved (merchants send it only when a counter moved)."""
    err = merchant_report(report)
    if err is not None:
        return {"Err": err}
    return {"Ok": security_versions()}


def system_conversion() -> float:
    return ratio(get_count("metric:sessions_completed"), get_count("metric:sessions_created"))


def system_success() -> float:
    return ratio(get_count("metric:successful_payments"), get_count("metric:transaction_count"))


def system_average_cents() -> int:
    payments = get_count("metric:successful_payments")
    return 0 if payments == 0 else get_count("metric:volume_usd_cents") // payments


def popular_tokens(limit: int) -> list:
    # Bounded: at most MAX_GROUPS tokens are tracked.
    ranked = [(usd_cents(k, v), k) for k, v in token_volume_map.items() if v > 0]
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return [k for _, k in ranked[:limit]]


def region_distribution() -> list:
    return [{"key": k, "value": v} for k, v in regions_map.items()]


@query
def get_system_analytics() -> SystemAnalytics:
    return {
        "total_system_volume": get_count("metric:volume_usd_cents"),
        "active_merchants": get_count("active_merchants"),
        "system_wide_conversion_rates": system_conversion(),
        "popular_payment_methods": popular_tokens(5),
        "geographic_distribution": region_distribution(),
        "system_health_metrics": {
            "total_canisters": top_seq("deployments"),
            "active_canisters": get_count("status:active"),
            "failed_deployments": get_count("status:failed"),
            "low_cycles_canisters": get_count("low_cycles_canisters"),
            "factory_cycles": ic.canister_balance128(),
            "reports_received": get_count("reports_received"),
            "last_report_at": get_count("last_report_at"),
            "direct_reports": get_count("direct_reports"),
            "shard_batches": get_count("shard_batches"),
        },
    }


def industry_rates() -> list:
    # Bounded by MAX_GROUPS industries.
    return [
        {"key": k, "value": ratio(v["sessions_completed"], v["sessions_created"])} for k, v in industries_map.items()
    ]


@query
def calculate_system_conversion_rates() -> Vec[GlobalRateEntry]:
    out = [
        {"key": "checkout_sessions", "value": system_conversion()},
        {"key": "payment_success", "value": system_success()},
        {
            "key": "refunds",
            "value": ratio(get_count("metric:refunded_payments"), get_count("metric:successful_payments")),
        },
        {
            "key": "modal_views_to_payments",
            "value": ratio(get_count("metric:successful_payments"), get_count("metric:modal_views")),
        },
    ]
    for entry in industry_rates():
        out.append({"key": "industry:" + entry["key"], "value": entry["value"]})
    return out


@query
def get_industry_benchmarks() -> Vec[GlobalRateEntry]:
    out = []
    for name, v in industries_map.items():
        out.append({"key": name + ".conversion_rate", "value": ratio(v["sessions_completed"], v["sessions_created"])})
        out.append({"key": name + ".success_rate", "value": ratio(v["successful"], v["transactions"])})
        out.append(
            {"key": name + ".average_transaction_usd_cents", "value": ratio(v["volume_usd_cents"], v["successful"])}
        )
    return out


def percentile(rate: float) -> int:
    """Share of reporting merchants with a lower conversion-rate bucket, in percent."""
    total = get_count("reporting_merchants")
    if total == 0:
        return 0
    below = 0
    for i in range(bucket_of(rate)):
        below += get_count("conv_bucket:" + str(i))
    return int(below * 100 / total)


def load_report(canister_id: Principal):
    """(the merchant's last counted report, None) or (None, error text), a generator: from
    its report aggregator shard when it has one (the shard holds it: docs/scaling.md), else
    from the factory's own map."""
    rec, err = find_merchant(canister_id)
    if err is not None:
        return (None, err)
    caller = caller_text()
    if caller not in (rec["owner"].to_str(), canister_id.to_str()) and not is_admin_text(caller):
        return (None, "unauthorized: only the owner, the canister or an admin may read its benchmarks")
    shard = shard_canister_of(canister_id.to_str())
    if shard is None:
        report = last_report_map.get(canister_id.to_str())
    else:
        result = yield ReportAggregator(shard).get_merchant_report(canister_id)
        if getattr(result, "Err", None) is not None:
            return (None, "shard_unavailable: the merchant's report shard did not answer: " + str(result.Err)[:300])
        if "Err" in result.Ok:
            return (None, "shard_unavailable: the merchant's report shard refused: " + result.Ok["Err"][:300])
        report = result.Ok["Ok"]
    if report is None:
        return (None, "not_found: the canister has not reported metrics yet")
    return (report, None)


@update
def get_merchant_benchmarks(canister_id: Principal) -> Async[BenchmarkDataResult]:
    """An update (the spec lists no kind): a merchant with a report shard is read from it."""
    report, err = yield load_report(canister_id)
    if err is not None:
        return {"Err": err}
    name = group_name(industries_map, {}, report["industry"], {})
    totals = industries_map.get(name)
    averages = []
    if totals is not None:
        averages = [
            {"key": "conversion_rate", "value": ratio(totals["sessions_completed"], totals["sessions_created"])},
            {"key": "success_rate", "value": ratio(totals["successful"], totals["transactions"])},
            {"key": "average_transaction_usd_cents", "value": ratio(totals["volume_usd_cents"], totals["successful"])},
        ]
    return {
        "Ok": {
            "industry_averages": averages,
            "merchant_performance_percentiles": [{"key": canister_id, "value": percentile(conversion_of(report))}],
            "conversion_rate_benchmarks": industry_rates(),
        }
    }


@update
def compare_merchant_performance(canister_id: Principal) -> Async[PerformanceComparisonResult]:
    """An update, as get_merchant_benchmarks."""
    report, err = yield load_report(canister_id)
    if err is not None:
        return {"Err": err}
    conv = conversion_of(report)
    totals = industries_map.get(group_name(industries_map, {}, report["industry"], {}))
    industry_conv = 0.0 if totals is None else ratio(totals["sessions_completed"], totals["sessions_created"])
    avg = 0 if report["successful_payments"] == 0 else report["volume_usd_cents"] // report["successful_payments"]
    system_conv = system_conversion()
    summary = "above" if conv > system_conv else ("below" if conv < system_conv else "at")
    return {
        "Ok": {
            "canister_id": canister_id,
            "conversion_rate": conv,
            "system_conversion_rate": system_conv,
            "industry_conversion_rate": industry_conv,
            "success_rate": ratio(report["successful_payments"], report["transaction_count"]),
            "system_success_rate": system_success(),
            "average_transaction_usd_cents": avg,
            "system_average_transaction_usd_cents": system_average_cents(),
            "conversion_percentile": percentile(conv),
            "volume_share": ratio(report["volume_usd_cents"], get_count("metric:volume_usd_cents")),
            "summary": "conversion " + summary + " the system average",
        }
    }
