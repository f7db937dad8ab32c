"""The benchmark run: build the system, then for each stage grow the data to the stage's
sizes (metering off) and meter one call of every public method of the factory, the
merchant canister and the ledger (metering on)."""

from __future__ import annotations

import datetime
import platform
import time
from dataclasses import dataclass
from typing import Callable, List, Optional

from kybra import Principal

from benchmarks.costs import fill, memory
from benchmarks.costs.fixtures import ObjectFixtures as Fixtures
from benchmarks.costs.meter import measure
from benchmarks.costs.notes import NOTES
from benchmarks.costs.plans import PAGE, plan_for
from benchmarks.costs.report import GROWTH_LIMIT, SHARE_LIMIT, summarize
from benchmarks.costs.sample_args import sample_args
from benchmarks.costs.world import World, build_world, ok, principal
from benchmarks.costs.worst_case import run_worst_cases
from localnet.runtime import metering

PUBLIC_KINDS = ("query", "update")
SAMPLE_PRINCIPAL = principal("sample")


@dataclass(frozen=True)
class Stage:
    sessions: int  # checkout sessions in the merchant canister (paid ones included)
    payments: int  # sessions paid through the ledger (ICRC-2)
    merchants: int  # merchant canisters deployed by the factory (the benchmarked one included)


def public_methods(w: World, canister_id: Principal) -> List[str]:
    methods = w.net.canisters[canister_id.bytes].interface.methods
    return sorted(name for name, sig in methods.items() if sig.kind in PUBLIC_KINDS)


def sender(w: World, role: str):
    if role == "anonymous":
        return Principal.anonymous()
    if role == "customer":
        return w.customers[0]
    return getattr(w, role)


def measure_canister(
    w: World, name: str, canister_id: Principal, fx: Fixtures, only: Optional[List[str]] = None
) -> List[dict]:
    rows = []
    env = w.net.canisters[canister_id.bytes].interface.env
    for method in public_methods(w, canister_id):
        if only and f"{name}.{method}" not in only:
            continue
        plan = plan_for(name, method)
        try:
            if plan.args is None:
                sig = w.net.canisters[canister_id.bytes].interface.methods[method]
                args, note = sample_args(sig, env, SAMPLE_PRINCIPAL), "sample arguments"
            else:
                args, note = plan.args(w, fx), plan.note
            m = measure(w.net, name, canister_id, sender(w, plan.role), method, args, note)
            rows.append(m.to_json())
            if plan.after is not None:
                plan.after(w, m.value)
        except Exception as e:  # a plan that cannot run at this stage is reported, not hidden
            rows.append(
                {
                    "canister": name,
                    "method": method,
                    "bytecodes": None,
                    "instructions": None,
                    "outcome": f"benchmark error: {type(e).__name__}: {e}"[:300],
                }
            )
    return rows


def measure_all(w: World, fx: Fixtures, only: Optional[List[str]] = None) -> List[dict]:
    """One metered call of every method. A minute passes first (timers run), as it would
    between real calls, so the canisters' per-minute rate limits do not refuse the
    fixtures. The fixtures live across stages: their number stays the same."""
    w.net.advance_time(61)
    rows = []
    for name, cid in (("factory", w.factory), ("merchant", w.merchant), ("ledger", w.ledger)):
        rows += measure_canister(w, name, cid, fx, only)
    return rows


def seed_first_records(w: World) -> None:
    """The oldest session and payment, looked up again at every stage."""
    w.first_session_id = fill.new_session(w)["session_id"]
    paid = fill.new_session(w)
    fill.pay_session(w, w.customers[0], paid["session_id"])
    page = ok(w.call(w.owner, w.merchant, "list_payments", None, 1), "list_payments")
    w.first_payment_id = page["payments"][0]["payment_id"]


