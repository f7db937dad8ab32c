"""Custom reports (seed feature 6) from the per-day analytics buckets, and scheduled reports
delivered as `report.ready` webhook events by the maintenance timer (maintenance_timer.py).
A report reads (days in range) x (metrics) buckets, never the payments themselves."""

import json

from kybra import ic, query, text, update

from src.common.message_budget import budget_left
from src.common.validation import check_symbol, check_text
from src.user_payment_canister.access_control import require_owner, require_staff
from src.user_payment_canister.merchant_analytics import DAY_NS, breakdown, bucket_label, day_range, token_symbols
from src.user_payment_canister.merchant_events import emit_event
from src.user_payment_canister.merchant_store import bump, copy_record
from src.user_payment_canister.merchant_types import MerchantTextResult, MerchantUnitResult
from src.user_payment_canister.service_store import schedules_map
from src.user_payment_canister.service_types import (
    CustomReportResult,
    ReportCriteria,
    ReportSchedule,
    ScheduledReportListResult,
)

NS = 1_000_000_000
COUNT_METRICS = ("payments", "sessions", "completed", "expired", "refunds", "views", "oneclick", "failed", "customers")
TOKEN_METRICS = ("volume", "refunded_volume")
GRANULARITIES = ("day", "week", "month")
FREQUENCIES = {"daily": 24 * 3600, "weekly": 7 * 24 * 3600, "monthly": 30 * 24 * 3600}
MAX_METRICS = 11
MAX_REPORT_TOKENS = 10
MAX_SCHEDULES = 20
MAX_SCHEDULE_LOOKBACK_DAYS = 31


def check_selection(metrics: list, tokens: list) -> "str | None":
    if len(metrics) == 0 or len(metrics) > MAX_METRICS:
        return (
            "invalid_argument: metrics must list 1 to "
            + str(MAX_METRICS)
            + " of "
            + ", ".join(COUNT_METRICS + TOKEN_METRICS)
        )
    for name in metrics:
        if name not in COUNT_METRICS and name not in TOKEN_METRICS:
            return (
                "invalid_argument: unknown metric '"
                + name[:40]
                + "'; known: "
                + ", ".join(COUNT_METRICS + TOKEN_METRICS)
            )
    if len(tokens) > MAX_REPORT_TOKENS:
        return "invalid_argument: at most " + str(MAX_REPORT_TOKENS) + " tokens"
    for symbol in tokens:
        err = check_symbol("tokens", symbol)
        if err is not None:
            return err
    return None


def bucket_metrics(metrics: list, tokens: list) -> list:
    """The day-bucket metric names a report needs."""
    names = []
    for name in metrics:
        if name == "volume":
            for symbol in tokens:
                names.append("vol:" + symbol)
        elif name == "refunded_volume":
            for symbol in tokens:
                names.append("rvol:" + symbol)
        else:
            names.append(name)
    return names


def report_key(name: str) -> str:
    if name.startswith("vol:"):
        return "volume:" + name[4:]
    if name.startswith("rvol:"):
        return "refunded_volume:" + name[5:]
    return name


def build_report(report_id: str, criteria: dict) -> "tuple":
    """(report, None) or (None, error)."""
    err = check_text("name", criteria["name"], 100, 1) or check_selection(criteria["metrics"], criteria["tokens"])
    if err is None and criteria["granularity"] not in GRANULARITIES:
        err = "invalid_argument: granularity must be one of " + ", ".join(GRANULARITIES)
    if err is not None:
        return (None, err)
    first, last, err = day_range(criteria["date_range"])
    if err is not None:
        return (None, err)
    tokens = criteria["tokens"] if len(criteria["tokens"]) > 0 else token_symbols()
    names = bucket_metrics(criteria["metrics"], tokens)
    totals = {}
    for name in names:
        totals[name] = 0
    rows = []
    for start, end, sums in breakdown(first, last, criteria["granularity"], tokens, names):
        values = []
        for name in names:
            values.append({"key": report_key(name), "value": sums[name]})
            totals[name] = totals[name] + sums[name]
        rows.append(
            {
                "label": bucket_label(start, criteria["granularity"]),
                "start": max(start, first) * DAY_NS,
                "values": values,
            }
        )
    return (
        {
            "report_id": report_id,
            "name": criteria["name"],
            "generated_at": ic.time(),
            "criteria": criteria,
            "rows": rows,
            "totals": [{"key": report_key(name), "value": totals[name]} for name in names],
        },
        None,
    )


