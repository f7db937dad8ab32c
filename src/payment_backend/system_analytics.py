"""System analytics and benchmarks (seed feature 6), aggregated from merchant reports.

Merchant canisters send cumulative totals (`report_merchant_metrics`); the factory keeps
each merchant's last report and applies only the difference to system, token, region and
industry totals, so a resent report changes nothing and no query walks the merchants.
Each difference is plausibility-checked (base-unit volumes never shrink, never exceed the
token's supply, come with payments; counts grow by at most MAX_STEP per report), and
volume is valued in USD by the factory at its own rates when the base units arrive: the
merchant's own `volume_usd_cents` is ignored, so a price drop or a failed rate fetch on
the merchant's side never freezes the totals and no merchant sets its own USD volume.
Merchant percentiles come from a 100-bucket histogram of conversion rates.
Regions and industries are capped at 50 each (further ones count as "other").
"""

from kybra import Opt, Principal, Record, StableBTreeMap, Variant, Vec, float64, ic, nat, nat32, nat64, query, text, update

from src.common.factory_api import FactoryUnitResult, GlobalRateEntry, MerchantMetricsReport, MetricsReceiptResult
from src.common.report_checks import TOTAL_FIELDS, check_report, empty_report, token_amounts, value_report
from src.payment_backend.admins import caller_text, is_admin_text
from src.payment_backend.deployments import find_merchant
from src.payment_backend.factory_counters import add_count, get_count, set_count, top_seq
from src.payment_backend.global_security import rate_limited
from src.payment_backend.merchant_callers import require_merchant_canister
from src.payment_backend.security_push import security_versions
from src.payment_backend.templates import note_template_conversions
from src.payment_backend.token_market import market_token, usd_cents
from src.payment_backend.volume_totals import add_region_volume, add_volume, token_volume_map

MAX_GROUPS = 50
METRIC_KEYS = tuple((field, "metric:" + field) for field in TOTAL_FIELDS)  # field, its system counter


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


last_report_map = StableBTreeMap[text, MerchantMetricsReport](memory_id=110, max_key_size=100, max_value_size=8192)
regions_map = StableBTreeMap[text, MerchantCount](memory_id=111, max_key_size=60, max_value_size=64)
industries_map = StableBTreeMap[text, GroupTotals](memory_id=112, max_key_size=60, max_value_size=128)


