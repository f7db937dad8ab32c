"""Merchant analytics (seed feature 6) kept incrementally: every event bumps an all-time
counter (`an:<metric>` in merchant_store's counters map) and a per-UTC-day bucket
(`d<day>|<metric>`), so a query reads at most (days in range) x (metrics + tokens) map
entries and costs the same with 100 or 100,000 payments. Date ranges are whole UTC days.

Hooks for checkout (localnet/ARCHITECTURE.md "Merchant canister hooks"), each O(1):
`on_session_created(token, amount, modal_id)`, `on_payment_recorded(method, token, amount,
payer_text_or_None)` (from payment_records.record_payment, for every payment: ICRC-1,
ICRC-2 and one-click), `on_session_expired()`, `on_payment_refunded(token, amount)`,
`on_modal_view(modal_id)`, `on_payment_failed(token)`."""

import datetime

from kybra import ic, query

from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.counter_keys import analytics_key
from src.user_payment_canister.merchant_store import bump, counter, tokens_map
from src.user_payment_canister.service_store import customer_stats_map, day_buckets_map
from src.user_payment_canister.service_types import (
    ConversionMetricsResult,
    CustomerBehaviorMetricsResult,
    DateRange,
    MerchantAnalyticsResult,
    RevenueBreakdownResult,
    TimePeriod,
)

NS = 1_000_000_000
DAY_NS = 24 * 60 * 60 * NS
NAT64_MAX = 2**64 - 1
MAX_RANGE_DAYS = 366
EPOCH_ORDINAL = 719163


def day_of(ns: int) -> int:
    return ns // DAY_NS


def bump_metric(metric: str, delta: int = 1) -> None:
    """All-time counter and today's bucket."""
    bump(analytics_key(metric), delta)
    key = "d" + str(day_of(ic.time())) + "|" + metric
    value = day_buckets_map.get(key)
    day_buckets_map.insert(key, (0 if value is None else value) + delta)


def day_value(day: int, metric: str) -> int:
    value = day_buckets_map.get("d" + str(day) + "|" + metric)
    return 0 if value is None else value


def total(metric: str) -> int:
    return counter(analytics_key(metric))


def count_customer(payer_text: "str | None", now: int) -> None:
    if payer_text is None:
        return
    bump("an:customer_payments")
    stats = customer_stats_map.get(payer_text)
    if stats is None:
        customer_stats_map.insert(payer_text, {"payments": 1, "first_payment_at": now, "last_payment_at": now})
        bump_metric("customers")
        return
    customer_stats_map.insert(
        payer_text,
        {
            "payments": stats["payments"] + 1,
            "first_payment_at": stats["first_payment_at"],
            "last_payment_at": now,
        },
    )
    if stats["payments"] == 1:
        bump_metric("repeat_customers")


def count_payment(token: str, amount: int, payer_text: "str | None") -> None:
    now = ic.time()
    bump_metric("payments")
    bump_metric("vol:" + token, amount)
    bump_metric("pay:" + token)
    count_customer(payer_text, now)


def on_session_created(token: str, amount: int, modal_id: str) -> None:
    bump_metric("sessions")


def on_payment_recorded(method: str, token: str, amount: int, payer_text: "str | None") -> None:
    """A session completed (ICRC-1 or ICRC-2) or a one-click charge went through."""
    bump_metric("oneclick" if method == "one_click" else "completed")
    count_payment(token, amount, payer_text)


def on_session_expired() -> None:
    bump_metric("expired")


def on_payment_refunded(token: str, amount: int) -> None:
    bump_metric("refunds")
    bump_metric("rvol:" + token, amount)


def on_modal_view(modal_id: str) -> None:
    bump_metric("views")


def on_payment_failed(token: str) -> None:
    bump_metric("failed")