@query
def generate_custom_report(criteria: ReportCriteria) -> CustomReportResult:
    err = require_staff("generate reports")
    if err is not None:
        return {"Err": err}
    report, err = build_report("rep_adhoc", criteria)
    if err is not None:
        return {"Err": err}
    return {"Ok": report}


@update
def schedule_automated_report(schedule: ReportSchedule) -> MerchantTextResult:
    """A report of the last `lookback_days` days, delivered as a `report.ready` event
    every day, week or month (30 days), first one period from now."""
    err = require_owner("schedule reports") or check_text("name", schedule["name"], 100, 1)
    err = err or check_selection(schedule["metrics"], schedule["tokens"])
    if err is None and schedule["frequency"] not in FREQUENCIES:
        err = "invalid_argument: frequency must be daily, weekly or monthly"
    if err is None and (schedule["lookback_days"] < 1 or schedule["lookback_days"] > MAX_SCHEDULE_LOOKBACK_DAYS):
        err = "invalid_argument: lookback_days must be between 1 and " + str(MAX_SCHEDULE_LOOKBACK_DAYS)
    if err is not None:
        return {"Err": err}
    if schedules_map.len() >= MAX_SCHEDULES:
        return {"Err": "limit_exceeded: at most " + str(MAX_SCHEDULES) + " scheduled reports"}
    schedule_id = "sched_" + str(bump("rep:schedule_seq"))
    now = ic.time()
    schedules_map.insert(
        schedule_id,
        {
            "schedule_id": schedule_id,
            "schedule": schedule,
            "next_run_at": now + FREQUENCIES[schedule["frequency"]] * NS,
            "last_run_at": None,
            "runs": 0,
            "created_at": now,
        },
    )
    return {"Ok": schedule_id}


@query
def list_report_schedules() -> ScheduledReportListResult:
    err = require_staff("list report schedules")
    if err is not None:
        return {"Err": err}
    return {"Ok": schedules_map.values()}


@update
def cancel_report_schedule(schedule_id: text) -> MerchantUnitResult:
    err = require_owner("cancel report schedules")
    if err is not None:
        return {"Err": err}
    if len(schedule_id) > 80 or schedules_map.remove(schedule_id) is None:
        return {"Err": "not_found: report schedule " + schedule_id[:80] + " does not exist"}
    return {"Ok": None}


def report_json(report: dict) -> str:
    return json.dumps(
        {
            "report_id": report["report_id"],
            "name": report["name"],
            "generated_at": report["generated_at"],
            "rows": [
                {"label": r["label"], "start": r["start"], "values": dict((v["key"], v["value"]) for v in r["values"])}
                for r in report["rows"]
            ],
            "totals": dict((v["key"], v["value"]) for v in report["totals"]),
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def run_due_reports() -> int:
    """Timer work: build and emit every scheduled report that is due (at most
    MAX_SCHEDULES); returns how many ran."""
    now = ic.time()
    ran = 0
    for item in schedules_map.values():
        if not budget_left():
            break  # the rest stay due: the next tick runs them
        if item["next_run_at"] > now:
            continue
        schedule = item["schedule"]
        interval = FREQUENCIES[schedule["frequency"]] * NS
        runs = item["runs"] + 1
        report_id = "rep_" + item["schedule_id"] + "_" + str(runs)
        criteria = {
            "name": schedule["name"],
            "date_range": {"start": now - schedule["lookback_days"] * DAY_NS, "end": now},
            "granularity": "day",
            "metrics": schedule["metrics"],
            "tokens": schedule["tokens"],
        }
        report, err = build_report(report_id, criteria)
        if err is None:
            emit_event("report.ready", report_id, report_json(report))
        else:
            ic.print("scheduled report " + item["schedule_id"] + " failed: " + err)
        updated = copy_record(item)
        missed = (now - item["next_run_at"]) // interval
        updated["next_run_at"] = item["next_run_at"] + (missed + 1) * interval
        updated["last_run_at"] = now
        updated["runs"] = runs
        schedules_map.insert(item["schedule_id"], updated)
        ran += 1
    return ran
