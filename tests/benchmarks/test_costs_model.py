"""The cycles model (benchmarks/costs/cycles.py) and the cost report's arithmetic on
hand-worked examples, the committed cost table against the committed run, and one quick
measurement of every money path through localnet (issue 20)."""

from __future__ import annotations

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks.costs import cost_report  # noqa: E402
from benchmarks.costs.cycles import LEDGER_FEES, XDR_USD_DEFAULT, Usage, cost, usd  # noqa: E402
from localnet.runtime.cycles import APPLICATION_SUBNET, FeeTable  # noqa: E402


def test_hand_worked_operation():
    """2 executions of 1,234,567 instructions in all, one 100-byte ingress message, one call
    of 300 bytes (request + response), one outcall of 700 bytes with 4,096 reserved:
      executions   2 x 5,000,000                                    = 10,000,000
      instructions 10 x (1,234,567 // 10)                            =  1,234,560
      ingress      1,200,000 + 2,000 x 100                           =  1,400,000
      xnet         260,000 + 1,000 x 300                             =    560,000
      outcall      (3,000,000 + 60,000 x 13) x 13                    = 49,140,000
                   + (400 x 700 + 800 x 4,096) x 13                  = 46,238,400
      total                                                          = 108,572,960 cycles
    = 108,572,960 / 10^12 XDR x $1.35 = $0.000146573496."""
    u = Usage(
        executions=2,
        instructions=1_234_567,
        ingress_messages=1,
        ingress_bytes=100,
        calls=1,
        call_bytes=300,
        outcalls=1,
        outcall_request_bytes=700,
        outcall_max_response_bytes=4096,
    )
    parts = cost(u)
    assert parts == {
        "execution": 10_000_000,
        "instructions": 1_234_560,
        "ingress": 1_400_000,
        "xnet": 560_000,
        "outcalls": 95_378_400,
        "total": 108_572_960,
    }
    assert usd(parts["total"], 1.35) == pytest.approx(0.000146573496)
    # the per-item methods agree with the summed model
    fees = APPLICATION_SUBNET
    assert fees.http_outcall(700, 4096) == 95_378_400
    assert fees.ingress(100) == 1_400_000 and fees.xnet_call(300) == 560_000
    assert fees.execution(1_234_567) == 5_000_000 + 1_234_560


def test_published_figures():
    """The source's own derived figures: 1 GiB for 30 days ~ 329B cycles (~$0.45), a
    34-node subnet's execution fee 13,076,923 and outcall base 171,360,000."""
    assert APPLICATION_SUBNET.storage_per_month(1024**3) == 127_000 * 2_592_000 == 329_184_000_000
    assert usd(329_184_000_000) == pytest.approx(0.4444, abs=1e-4)
    big = FeeTable(subnet_size=34)
    assert big.scale(big.update_message_execution_fee) == 13_076_923
    assert big.http_outcall(0, 0) == 171_360_000
    assert XDR_USD_DEFAULT == 1.35
    assert LEDGER_FEES["ckUSDC"].tokens() == 0.01 and LEDGER_FEES["ICP"].tokens() == 0.0001


def test_usage_sums_and_scales():
    a = Usage(executions=1, instructions=10, call_bytes=3)
    assert a.plus(a, times=15) == Usage(executions=16, instructions=160, call_bytes=48)
    assert Usage.of({"executions": 2, "outcalls": 1, "by_canister": {}}) == Usage(executions=2, outcalls=1)


def test_round_budget_arithmetic():
    """14,056,000 instructions in 3 executions per merchant every 300 s:
    (2B - 8M) / (14,056,000 + 3 x 2M) = 99.32 ticks per second, x 300 s = 29,797 merchants."""
    tick = Usage(executions=3, instructions=14_056_000)
    assert cost_report.round_cost(tick) == 20_056_000
    assert cost_report.per_second(20_056_000) * 300 == pytest.approx(29_797, abs=1)