def grow(w: World, stage: Stage, memory_out: dict, log: Callable[[str], None]) -> None:
    """Fill to the stage's sizes; stable memory per paid session and per session measured
    around the fills."""
    payments = stage.payments - fill.paid_count(w)
    if payments > 0:
        log(f"  paying {payments:,} sessions through the ledger")
        before = memory.usage(w.net, w.merchant)
        fill.fill_payments(w, payments)
        memory_out["paid session"] = memory.per_item(before, memory.usage(w.net, w.merchant), payments)
    if not w.listed_filled and fill.paid_count(w) >= 2 * PAGE:
        # a full page of refunds and payouts from the first stage on, so their lists are
        # measured on full pages at every stage (the pages are capped at 100)
        log(f"  refunding {PAGE} payments and making {PAGE} payouts")
        fill.fill_refunds(w, PAGE)
        fill.fill_payouts(w, PAGE)
        w.listed_filled = True
    sessions = stage.sessions - fill.session_count(w)
    if sessions > 0:
        log(f"  creating {sessions:,} open sessions")
        before = memory.usage(w.net, w.merchant)
        fill.fill_sessions(w, sessions)
        memory_out["session"] = memory.per_item(before, memory.usage(w.net, w.merchant), sessions)
    merchants = stage.merchants - fill.merchant_count(w)
    if merchants > 0:
        log(f"  deploying {merchants:,} merchant canisters through the factory")
        before = memory.usage(w.net, w.factory)
        fill.fill_merchants(w, merchants)
        memory_out["factory merchant record"] = memory.per_item(before, memory.usage(w.net, w.factory), merchants)


def actual_sizes(w: World) -> dict:
    ledger_blocks = w.call(w.customers[0], w.ledger, "icrc3_get_blocks", [{"start": 0, "length": 0}])["log_length"]
    return {
        "sessions": fill.session_count(w),
        "payments": fill.paid_count(w),
        "merchants": fill.merchant_count(w),
        "ledger_blocks": ledger_blocks,
    }


def per_payment(mem: dict) -> Optional[dict]:
    """Bytes a payment adds on top of its session (paid session minus open session)."""
    paid, open_ = mem.get("paid session"), mem.get("session")
    if not paid or not open_:
        return None
    return {
        "items": paid["items"],
        "encoded_bytes_per_item": round(paid["encoded_bytes_per_item"] - open_["encoded_bytes_per_item"], 1),
        "reserved_bytes_per_item": round(paid["reserved_bytes_per_item"] - open_["reserved_bytes_per_item"], 1),
        "maps": {},
    }


def document(results: List[dict], mem: dict, t0: float) -> dict:
    """The JSON document of the stages measured so far."""
    mem = dict(mem)
    extra = per_payment(mem)
    if extra is not None:
        mem["payment"] = extra
    return {
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "instructions_per_bytecode": metering.INSTRUCTIONS_PER_BYTECODE,
        "python": platform.python_version(),
        "cost_constants": metering.cost_constants(),
        "limits": metering.LIMITS,
        "thresholds": {"growth": GROWTH_LIMIT, "limit_share": SHARE_LIMIT},
        "stages": results,
        "stable_memory": mem,
        "summary": summarize(results, NOTES),
        "total_seconds": round(time.perf_counter() - t0, 1),
    }


def run(
    stages: List[Stage],
    customers: int = 20,
    only: Optional[List[str]] = None,
    log: Callable[[str], None] = print,
    checkpoint: Optional[Callable[[dict], None]] = None,
    worst_cases: bool = True,
) -> dict:
    t0 = time.perf_counter()
    w = build_world(customers)
    seed_first_records(w)
    fill.fill_capped_lists(w)
    fx = Fixtures(w)
    measure_all(w, fx, only)  # warm-up, not reported: first writes of settings and the like
    log(f"deployed ledger, exchange rate, factory and merchant in {time.perf_counter() - t0:.0f}s")
    results, mem = [], {}
    for stage in stages:
        t1 = time.perf_counter()
        log(f"stage {stage}")
        grow(w, stage, mem, log)
        t2 = time.perf_counter()
        sizes = actual_sizes(w)
        rows = measure_all(w, fx, only)
        results.append(
            {
                "sizes": sizes,
                "planned": stage.__dict__,
                "fill_seconds": t2 - t1,
                "measure_seconds": time.perf_counter() - t2,
                "measurements": rows,
            }
        )
        log(f"  measured {len(rows)} methods at {sizes} in {time.perf_counter() - t2:.0f}s")
        if checkpoint is not None:
            checkpoint(document(results, mem, t0))
    doc = document(results, mem, t0)
    if worst_cases:
        log("worst cases (full batches)")
        doc["worst_cases"] = run_worst_cases(w)
        doc["total_seconds"] = round(time.perf_counter() - t0, 1)
    return doc