def rate(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else part / whole


def token_symbols() -> list:
    """Tokens of the merchant (bounded by MAX_TOKENS)."""
    return tokens_map.keys()


def day_range(date_range: dict) -> "tuple":
    """(first day, last day, None) or (0, 0, error)."""
    start = date_range["start"]
    end = date_range["end"]
    if end <= start:
        return (0, 0, "invalid_argument: date_range.end must be after date_range.start")
    first = day_of(start)
    last = day_of(end - 1)
    if last - first + 1 > MAX_RANGE_DAYS:
        return (0, 0, "invalid_argument: date_range spans more than " + str(MAX_RANGE_DAYS) + " days")
    if (last + 1) * DAY_NS > NAT64_MAX:
        return (0, 0, "invalid_argument: date_range must end before the last whole UTC day a nat64 can hold")
    return (first, last, None)


def day_label(day: int) -> str:
    return datetime.date.fromordinal(EPOCH_ORDINAL + day).isoformat()


def funnel(views: int, sessions: int, completed: int, expired: int, oneclick: int) -> dict:
    return {
        "modal_views": views,
        "sessions_created": sessions,
        "sessions_completed": completed,
        "sessions_expired": expired,
        "one_click_charges": oneclick,
        "view_to_session_rate": rate(sessions, views),
        "session_to_payment_rate": rate(completed, sessions),
        "overall_conversion_rate": rate(completed, views),
        "abandonment_rate": rate(expired, completed + expired),
    }


def behaviour(new_customers: int) -> dict:
    customers = total("customers")
    repeat = total("repeat_customers")
    return {
        "total_customers": customers,
        "new_customers": new_customers,
        "repeat_customers": repeat,
        "one_time_customers": customers - repeat,
        "repeat_rate": rate(repeat, customers),
        "average_payments_per_customer": rate(total("customer_payments"), customers),
    }


def volume_entries(sums: dict) -> list:
    return [{"key": symbol, "value": sums[symbol]} for symbol in sums if sums[symbol] > 0]


@query
def get_payment_analytics(date_range: DateRange) -> MerchantAnalyticsResult:
    err = require_staff("read analytics")
    if err is not None:
        return {"Err": err}
    first, last, err = day_range(date_range)
    if err is not None:
        return {"Err": err}
    symbols = token_symbols()
    volume = {}
    counts = {}
    refunded = {}
    for symbol in symbols:
        volume[symbol] = 0
        counts[symbol] = 0
        refunded[symbol] = 0
    sums = {
        "payments": 0,
        "failed": 0,
        "views": 0,
        "sessions": 0,
        "completed": 0,
        "expired": 0,
        "oneclick": 0,
        "customers": 0,
        "refunds": 0,
    }
    series = []
    revenue = []
    day = first
    while day <= last:
        for metric in sums:
            sums[metric] = sums[metric] + day_value(day, metric)
        day_volume = []
        for symbol in symbols:
            v = day_value(day, "vol:" + symbol)
            volume[symbol] = volume[symbol] + v
            counts[symbol] = counts[symbol] + day_value(day, "pay:" + symbol)
            refunded[symbol] = refunded[symbol] + day_value(day, "rvol:" + symbol)
            if v > 0:
                day_volume.append({"key": symbol, "value": v})
                revenue.append({"key": day_label(day) + ":" + symbol, "value": v})
        payments = day_value(day, "payments")
        sessions = day_value(day, "sessions")
        refunds = day_value(day, "refunds")
        if payments > 0 or sessions > 0 or refunds > 0:
            series.append(
                {
                    "timestamp": day * DAY_NS,
                    "label": day_label(day),
                    "transactions": payments,
                    "volume": day_volume,
                    "sessions_created": sessions,
                    "refunds": refunds,
                }
            )
        day += 1
    count = sums["payments"]
    all_volume = 0
    for symbol in symbols:
        all_volume += volume[symbol]
    top = []
    for symbol in symbols:
        if counts[symbol] > 0:
            top.append(
                {
                    "token_symbol": symbol,
                    "transaction_count": counts[symbol],
                    "volume": volume[symbol],
                    "share_of_transactions": rate(counts[symbol], count),
                }
            )
    top.sort(key=lambda t: (-t["transaction_count"], t["token_symbol"]))
    return {
        "Ok": {
            "total_volume": volume_entries(volume),
            "transaction_count": count,
            "success_rate": rate(count, count + sums["failed"]),
            "average_transaction_size": 0 if count == 0 else all_volume // count,
            "top_tokens": top,
            "conversion_funnel": funnel(
                sums["views"], sums["sessions"], sums["completed"], sums["expired"], sums["oneclick"]
            ),
            "customer_analytics": behaviour(sums["customers"]),
            "time_series_data": series,
            "revenue_by_period": revenue,
            "refund_count": sums["refunds"],
            "refunded_volume": volume_entries(refunded),
            "failed_payments": sums["failed"],
        }
    }


@query
def get_conversion_metrics() -> ConversionMetricsResult:
    err = require_staff("read analytics")
    if err is not None:
        return {"Err": err}
    return {"Ok": funnel(total("views"), total("sessions"), total("completed"), total("expired"), total("oneclick"))}


@query
def get_customer_behavior_analysis() -> CustomerBehaviorMetricsResult:
    err = require_staff("read analytics")
    if err is not None:
        return {"Err": err}
    return {"Ok": behaviour(total("customers"))}


def bucket_start(day: int, granularity: str) -> int:
    """The first day of the week (Monday) or month containing `day`."""
    if granularity == "week":
        return day - (day + 3) % 7
    if granularity == "month":
        date = datetime.date.fromordinal(EPOCH_ORDINAL + day)
        return date.replace(day=1).toordinal() - EPOCH_ORDINAL
    return day


def bucket_label(start_day: int, granularity: str) -> str:
    label = day_label(start_day)
    if granularity == "month":
        return label[:7]
    if granularity == "week":
        return "week of " + label
    return label


def breakdown(first: int, last: int, granularity: str, symbols: list, metrics: list) -> list:
    """Buckets of summed day values: [(start_day, end_day_exclusive, {metric: sum})]."""
    buckets = []
    current = None
    day = first
    while day <= last:
        start = bucket_start(day, granularity)
        if current is None or current[0] != start:
            current = [start, day, {}]
            for metric in metrics:
                current[2][metric] = 0
            buckets.append(current)
        for metric in metrics:
            current[2][metric] = current[2][metric] + day_value(day, metric)
        current[1] = day + 1
        day += 1
    return buckets


@query
def get_revenue_breakdown(period: TimePeriod) -> RevenueBreakdownResult:
    err = require_staff("read analytics")
    if err is not None:
        return {"Err": err}
    granularity = "day"
    date_range = None
    for name in period:
        granularity = name.lower()
        date_range = period[name]
    if date_range is None:
        return {"Err": "invalid_argument: period must be Day, Week or Month with a date range"}
    first, last, err = day_range(date_range)
    if err is not None:
        return {"Err": err}
    symbols = token_symbols()
    metrics = ["payments"]
    for symbol in symbols:
        metrics.append("vol:" + symbol)
        metrics.append("rvol:" + symbol)
    rows = []
    totals = {}
    for symbol in symbols:
        totals[symbol] = 0
    count = 0
    for start, end, sums in breakdown(first, last, granularity, symbols, metrics):
        volume = {}
        refunded = {}
        for symbol in symbols:
            volume[symbol] = sums["vol:" + symbol]
            refunded[symbol] = sums["rvol:" + symbol]
            totals[symbol] = totals[symbol] + volume[symbol]
        count += sums["payments"]
        rows.append(
            {
                "label": bucket_label(start, granularity),
                "start": max(start, first) * DAY_NS,
                "end": end * DAY_NS,
                "transactions": sums["payments"],
                "volume": volume_entries(volume),
                "refunded": volume_entries(refunded),
            }
        )
    return {
        "Ok": {
            "granularity": granularity,
            "start": first * DAY_NS,
            "end": (last + 1) * DAY_NS,
            "buckets": rows,
            "total_transactions": count,
            "total_volume": volume_entries(totals),
        }
    }
