"""Custom reports from the day buckets, scheduled reports delivered on schedule as signed
`report.ready` webhooks (time travel), and factory reporting that never gets in the way of
payments when the factory cannot be reached."""

from __future__ import annotations

from clock_align import to_mid_day
from part2_helpers import SYMBOL, add_webhook, code, ok, paid_session

DAY = 24 * 3600
DAY_NS = DAY * 1_000_000_000


def criteria(start: int, end: int, granularity: str = "day", metrics=None, tokens=None) -> dict:
    return {
        "name": "Daily sales",
        "date_range": {"start": start, "end": end},
        "granularity": granularity,
        "metrics": metrics or ["payments", "volume", "refunds"],
        "tokens": tokens or [],
    }


def schedule(frequency: str = "daily", lookback: int = 1) -> dict:
    return {
        "name": "Sales digest",
        "frequency": frequency,
        "metrics": ["payments", "volume"],
        "tokens": [SYMBOL],
        "lookback_days": lookback,
    }


def test_custom_report_rows_and_totals(shop):
    start = to_mid_day(shop.server) // DAY_NS * DAY_NS  # the first payment's UTC day
    paid_session(shop, shop.alice)
    shop.advance(DAY)
    paid_session(shop, shop.bob, 7_000_000)
    report = ok(shop.api.merchant.generate_custom_report(criteria(start, start + 3 * DAY_NS)))
    assert [r["label"] for r in report["rows"]] == sorted(r["label"] for r in report["rows"]) and len(
        report["rows"]
    ) == 3
    values = [dict((v["key"], v["value"]) for v in row["values"]) for row in report["rows"]]
    assert [v["payments"] for v in values] == [1, 1, 0]
    assert [v["volume:" + SYMBOL] for v in values] == [5_000_000, 7_000_000, 0]
    assert dict((v["key"], v["value"]) for v in report["totals"]) == {
        "payments": 2,
        "volume:" + SYMBOL: 12_000_000,
        "refunds": 0,
    }
    monthly = ok(shop.api.merchant.generate_custom_report(criteria(start, start + 3 * DAY_NS, "month")))
    assert sum(dict((v["key"], v["value"]) for v in r["values"])["payments"] for r in monthly["rows"]) == 2
    m = shop.api.merchant
    assert code(m.generate_custom_report(criteria(start, start + DAY_NS, metrics=["nope"]))) == "invalid_argument"
    assert code(m.generate_custom_report(criteria(start, start + DAY_NS, "year"))) == "invalid_argument"
    assert code(shop.alice.merchant.generate_custom_report(criteria(start, start + DAY_NS))) == "unauthorized"


def test_scheduled_reports_arrive_on_schedule(shop, receiver):
    to_mid_day(shop.server)  # the first report's day buckets begin a minute after the payment
    add_webhook(shop, receiver, ["report.ready"])
    schedule_id = ok(shop.owner.merchant.schedule_automated_report(schedule()))
    (listed,) = ok(shop.api.merchant.list_report_schedules())
    assert listed["schedule_id"] == schedule_id and listed["runs"] == 0
    paid_session(shop, shop.alice)
    shop.advance(DAY - 120)
    assert receiver.events() == []  # not due yet
    shop.advance(180)
    (first,) = receiver.events("report.ready")
    assert first["valid_with"]
    report = first["json"]["data"]["object"]
    assert report["name"] == "Sales digest" and report["totals"] == {"payments": 1, "volume:" + SYMBOL: 5_000_000}
    paid_session(shop, shop.bob)
    paid_session(shop, shop.bob)
    shop.advance(DAY)
    second = receiver.events("report.ready")[1]["json"]["data"]["object"]
    assert second["totals"]["payments"] == 2
    assert ok(shop.api.merchant.list_report_schedules())[0]["runs"] == 2
    ok(shop.owner.merchant.cancel_report_schedule(schedule_id))
    shop.advance(2 * DAY)
    assert len(receiver.events("report.ready")) == 2
    assert code(shop.owner.merchant.cancel_report_schedule(schedule_id)) == "not_found"
    assert code(shop.owner.merchant.schedule_automated_report(schedule("hourly"))) == "invalid_argument"
    assert code(shop.owner.merchant.schedule_automated_report(schedule(lookback=0))) == "invalid_argument"
    assert code(shop.api.merchant.schedule_automated_report(schedule())) == "unauthorized"


def test_factory_reporting_without_a_factory_is_idle(shop):
    paid_session(shop, shop.alice)
    shop.advance(600)
    status = ok(shop.api.merchant.get_factory_reporting_status())
    assert status["reports_sent"] == 0 and status["failures"] == 0 and status["last_attempt_at"] == 0
    assert code(shop.alice.merchant.get_factory_reporting_status()) == "unauthorized"