def test_shard_ceiling_arithmetic():
    """A shard batch costs the factory its market query (3M) and the sums' update (20M, 21M
    and 22M with 1, 10 and 100 merchants), + 2M per execution: 27M, 28M, 29M; the worst,
    29M, grows 20,202 per merchant (the sums, not the merchants). Bounded for a counters map
    of 1,000,000 entries: 231 operations (2 x (9 metrics + 3 counts + 100 buckets) + 7) of
    947,905 (localnet's insert at that size) add 218,966,055: 247,966,055 per batch. Per
    300 s the budget is (2B - 8M) x 300 = 597.6B; with 500 merchants a batch, all active:
    597.6B / (247,966,055 / 500) = 1,205,004 merchants; at 10% active a shard of 5,000
    still sends one batch: 597.6B / (247,966,055 / 5,000) = 12,050,036; 100,000 all-active
    merchants (200 batches) use 8.3% of the budget. A shard's receipts take 10M each (8M +
    2M) and its batch timer 36M / 336M at 1 / 100 merchants: 13,030,303 per active merchant
    at the shard, which carries 597.6B / 13,030,303 = 45,862."""
    sizes = {1: 20_000_000, 10: 21_000_000, 100: 22_000_000}
    timers = {1: 30_000_000, 10: 120_000_000, 100: 330_000_000}
    doc = {
        "shard_batches": {
            str(k): {
                "methods": {
                    "factory.get_report_market": {"executions": 1, "instructions": 3_000_000},
                    "factory.submit_report_totals": {"executions": 1, "instructions": sizes[k]},
                    "shard.<timer>": {"executions": 3, "instructions": timers[k]},
                },
                "report_methods": {"shard.submit_metrics_report": {"executions": k, "instructions": 8_000_000 * k}},
            }
            for k in sizes
        },
        "factory_methods": {
            "factory_tick": {
                "factory.submit_metrics_report": {"executions": 1, "instructions": 45_000_000},
                "factory.<timer>": {"executions": 1, "instructions": 700_000},
            },
            "factory_version_check": {"factory.get_security_versions": {"executions": 1, "instructions": 4_000_000}},
        },
    }
    sh = cost_report.shard_costs(doc)
    assert cost_report.counter_ops_per_batch() == 231
    assert sh == {
        "sizes": [1, 10, 100],
        "factory_per_batch_by_size": {"1": 27_000_000, "10": 28_000_000, "100": 29_000_000},
        "factory_growth_per_merchant": 20_202,
        "factory_per_batch": 29_000_000,
        "factory_per_batch_at_target": 247_966_055,
        "shard_per_merchant": 13_030_303,
    }
    ops = {"one_click": cost_report.Op("one_click", "", {"factory": Usage(executions=3, instructions=36_000_000)})}
    fc = cost_report.factory_ceiling(ops, doc)
    assert fc["active_direct"] == 47_000_000 and fc["idle_direct"] == 500_000  # its own timer is not counted
    assert fc["sharded_all_active"] == pytest.approx(597.6e9 / (247_966_055 / 500))
    assert round(fc["sharded_all_active"]) == 1_205_004
    assert round(fc["sharded_at_share"]) == 12_050_036
    assert fc["target_budget_share"] == pytest.approx(0.08299, abs=1e-5)
    assert round(fc["shard_merchants_all_active"]) == 45_862
    assert fc["below_target"] is False


def test_webhook_retries_follow_the_canister_backoff():
    """1 min doubling to 12 h within 3 days: attempts at 0, 1, 3, 7, ..., 1023 min (11), then
    every 720 min: 1743, 2463, 3183, 3903 (15); the next (4623 min) is past 4320."""
    assert cost_report.webhook_attempts_until_failed() == 15


def test_committed_table_is_generated_from_the_committed_run():
    with open(os.path.join(ROOT, "benchmarks", "results", "costs.json")) as f:
        doc = json.load(f)
    with open(os.path.join(ROOT, "docs", "benchmarks.md")) as f:
        docs = f.read()
    assert cost_report.committed_table(docs) == cost_report.markdown(doc, XDR_USD_DEFAULT)


def test_every_money_path_is_measured_through_localnet():
    """A quick run: each path's calls really happened (messages, ledger and factory calls,
    one webhook outcall to a real receiver), and the report prices all of them."""
    from benchmarks.costs.operations import measure_operations

    doc = measure_operations(quick=True, log=lambda s: None)
    ops = doc["operations"]
    for name in ("create_session", "pay_icrc2", "complete", "one_click", "refund", "payout", "webhook_delivery"):
        assert ops[name]["merchant"]["executions"] >= 1 and ops[name]["merchant"]["instructions"] > 0, name
    for name in ("approve", "icrc1_transfer"):
        assert ops[name]["ledger"]["ingress_messages"] == 1, name
    for name in ("pay_icrc2", "complete", "refund", "payout", "one_click"):
        assert ops[name]["merchant"]["calls"] >= 1 and ops[name]["ledger"]["executions"] >= 1, name
    assert ops["webhook_delivery"]["merchant"]["outcalls"] == 1
    assert ops["webhook_delivery"]["merchant"]["outcall_max_response_bytes"] == 4096
    assert ops["webhook_failed_attempt"]["merchant"]["outcalls"] == 1  # answered 500: a retry is filed
    assert ops["factory_tick"]["factory"]["executions"] >= 1
    assert "factory.submit_metrics_report" in doc["factory_tick_methods"]
    # an idle tick calls nothing at the factory; the hourly check is one version query
    assert not [
        m for m in doc["factory_methods"]["factory_tick_idle"] if m.startswith("factory.") and "<timer>" not in m
    ]
    assert "factory.get_security_versions" in doc["factory_methods"]["factory_version_check"]
    for run in doc["shard_batches"].values():  # one market query and one batch of sums, whatever its size
        assert run["methods"]["factory.get_report_market"]["executions"] == 1
        assert run["methods"]["factory.submit_report_totals"]["executions"] == 1
    assert ops["one_click"]["factory"]["executions"] >= 1
    assert ops["expiry"]["per_session"]["merchant"]["instructions"] > 0
    assert doc["storage_per_paid_session"]["reserved_bytes_per_item"] > 0
    table = cost_report.markdown(doc, XDR_USD_DEFAULT)
    assert "Factory ceiling" in table and "| $100 | ckUSDC ($1)" in table
