"""Metered cost of the merchant canister's analytics queries as payments accumulate.

Analytics are kept in counters and per-day buckets, so a query's cost depends on the
number of days and tokens asked about, never on the number of payments. This benchmark
makes real one-click payments (merchant canister + local ICRC ledger, in-process localnet),
and after each batch meters (bytecodes, then estimated IC instructions) every analytics
query over the same one-day range. The printed bytecodes are equal on every row.
Run: python benchmarks/merchant_analytics_cost.py [--counts 10 100 1000]
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))

from kybra import Principal  # noqa: E402

from localnet.runtime import Network, metering  # noqa: E402
from localnet.runtime.typed import call, encode_call  # noqa: E402

OWNER = Principal.self_authenticating(b"analytics-bench-owner")
CUSTOMER = Principal.self_authenticating(b"analytics-bench-customer")
MERCHANT_ENTRY = os.path.join(ROOT, "src", "user_payment_canister", "main.py")
DAY_NS = 24 * 3600 * 1_000_000_000
CHARGE = 10_000


def setup() -> tuple:
    """(network, merchant id, pre-authorization id) with a customer ready to be charged."""
    from ledger_client import LEDGER_ENTRY, SYMBOL, ledger_init_arg

    net = Network()
    ledger = net.deploy(LEDGER_ENTRY, ledger_init_arg([(CUSTOMER.to_str(), 10**15)]), project_root=ROOT)
    arg = (
        '(record { owners = vec { principal "%s" }; factory = null; routing_key = "bench"; '
        'config = record { name = "Bench"; website = null; support_email = null; '
        'tokens = vec { record { symbol = "%s"; ledger = principal "%s" } } } })'
        % (OWNER.to_str(), SYMBOL, ledger.to_str())
    )
    merchant = net.deploy(MERCHANT_ENTRY, arg, project_root=ROOT)
    net.run_until_idle()
    approve = call(
        net,
        CUSTOMER,
        ledger,
        "icrc2_approve",
        {
            "from_subaccount": None,
            "spender": {"owner": merchant, "subaccount": None},
            "amount": 10**14,
            "expected_allowance": None,
            "expires_at": None,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    assert "Ok" in approve, approve
    config = call(net, OWNER, merchant, "get_security_config")["Ok"]
    config["custom_rate_limits"] = {
        "max_payments_per_hour": 100_000,
        "max_payments_per_day": 100_000,
        "max_verification_requests_per_hour": 5,
    }
    assert "Ok" in call(net, OWNER, merchant, "update_security_config", config)
    auth = call(
        net,
        CUSTOMER,
        merchant,
        "create_pre_authorization_with_options",
        {
            "customer": CUSTOMER,
            "max_amount": CHARGE,
            "token": SYMBOL,
            "duration": 30 * 24 * 3600,
            "uses": 1000,
            "metadata": [],
        },
    )
    assert "Ok" in auth, auth
    return net, merchant, auth["Ok"]


def charge(net: Network, merchant: Principal, auth_id: str, n: int) -> None:
    for _ in range(n):
        res = call(net, OWNER, merchant, "execute_one_click_payment", auth_id, CHARGE, [])
        assert "Ok" in res, res


def queries(net: Network) -> list:
    day = net.time_ns // DAY_NS * DAY_NS
    today = {"start": day, "end": day + DAY_NS}
    return [
        ("get_payment_analytics", [today]),
        ("get_conversion_metrics", []),
        ("get_customer_behavior_analysis", []),
        ("get_revenue_breakdown", [{"Month": today}]),
        (
            "generate_custom_report",
            [{"name": "r", "date_range": today, "granularity": "day", "metrics": ["payments", "volume"], "tokens": []}],
        ),
        ("get_merchant_one_click_analytics", []),
    ]


def meter_queries(net: Network, merchant: Principal) -> dict:
    """{method: bytecodes} of one metered call of each analytics query (each is called
    once unmetered first, so one-time warm-up work in the runtime is not counted)."""
    costs = {}
    for method, args in queries(net):
        arg = encode_call(net, merchant, method, args)
        net.query(OWNER, merchant, method, arg)
        net.metering = True
        try:
            before = len(net.stats)
            net.query(OWNER, merchant, method, arg)
        finally:
            net.metering = False
        costs[method] = sum(s.bytecodes for s in list(net.stats)[before:] if s.canister_id == merchant.bytes)
    return costs


def run(counts: list) -> list:
    """[(payments, {method: bytecodes})] after reaching each payment count."""
    net, merchant, auth_id = setup()
    rows = []
    done = 0
    auth_uses = 1000
    for target in counts:
        while done < target:
            batch = min(target - done, auth_uses)
            charge(net, merchant, auth_id, batch)
            done += batch
            auth_uses -= batch
            if auth_uses == 0:
                auth = call(
                    net,
                    CUSTOMER,
                    merchant,
                    "create_pre_authorization_with_options",
                    {
                        "customer": CUSTOMER,
                        "max_amount": CHARGE,
                        "token": "LTT",
                        "duration": 30 * 24 * 3600,
                        "uses": 1000,
                        "metadata": [],
                    },
                )
                auth_id = auth["Ok"]
                auth_uses = 1000
        rows.append((done, meter_queries(net, merchant)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    rows = run(args.counts)
    methods = list(rows[0][1])
    print(f"{'payments':>9} " + " ".join(f"{m[:24]:>24}" for m in methods))
    for done, costs in rows:
        print(f"{done:9d} " + " ".join(f"{costs[m]:24d}" for m in methods))
    print("(bytecodes per call; ~IC instructions = bytecodes x %d)" % metering.INSTRUCTIONS_PER_BYTECODE)


if __name__ == "__main__":
    main()