def ratio(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else part / whole


def conversion_of(report: "dict | None") -> float:
    return 0.0 if report is None else ratio(report["sessions_completed"], report["sessions_created"])


def bucket_of(rate: float) -> int:
    return min(99, max(0, int(rate * 100)))


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


REGION_FIELDS = (("volume_usd_cents", "volume_usd_cents"),)
INDUSTRY_FIELDS = (("sessions_created", "sessions_created"), ("sessions_completed", "sessions_completed"),
                   ("transactions", "transaction_count"), ("successful", "successful_payments"),
                   ("volume_usd_cents", "volume_usd_cents"))


def new_totals() -> dict:
    """The changes accepted reports make to the system totals, summed in memory and written
    once by apply_totals: a batch of reports costs one write per total it changes, not one
    per report (docs/scaling.md)."""
    return {"counts": {}, "regions": {}, "industries": {}, "tokens": {}, "region_tokens": {}, "templates": {},
            "new_regions": {}, "new_industries": {}, "new_tokens": {}, "market": {},
            "region_names": {}, "industry_names": {}, "known_tokens": {}}


def bump_total(table: dict, key: str, delta: int) -> None:
    table[key] = table.get(key, 0) + delta


def group_delta(pending: dict, group: str, fields: tuple) -> dict:
    delta = pending.get(group)
    if delta is None:
        delta = {"merchants": 0}
        for dst, _ in fields:
            delta[dst] = 0
        pending[group] = delta
    return delta


def move_group(pending: dict, old_group: "str | None", new_group: str, old: dict, new: dict, fields: tuple) -> None:
    """Takes one merchant's old report out of old_group's totals (None: it was in none) and
    adds its new report to new_group's; `fields` pairs each total with its report field."""
    if old_group == new_group:
        delta = group_delta(pending, new_group, fields)
        for dst, src in fields:
            delta[dst] += new[src] - old[src]
        return
    if old_group is not None:
        delta = group_delta(pending, old_group, fields)
        delta["merchants"] -= 1
        for dst, src in fields:
            delta[dst] -= old[src]
    delta = group_delta(pending, new_group, fields)
    delta["merchants"] += 1
    for dst, src in fields:
        delta[dst] += new[src]


def apply_groups(totals: dict, old: dict, new: dict, first: bool) -> tuple:
    """Moves the merchant's contribution from its old region/industry to the new one; the
    old and new region group names."""
    regions, industries = totals["new_regions"], totals["new_industries"]
    region_names, industry_names = totals["region_names"], totals["industry_names"]
    old_region = group_name(regions_map, regions, old["region"], region_names) if not first else None
    new_region = group_name(regions_map, regions, new["region"], region_names)
    move_group(totals["regions"], old_region, new_region, old, new, REGION_FIELDS)
    old_industry = group_name(industries_map, industries, old["industry"], industry_names) if not first else None
    new_industry = group_name(industries_map, industries, new["industry"], industry_names)
    move_group(totals["industries"], old_industry, new_industry, old, new, INDUSTRY_FIELDS)
    return old_region, new_region


def apply_tokens(totals: dict, amounts: tuple, regions: tuple) -> None:
    """Per-token volume changes, globally and per region (`regions`: the old and new
    capped region group names, None for a first report)."""
    old_amounts, new_amounts = amounts
    old_region, new_region = regions
    started = totals["new_tokens"]
    seen = totals["known_tokens"]
    for token in set(old_amounts.keys()) | set(new_amounts.keys()):
        known = token in old_amounts or token in started or token in seen
        if not known and token_volume_map.contains_key(token):
            seen[token] = True
            known = True
        if not known:
            if token_volume_map.len() + len(started) >= MAX_GROUPS:
                continue
            started[token] = True
        bump_total(totals["tokens"], token, new_amounts.get(token, 0) - old_amounts.get(token, 0))
        if old_region is not None and token in old_amounts:
            bump_total(totals["region_tokens"], old_region + "|" + token, -old_amounts[token])
        if token in new_amounts:
            bump_total(totals["region_tokens"], new_region + "|" + token, new_amounts[token])


def apply_templates(totals: dict, old: dict, new: dict) -> None:
    old_by_id = {}
    for entry in old["template_conversions"]:
        old_by_id[entry["template_id"]] = entry
    for entry in new["template_conversions"]:
        prev = old_by_id.get(entry["template_id"])
        delta = totals["templates"].get(entry["template_id"])
        if delta is None:
            delta = [0, 0]
            totals["templates"][entry["template_id"]] = delta
        delta[0] += entry["views"] - (0 if prev is None else prev["views"])
        delta[1] += entry["conversions"] - (0 if prev is None else prev["conversions"])


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
    """Write what accept_report summed: one read and write per changed total."""
    for name, delta in totals["counts"].items():
        if delta != 0:
            add_count(name, delta)
    write_groups(regions_map, totals["regions"])
    write_groups(industries_map, totals["industries"])
    for token, delta in totals["tokens"].items():
        add_volume(token, delta)
    for key, delta in totals["region_tokens"].items():
        region, token = key.split("|", 1)
        add_region_volume(region, token, delta)
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
    counts = totals["counts"]
    for field, name in METRIC_KEYS:
        delta = report[field] - old[field]
        if delta != 0:
            counts[name] = counts.get(name, 0) + delta
    if old["successful_payments"] == 0 and report["successful_payments"] > 0:
        bump_total(counts, "active_merchants", 1)
    old_bucket = None if first else bucket_of(conversion_of(old))
    new_bucket = bucket_of(conversion_of(report))
    if first:
        bump_total(counts, "reporting_merchants", 1)
    if old_bucket != new_bucket:
        if old_bucket is not None:
            bump_total(counts, "conv_bucket:" + str(old_bucket), -1)
        bump_total(counts, "conv_bucket:" + str(new_bucket), 1)
    regions = apply_groups(totals, old, report, first)
    apply_tokens(totals, amounts, regions)
    apply_templates(totals, old, report)
    last_report_map.insert(key, report)
    bump_total(counts, "reports_received", 1)
    return None


def merchant_report(report: dict) -> "str | None":
    """A report sent by the calling merchant canister itself (rate limited per caller)."""
    err = require_merchant_canister()
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
    return [{"key": k, "value": ratio(v["sessions_completed"], v["sessions_created"])} for k, v in industries_map.items()]


@query
def calculate_system_conversion_rates() -> Vec[GlobalRateEntry]:
    out = [
        {"key": "checkout_sessions", "value": system_conversion()},
        {"key": "payment_success", "value": system_success()},
        {"key": "refunds", "value": ratio(get_count("metric:refunded_payments"), get_count("metric:successful_payments"))},
        {"key": "modal_views_to_payments", "value": ratio(get_count("metric:successful_payments"), get_count("metric:modal_views"))},
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
        out.append({"key": name + ".average_transaction_usd_cents", "value": ratio(v["volume_usd_cents"], v["successful"])})
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


def load_report(canister_id: Principal) -> "tuple":
    rec, err = find_merchant(canister_id)
    if err is not None:
        return (None, err)
    caller = caller_text()
    if caller not in (rec["owner"].to_str(), canister_id.to_str()) and not is_admin_text(caller):
        return (None, "unauthorized: only the owner, the canister or an admin may read its benchmarks")
    report = last_report_map.get(canister_id.to_str())
    if report is None:
        return (None, "not_found: the canister has not reported metrics yet")
    return (report, None)


@query
def get_merchant_benchmarks(canister_id: Principal) -> BenchmarkDataResult:
    report, err = load_report(canister_id)
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
    return {"Ok": {
        "industry_averages": averages,
        "merchant_performance_percentiles": [{"key": canister_id, "value": percentile(conversion_of(report))}],
        "conversion_rate_benchmarks": industry_rates(),
    }}


@query
def compare_merchant_performance(canister_id: Principal) -> PerformanceComparisonResult:
    report, err = load_report(canister_id)
    if err is not None:
        return {"Err": err}
    conv = conversion_of(report)
    totals = industries_map.get(group_name(industries_map, {}, report["industry"], {}))
    industry_conv = 0.0 if totals is None else ratio(totals["sessions_completed"], totals["sessions_created"])
    avg = 0 if report["successful_payments"] == 0 else report["volume_usd_cents"] // report["successful_payments"]
    system_conv = system_conversion()
    summary = "above" if conv > system_conv else ("below" if conv < system_conv else "at")
    return {"Ok": {
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
    }}
