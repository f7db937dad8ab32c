"""One seed of the interleaving harness: a workload over one merchant canister with a real
ledger, submitted concurrently and run in a seeded order under seeded traps, then recovery
through the public interface, then the invariants (checks.py).

Everything goes through what the IC offers to the outside: ingress messages with Candid
arguments (typed by the callee's interface), the ledger's own methods, `run_interleaved` for
the order, `network.faults` for traps keyed by call boundaries (never by the canister's
internal functions, so the harness outlives refactors of the money modules), and time.

A seed's phases (all at one ledger, one merchant):
- setup (no traps): sessions, two of them paid by ICRC-2 (their payments are refunded later);
- A (t0): ICRC-2 payments (some clicked twice), ICRC-1 deposits and completions, partial
  deposits, over-payments by a second sender, both methods on one session, refunds of the
  setup payments (full, or two partial ones at once), a payout, one-click charges;
- B (t0 + 61 s): the rest of the partial deposits, refunds of phase A's payments, returns of
  over-payments, payouts, more one-click charges;
- C (just past the sessions' expiry, the expiry timer due): late deposits, completions of
  deposits made in time, returns of late funds;
- recovery: timers resume stale work under timer-only traps, then traps are cleared, clients
  retry what was rejected, 25 h pass (the ledger's deduplication window, so look-ups in its
  blocks run), and every sender asks for every deposit the canister did not credit.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kybra import Principal

from benchmarks.costs import configs
from benchmarks.costs.fill import PRICE, session_args
from benchmarks.costs.world import FEE, SYMBOL, World, build_world, ok, price_token
from localnet.runtime.faults import TIMER
from localnet.runtime.typed import decode_reply, encode_call

NS = 1_000_000_000
EXPIRES_IN = 1800  # the shortest session lifetime
CUSTOMERS = 6  # 0-3 pay sessions, 4 and 5 are one-click customers (and second senders)
ONE_CLICK_MAX = 2_000_000
SESSIONS = 7  # sessions per seed besides the two prepaid ones: one of each scenario
SCENARIOS = ("icrc2", "icrc1", "partial", "overpay", "mixed", "late", "in_time")
PAST_THE_WINDOW = 25 * 3600
START_NS = 1_796_000_000 * NS  # a fixed start (2026-11-30 UTC, mid-day): seeds replay exactly
STALE = 301  # locks and intents are stale after 300 s
SESSION_RECOVERY = 2 * 300 + 121  # the 120 s session-recovery timer takes 10-minute-old locks

# every boundary of the merchant's calls: its own messages, and before/after each kind of
# outgoing call (ledger transfers and look-ups, the factory's one-click limit calls)
LEDGER_CALLS = ("icrc1_transfer", "icrc2_transfer_from", "icrc1_balance_of", "icrc3_get_blocks")
FACTORY_CALLS = (
    "reserve_one_click_spend",  # a charge's one factory call (it carries queued settlements)
    "settle_one_click_reservations",  # the maintenance tick's batch of the rest
)
MESSAGES = (
    "pay_checkout_session",
    "complete_checkout_session",
    "refund_payment",
    "refund_session_funds",
    "create_payout",
    "execute_one_click_payment",
    TIMER,
)


@dataclass(frozen=True)
class Trap:
    boundary: str  # 'message' | 'before_call' | 'after_call'
    method: str
    callee: str  # 'ledger' | 'factory' | '' (a message of the merchant)
    origin: Optional[str] = None

    @property
    def name(self) -> str:
        where = self.method if not self.callee else f"{self.callee}.{self.method}"
        return f"{self.boundary}:{where}" + (f"@{self.origin}" if self.origin else "")


def catalogue(timer_only: bool = False) -> List[Trap]:
    traps = []
    origins = ("timer",) if timer_only else (None, "ingress", "timer")
    for origin in origins:
        for boundary in ("before_call", "after_call"):
            traps += [Trap(boundary, m, "ledger", origin) for m in LEDGER_CALLS]
            traps += [Trap(boundary, m, "factory", origin) for m in FACTORY_CALLS]
    if timer_only:
        traps.append(Trap("message", TIMER, ""))
    else:
        traps += [Trap("message", m, "") for m in MESSAGES]
    return traps


@dataclass
class Submitted:
    phase: str
    label: str  # what the workload meant, e.g. "pay", "deposit", "refund"
    sender: Principal
    canister: Principal
    method: str
    args: list
    message_id: bytes
    meta: dict = field(default_factory=dict)
    outcome: str = ""  # 'ok' | 'err:<code>' | 'rejected'
    value: Any = None


@dataclass
class SeedResult:
    seed: int
    operations: int = 0
    steps: int = 0
    traps_armed: Counter = field(default_factory=Counter)  # per boundary
    traps_fired: Counter = field(default_factory=Counter)  # per boundary
    fired_by_trap: Counter = field(default_factory=Counter)  # per Trap.name
    rejected: int = 0  # messages that trapped
    recoveries: int = 0  # records written by recovery (timers, retries, look-ups)
    outcomes: Counter = field(default_factory=Counter)
    violations: List[dict] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (the machine may be shared)


class Prepared:
    """The world with its one-click customers set up, and the snapshot every seed starts from."""

    def __init__(self, customers: int = CUSTOMERS):
        self.w: World = build_world(customers, time_ns=START_NS, rand_seed=0)
        w = self.w
        price_token(w)
        self.auths: Dict[int, str] = {}
        for i in (4, 5):
            c = w.customers[i]
            self.auths[i] = ok(
                w.call(c, w.merchant, "create_pre_authorization_with_options", configs.pre_auth_args(c, ONE_CLICK_MAX)),
                "create_pre_authorization",
            )
            ok(
                w.call(
                    c,
                    w.merchant,
                    "update_merchant_spending_limits",
                    c,
                    [
                        {
                            "key": SYMBOL,
                            "value": {
                                "max_per_transaction": ONE_CLICK_MAX,
                                "max_per_period": 4 * ONE_CLICK_MAX,
                                "period_seconds": 3600,
                            },
                        }
                    ],
                ),
                "update_merchant_spending_limits",
            )
        w.net.run_until_idle()
        self.snapshot = w.net.snapshot()

    def reset(self, seed: int) -> None:
        """Back to the snapshot, with `raw_rand` answering from the seed: a seed replays."""
        self.w.net.faults.clear()
        self.w.net.revert(self.snapshot)
        self.w.net.seed_raw_rand(seed)


class SeedRun:
    def __init__(self, prepared: Prepared, seed: int, sessions: int):
        self.p = prepared
        self.w = prepared.w
        self.net = self.w.net
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_sessions = sessions
        self.result = SeedResult(seed)
        self.submitted: List[Submitted] = []
        self.sessions: List[dict] = []  # {"id", "scenario", "payer", "second", "record"}
        self.deposits: List[dict] = []  # {"session", "sender", "block", "amount"}
        self.phase = "setup"
        self.armed: List[tuple] = []  # (Trap, Fault)

    # -- messages -------------------------------------------------------------------------
    def submit(self, label: str, sender, canister, method: str, *args, **meta) -> Submitted:
        arg = encode_call(self.net, canister, method, list(args))
        mid = self.net.submit(sender, canister, method, arg)
        s = Submitted(self.phase, label, sender, canister, method, list(args), mid, meta)
        self.submitted.append(s)
        self.result.operations += 1
        return s

    def merchant(self, label, sender, method, *args, **meta) -> Submitted:
        return self.submit(label, sender, self.w.merchant, method, *args, **meta)

    def settle(self, batch: List[Submitted]) -> None:
        for s in batch:
            st = self.net.status(s.message_id)
            if st.state == "replied":
                s.value = decode_reply(self.net, s.canister, s.method, st.reply)
                if isinstance(s.value, dict) and "Err" in s.value:
                    s.outcome = "err:" + str(s.value["Err"]).split(":")[0]
                else:
                    s.outcome = "ok"
            else:
                s.outcome = "rejected"
                self.result.rejected += 1
            self.result.outcomes[f"{s.label}:{s.outcome}"] += 1
            if s.label == "deposit" and s.outcome == "ok":
                self.deposits.append(
                    {
                        "session": s.meta["session"],
                        "sender": s.sender,
                        "block": s.value["Ok"],
                        "amount": s.args[0]["amount"],
                    }
                )

    def run(self, traps: List[Trap]) -> None:
        """Arm `traps`, run everything queued in the seed's order, collect the outcomes."""
        self.arm(traps)
        self.result.steps += self.net.run_interleaved(self.rng.randrange(2**32))
        self.disarm()
        self.settle([s for s in self.submitted if not s.outcome])

    def arm(self, traps: List[Trap]) -> None:
        ids = {"ledger": self.w.ledger, "factory": self.w.factory}
        for t in traps:
            times = self.rng.choice((1, 1, 2))
            fault = self.net.faults.add(
                t.boundary, self.w.merchant, t.method, callee=ids.get(t.callee), origin=t.origin, times=times
            )
            self.armed.append((t, fault))
            self.result.traps_armed[t.boundary] += 1

    def disarm(self) -> None:
        for t, fault in self.armed:
            if fault.fired:
                self.result.traps_fired[t.boundary] += fault.fired
                self.result.fired_by_trap[t.name] += fault.fired
        self.armed = []
        self.net.faults.clear()

    def pick_traps(self, timer_only: bool = False) -> List[Trap]:
        pool = catalogue(timer_only)
        return self.rng.sample(pool, self.rng.randint(1, 2) if timer_only else self.rng.randint(2, 4))

    def at(self, seconds: float) -> None:
        self.net.set_time(self.t0 + int(seconds * NS))

    # -- the workload ---------------------------------------------------------------------
    def customer(self, *exclude: int) -> Principal:
        return self.w.customers[self.rng.choice([i for i in range(4) if i not in exclude])]

    def deposit(self, session: dict, sender, amount: int) -> Submitted:
        to = {"owner": self.w.merchant, "subaccount": session["record"]["payment_subaccount"]}
        return self.submit(
            "deposit",
            sender,
            self.w.ledger,
            "icrc1_transfer",
            {"from_subaccount": None, "to": to, "amount": amount, "fee": None, "memo": None, "created_at_time": None},
            session=session["id"],
        )

    def setup(self) -> None:
        w = self.w
        self.t0 = self.net.time_ns
        scenarios = list(SCENARIOS)
        self.rng.shuffle(scenarios)
        while len(scenarios) < self.n_sessions:
            scenarios.append(self.rng.choice(SCENARIOS))
        for scenario in scenarios[: self.n_sessions]:
            args = dict(session_args(), expires_in_seconds=EXPIRES_IN)
            record = ok(w.call(w.server, w.merchant, "create_checkout_session_with_options", args), "create_session")
            payer = self.rng.randrange(4)
            self.sessions.append(
                {
                    "id": record["session_id"],
                    "scenario": scenario,
                    "record": record,
                    "payer": w.customers[payer],
                    "second": w.customers[self.rng.choice((4, 5))],
                }
            )
        self.prepaid = []
        for i in range(2):
            args = dict(session_args(), expires_in_seconds=EXPIRES_IN)
            record = ok(w.call(w.server, w.merchant, "create_checkout_session_with_options", args), "create_session")
            payer = w.customers[i]
            paid = ok(w.call(payer, w.merchant, "pay_checkout_session", record["session_id"]), "pay")
            self.sessions.append(
                {"id": record["session_id"], "scenario": "prepaid", "record": record, "payer": payer, "second": None}
            )
            self.prepaid.append(paid["payment_intent_id"])
        self.result.operations += 2 * 2

    def phase_a(self) -> None:
        self.phase = "A"
        w, rng = self.w, self.rng
        for s in self.sessions:
            sc, payer, sid = s["scenario"], s["payer"], s["id"]
            if sc in ("icrc2", "mixed"):
                self.merchant("pay", payer, "pay_checkout_session", sid, session=sid)
                if sc == "icrc2" and rng.random() < 0.5:
                    self.merchant("pay", payer, "pay_checkout_session", sid, session=sid)  # a double click
            if sc == "mixed":
                self.deposit(s, s["second"], PRICE)
                self.merchant("complete", s["second"], "complete_checkout_session", sid, "", session=sid)
            if sc in ("icrc1", "overpay", "in_time"):
                self.deposit(s, payer, PRICE)
            if sc == "partial":
                self.deposit(s, payer, PRICE // 2)
            if sc == "overpay":
                self.deposit(s, s["second"], rng.choice((3 * FEE, PRICE // 3, PRICE)))
            if sc in ("icrc1", "overpay", "partial"):
                self.merchant("complete", payer, "complete_checkout_session", sid, "", session=sid)
                if rng.random() < 0.5:
                    other = s["second"] if sc == "overpay" else self.customer()
                    self.merchant("complete", other, "complete_checkout_session", sid, "", session=sid)
        full, split = self.prepaid
        self.merchant("refund", w.owner, "refund_payment", full, None, "full")
        for part in (PRICE // 4, PRICE // 3):
            self.merchant("refund", w.owner, "refund_payment", split, part, "partial")
        self.merchant("payout", w.owner, "create_payout", SYMBOL, rng.randrange(FEE, PRICE // 2), None, "weekly")
        for i in (4, 4, 5):
            self.merchant(
                "one_click",
                w.server,
                "execute_one_click_payment",
                self.p.auths[i],
                rng.randrange(100_000, ONE_CLICK_MAX),
                [],
            )
        self.run(self.pick_traps())

    def payments(self) -> List[dict]:
        return list_all(self.w, "list_payments", "payments")

    def phase_b(self) -> None:
        self.phase = "B"
        self.at(61)
        w, rng = self.w, self.rng
        for s in self.sessions:
            if s["scenario"] == "partial":
                self.deposit(s, s["payer"], PRICE - PRICE // 2)
                self.merchant("complete", s["payer"], "complete_checkout_session", s["id"], "", session=s["id"])
            if s["scenario"] == "overpay":
                for d in self.deposits:
                    if d["session"] == s["id"] and d["sender"] == s["second"]:
                        self.merchant(
                            "return", d["sender"], "refund_session_funds", s["id"], str(d["block"]), block=d["block"]
                        )
        fresh = [p for p in self.payments() if p["payment_id"] not in self.prepaid]
        for p in rng.sample(fresh, min(len(fresh), 3)):
            amount = rng.choice((None, p["amount"] // 2, p["amount"] // 5))
            self.merchant("refund", w.owner, "refund_payment", p["payment_id"], amount, None)
        for _ in range(rng.randint(1, 2)):
            self.merchant("payout", w.owner, "create_payout", SYMBOL, rng.randrange(FEE, PRICE), None, None)
        for i in (4, 5):
            self.merchant(
                "one_click",
                w.server,
                "execute_one_click_payment",
                self.p.auths[i],
                rng.randrange(100_000, ONE_CLICK_MAX),
                [],
            )
        self.run(self.pick_traps())

    def phase_c(self) -> None:
        """Just past the expiry: the expiry timer is due and runs among these messages."""
        self.phase = "C"
        self.at(EXPIRES_IN + 1)
        for s in self.sessions:
            if s["scenario"] == "late":
                self.deposit(s, s["payer"], PRICE)
                self.merchant("complete", s["payer"], "complete_checkout_session", s["id"], "", session=s["id"])
            if s["scenario"] == "in_time":
                self.merchant("complete", s["payer"], "complete_checkout_session", s["id"], "", session=s["id"])
            if s["scenario"] in ("icrc2", "icrc1") and self.rng.random() < 0.3:
                self.deposit(s, s["payer"], PRICE // 2)  # a second payment after completion
        self.run(self.pick_traps())
        self.return_deposits("C")

    def return_deposits(self, phase: str, one_by_one: bool = False) -> None:
        """Every sender asks for each of its deposits to a session that is no longer open
        (the canister refuses credited ones); `one_by_one`: only those whose last answer
        was not final (a trap, or another operation on the session in progress), each
        run alone, as a client retrying after `conflict` would."""
        self.phase = phase
        for d in self.deposits:
            if one_by_one and not self.retry_return(d):
                continue
            self.merchant(
                "return", d["sender"], "refund_session_funds", d["session"], str(d["block"]), block=d["block"]
            )
            if one_by_one:
                self.run([])
        if not one_by_one:
            self.run([] if phase.startswith("R") else self.pick_traps())

    def retry_return(self, deposit: dict) -> bool:
        """Not answered for good yet: never asked, trapped, or refused for now (another
        operation on the session, an interrupted one to retry first, a ledger error)."""
        asked = [s for s in self.submitted if s.label == "return" and s.meta.get("block") == deposit["block"]]
        last = asked[-1] if asked else None
        return (
            last is None
            or last.outcome in ("rejected", "err:ledger_error", "err:unavailable")
            or (last.outcome == "err:conflict" and "already credited" not in last.value["Err"])
        )

    def recover(self) -> None:
        before = record_count(self.w)
        # R1: the timers resume stale work (under timer-only traps)
        self.phase = "R1"
        for seconds in (EXPIRES_IN + 1 + STALE, EXPIRES_IN + 1 + SESSION_RECOVERY):
            self.at(seconds)
            self.run(self.pick_traps(timer_only=True))
        # R2: no more traps; clients retry what was rejected, time passes the ledger's window
        self.phase = "R2"
        for s in [s for s in self.submitted if s.outcome == "rejected" and s.label in ("pay", "complete")]:
            self.merchant("retry_" + s.label, s.sender, s.method, *s.args, **s.meta)
        for s in self.sessions:
            if any(d["session"] == s["id"] for d in self.deposits):
                self.merchant("retry_complete", s["payer"], "complete_checkout_session", s["id"], "")
        self.run([])
        for seconds in (
            EXPIRES_IN + 1 + SESSION_RECOVERY + STALE,
            PAST_THE_WINDOW,
            PAST_THE_WINDOW + 121,
            PAST_THE_WINDOW + 2 * 121,
            PAST_THE_WINDOW + SESSION_RECOVERY + 121,
        ):
            self.at(seconds)
            self.run([])
        self.return_deposits("R3")
        for i in (1, 2):
            self.at(PAST_THE_WINDOW + SESSION_RECOVERY + 121 + i * STALE)
            self.run([])
            self.return_deposits("R4", one_by_one=True)
        self.result.recoveries = record_count(self.w) - before


def list_all(w: World, method: str, key: str, *extra) -> List[dict]:
    out, cursor = [], None
    while True:
        page = ok(w.call(w.owner, w.merchant, method, cursor, 100, *extra), method)
        out += page[key]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def record_count(w: World) -> int:
    return sum(
        len(list_all(w, m, k))
        for m, k in (("list_payments", "payments"), ("list_refunds", "refunds"), ("list_payouts", "payouts"))
    )


def run_seed(prepared: Prepared, seed: int, sessions: int = SESSIONS) -> SeedResult:
    """Run one seed from the prepared snapshot; returns its figures and violations."""
    from benchmarks.interleavings.checks import check_all

    started, cpu = time.perf_counter(), time.process_time()
    prepared.reset(seed)
    run = SeedRun(prepared, seed, sessions)
    run.setup()
    run.phase_a()
    run.phase_b()
    run.phase_c()
    run.recover()
    run.result.violations = check_all(run)
    run.result.seconds = time.perf_counter() - started
    run.result.cpu_seconds = time.process_time() - cpu
    return run.result
