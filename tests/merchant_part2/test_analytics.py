"""Analytics on localnet: every figure recounted from the raw records (list_payments,
list_refunds, list_checkout_sessions) after a mixed history across several days (ICRC-2
and ICRC-1 session payments, one-click charges, refunds, expired sessions, modal views);
revenue breakdowns by day/week/month that add up; and the metered cost of each analytics
query, equal with few and with many payments (benchmarks/merchant_analytics_cost.py)."""

from __future__ import annotations

import os
import sys
from collections import Counter

from clock_align import to_mid_day
from merchant_client import modal_config
from part2_helpers import SYMBOL, approve_merchant, charge, code, ok, paid_session

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))

DAY = 24 * 3600
DAY_NS = DAY * 1_000_000_000


def all_pages(method) -> list:
    items, cursor = [], []
    while True:
        page = ok(method(cursor, [100]))
        key = [k for k in page if k != "next_cursor"][0]
        items += page[key]
        if not page["next_cursor"]:
            return items
        cursor = page["next_cursor"]


def build_history(shop) -> None:
    modal_id = ok(shop.owner.merchant.create_modal_config(modal_config()))
    for _ in range(2):
        ok(shop.stranger.merchant.track_modal_view(modal_id))
    paid_session(shop, shop.alice)  # day 0: ICRC-2
    s = shop.create_session(3_000_000)  # day 0: ICRC-1
    ok(shop.complete(shop.bob, s, shop.send_to_session(shop.bob, s, 3_000_000)))
    shop.create_session(modal_config_id=[modal_id])  # will expire
    shop.advance(DAY + 60)
    approve_merchant(shop, shop.alice)  # day 1: one-click
    auth_id = ok(shop.alice.merchant.create_pre_authorization(shop.alice.principal, 2_000_000, SYMBOL, 3600))
    ok(charge(shop, auth_id, 2_000_000))
    ok(charge(shop, auth_id, 750_000))
    assert code(charge(shop, auth_id, 2_000_001)) == "limit_exceeded"  # a declined attempt
    shop.advance(8 * DAY)  # day 9: a refund and another payment
    payment = paid_session(shop, shop.bob)
    ok(shop.owner.merchant.refund_payment(payment["payment_intent_id"][0], [1_000_000], []))


def test_analytics_equal_a_recount_of_the_raw_records(shop):
    start = to_mid_day(shop.server) // DAY_NS * DAY_NS  # day 0 is one UTC day
    build_history(shop)
    end = shop.now() // DAY_NS * DAY_NS + DAY_NS
    payments = all_pages(shop.api.merchant.list_payments)
    refunds = all_pages(shop.api.merchant.list_refunds)
    sessions = all_pages(shop.api.merchant.list_checkout_sessions)
    a = ok(shop.api.merchant.get_payment_analytics({"start": start, "end": end}))
    assert a["transaction_count"] == len(payments) == 5
    assert a["total_volume"] == [{"key": SYMBOL, "value": sum(p["amount"] for p in payments)}]
    assert a["average_transaction_size"] == sum(p["amount"] for p in payments) // len(payments)
    assert a["refund_count"] == len(refunds) == 1
    assert a["refunded_volume"] == [{"key": SYMBOL, "value": sum(r["amount"] for r in refunds)}]
    assert a["failed_payments"] == 1 and a["success_rate"] == 5 / 6
    (top,) = a["top_tokens"]
    assert top["token_symbol"] == SYMBOL and top["transaction_count"] == 5 and top["share_of_transactions"] == 1.0
    by_day = Counter((p["created_at"] // DAY_NS) * DAY_NS for p in payments)
    assert {p["timestamp"]: p["transactions"] for p in a["time_series_data"] if p["transactions"]} == dict(by_day)
    volume_by_day = Counter()
    for p in payments:
        volume_by_day[(p["created_at"] // DAY_NS) * DAY_NS] += p["amount"]
    for point in a["time_series_data"]:
        assert sum(v["value"] for v in point["volume"]) == volume_by_day[point["timestamp"]]
    assert sum(e["value"] for e in a["revenue_by_period"]) == sum(p["amount"] for p in payments)
    funnel = a["conversion_funnel"]
    statuses = Counter(list(s["status"])[0] for s in sessions)
    assert funnel["sessions_created"] == len(sessions) == 4
    assert funnel["sessions_completed"] == statuses["complete"] == 3
    assert funnel["sessions_expired"] == statuses["expired"] == 1
    assert funnel["one_click_charges"] == sum(1 for p in payments if p["method"] == "one_click") == 2
    assert funnel["modal_views"] == 2 and funnel["abandonment_rate"] == 1 / 4
    payers = Counter(p["payer"][0]["owner"].to_str() for p in payments)
    behaviour = ok(shop.api.merchant.get_customer_behavior_analysis())
    assert behaviour["total_customers"] == len(payers) == 2
    assert behaviour["repeat_customers"] == sum(1 for n in payers.values() if n >= 2) == 2
    assert behaviour["average_payments_per_customer"] == len(payments) / len(payers)
    assert ok(shop.api.merchant.get_conversion_metrics()) == funnel
    # a range holding only the first day sees only the first day
    first_day = ok(shop.api.merchant.get_payment_analytics({"start": start, "end": start + DAY_NS}))
    assert first_day["transaction_count"] == by_day[start] == 2


def test_revenue_breakdown_by_day_week_month_adds_up(shop):
    start = to_mid_day(shop.server) // DAY_NS * DAY_NS  # day 0 is one UTC day
    build_history(shop)
    end = start + 40 * DAY_NS
    payments = all_pages(shop.api.merchant.list_payments)
    total = sum(p["amount"] for p in payments)
    for granularity in ("Day", "Week", "Month"):
        b = ok(shop.api.merchant.get_revenue_breakdown({granularity: {"start": start, "end": end}}))
        assert b["granularity"] == granularity.lower()
        assert b["total_transactions"] == len(payments)
        assert sum(sum(v["value"] for v in row["volume"]) for row in b["buckets"]) == total
        assert b["total_volume"] == [{"key": SYMBOL, "value": total}]
        assert sum(row["transactions"] for row in b["buckets"]) == len(payments)
        starts = [row["start"] for row in b["buckets"]]
        assert starts == sorted(starts) and starts[0] == start
    assert len(ok(shop.api.merchant.get_revenue_breakdown({"Day": {"start": start, "end": end}}))["buckets"]) == 40
    assert code(shop.api.merchant.get_revenue_breakdown({"Day": {"start": end, "end": start}})) == "invalid_argument"
    assert (
        code(shop.api.merchant.get_payment_analytics({"start": start, "end": start + 400 * DAY_NS}))
        == "invalid_argument"
    )
    for party in (shop.alice, shop.stranger, shop.anon):
        assert code(party.merchant.get_payment_analytics({"start": start, "end": end})) == "unauthorized"
        assert code(party.merchant.get_conversion_metrics()) == "unauthorized"


def test_analytics_queries_cost_the_same_with_more_payments():
    from merchant_analytics_cost import run

    (few_count, few), (many_count, many) = run([3, 40])
    assert (few_count, many_count) == (3, 40)
    assert few == many, (few, many)
    assert all(cost > 0 for cost in few.values())
