"""The money paths measured end to end (issue 20): every message, instruction, byte and
outcall each one causes on the merchant canister, the ledger and the factory, recorded
with `usage.recording` on a system deployed by `world.build_world`. `--costs --run` of
benchmarks/canister_costs.py calls `measure_operations`; `cost_report` prices the result."""

from __future__ import annotations

from typing import Callable, Dict

from benchmarks.costs import configs, fill, memory
from benchmarks.costs.fill import PRICE, new_session, pay_session, session_args
from benchmarks.costs.fixtures import ObjectFixtures
from benchmarks.costs.usage import record
from benchmarks.costs.world import FEE, SYMBOL, BenchError, World, build_world, ok, price_token
from localnet.runtime.typed import decode_reply, encode_call

NS = 1_000_000_000
EXPIRY_DUE = 50  # sessions due at once when the expiry cost per session is measured
REPORT_INTERVAL_SECONDS = 300  # src/user_payment_canister/factory_reporting.py
IDLE_PULL_TICKS = 12  # same file: an idle merchant checks the security versions every 12th tick
SHARD_VERSION = "agg-v1"
BATCH_SIZES = {True: (1, 10, 100), False: (1, 10, 100)}  # merchants per measured shard batch (quick, full)
WARM_CHARGES = 3  # one-click charges before the measured one


def account(owner, sub=None) -> dict:
    return {"owner": owner, "subaccount": sub}


class Flows:
    """Each method runs one operation metered and returns its Usage as a dict."""

    def __init__(self, w: World):
        self.w = w
        self.fx = ObjectFixtures(w)
        self.last_methods: Dict[str, dict] = {}  # executions per "canister.method" of the last measurement
        self.names = {
            w.merchant.bytes: "merchant",
            w.ledger.bytes: "ledger",
            w.factory.bytes: "factory",
            w.xrc.bytes: "exchange_rate",
        }

    def ingress(self, sender, canister, method: str, *args):
        """One update call through ingress, run to completion (downstream calls included)."""
        net = self.w.net
        st = net.await_ingress(net.submit(sender, canister, method, encode_call(net, canister, method, list(args))))
        if st.state != "replied":
            raise BenchError(f"{method}: {st.state} {st.reject_code} {st.error_code}")
        return decode_reply(net, canister, method, st.reply)

    def measured(self, action: Callable[[], object], check: Callable[[object], None] = None) -> dict:
        """{payer canister: its usage counts} of running `action` metered (the executions per
        method of the last one are kept in `last_methods`)."""
        rec, result = record(self.w.net, self.names, action)
        if check is not None:
            check(result)
        self.last_methods = dict(sorted(rec.by_method.items()))
        return {name: vars(u) for name, u in sorted(rec.by_payer.items())}

    def _ok(self, what: str):
        def check(value):
            ok(value, what)

        return check

    # -- checkout -------------------------------------------------------------------------
    def create_session(self) -> dict:
        w = self.w
        return self.measured(
            lambda: self.ingress(w.server, w.merchant, "create_checkout_session_with_options", session_args("order")),
            self._ok("create session"),
        )

    def approve(self) -> dict:
        """The customer's ICRC-2 approve of the merchant canister (one per payment at worst)."""
        w = self.w
        return self.measured(
            lambda: self.ingress(
                w.customers[0],
                w.ledger,
                "icrc2_approve",
                {
                    "from_subaccount": None,
                    "spender": account(w.merchant),
                    "amount": 10**15,
                    "expected_allowance": None,
                    "expires_at": None,
                    "fee": None,
                    "memo": None,
                    "created_at_time": None,
                },
            ),
            self._ok("icrc2_approve"),
        )

    def pay_icrc2(self) -> dict:
        w = self.w
        session_id = new_session(w)["session_id"]
        return self.measured(
            lambda: self.ingress(w.customers[0], w.merchant, "pay_checkout_session", session_id),
            self._ok("pay_checkout_session"),
        )

    def transfer(self) -> tuple:
        """(usage of the customer's icrc1_transfer to the session's subaccount, session, block)."""
        w = self.w
        session = new_session(w)
        holder = {}

        def send():
            holder["block"] = ok(
                self.ingress(
                    w.customers[0],
                    w.ledger,
                    "icrc1_transfer",
                    {
                        "from_subaccount": None,
                        "to": account(w.merchant, session["payment_subaccount"]),
                        "amount": session["amount"],
                        "fee": None,
                        "memo": None,
                        "created_at_time": None,
                    },
                ),
                "icrc1_transfer",
            )

        return self.measured(send), session["session_id"], str(holder["block"])

    def complete(self, session_id: str, block: str) -> dict:
        w = self.w
        return self.measured(
            lambda: self.ingress(w.customers[0], w.merchant, "complete_checkout_session", session_id, block),
            self._ok("complete_checkout_session"),
        )

    def one_click(self) -> dict:
        """A charge on a pre-authorization, the token priced (the cross-merchant limit fails
        closed without a USD rate), as charges come at load: the previous charges (made first,
        unmetered: a customer's first charges also move its records into the factory's maps)
        left the last confirmation queued at the merchant, and this charge's one factory
        call (`reserve_one_click_spend`) carries it. Its own confirmation stays queued (see
        one_click_settle_tick)."""
        w = self.w
        auth_id = self.fx.auth_id
        price_token(w)
        for _ in range(WARM_CHARGES):
            ok(self.ingress(w.owner, w.merchant, "execute_one_click_payment", auth_id, PRICE, []), "warm-up charge")
        if self.sync_status()["one_click_settlements_queued"] != 1:
            raise BenchError("one-click: the warm-up charge left no settlement queued")
        usage = self.measured(
            lambda: self.ingress(w.owner, w.merchant, "execute_one_click_payment", auth_id, PRICE, []),
            self._ok("execute_one_click_payment"),
        )
        called = sorted(m for m in self.last_methods if m.startswith("factory."))
        if called != ["factory.reserve_one_click_spend"] or self.sync_status()["one_click_settlements_queued"] != 1:
            raise BenchError(f"one-click: expected one factory call carrying the queued settlement, got {called}")
        return usage

    def one_click_settle_tick(self) -> dict:
        """The maintenance tick that sends the last charge's queued confirmation in one
        `settle_one_click_reservations` batch (what a charge with no charge after it costs
        the factory on top; the merchant column is the whole tick)."""
        usage = self.measured(lambda: self.w.net.advance_time(61))
        if self.sync_status()["one_click_settlements_queued"] != 0:
            raise BenchError("one-click settle tick: the queued settlement was not sent")
        return usage

    def refund(self) -> dict:
        w = self.w
        payment_id = self.fx.fresh_payment_id()
        return self.measured(
            lambda: self.ingress(w.owner, w.merchant, "refund_payment", payment_id, None, "bench"),
            self._ok("refund_payment"),
        )

    def payout(self) -> dict:
        w = self.w
        return self.measured(
            lambda: self.ingress(w.owner, w.merchant, "create_payout", SYMBOL, 10 * FEE, account(w.owner), "bench"),
            self._ok("create_payout"),
        )

    # -- timers ---------------------------------------------------------------------------
    def webhook_delivery(self, status: int = 200) -> dict:
        """One delivery attempt to a real receiver on 127.0.0.1 answering `status`: a
        payment's event is queued, then the delivery timer (a zero-delay timer armed by the
        event) sends it; a non-2xx answer files a retry."""
        from tests.merchant_part2.webhook_receiver import WebhookReceiver

        w = self.w
        receiver = WebhookReceiver(status=status)
        try:
            hook = ok(
                w.call(
                    w.owner,
                    w.merchant,
                    "configure_webhook",
                    dict(configs.webhook_config(receiver.url), events=["checkout.session.completed"]),
                ),
                "configure_webhook",
            )
            pay_session(w, w.customers[0], new_session(w)["session_id"])  # unmetered: queues one delivery
            usage = self.measured(lambda: w.net.advance_time(1))
            outcalls = sum(u["outcalls"] for u in usage.values())
            if len(receiver.requests) != 1 or outcalls != 1:
                raise BenchError(
                    f"webhook delivery: {len(receiver.requests)} requests received, "
                    f"{outcalls} outcalls made (one of each expected)"
                )
            ok(w.call(w.owner, w.merchant, "delete_webhook", hook), "delete_webhook")
        finally:
            receiver.stop()
        return usage

    def expiry_per_session(self) -> dict:
        """expire_old_sessions (the expiry timer's code) with EXPIRY_DUE sessions due, minus the
        same call with none due, per session."""
        w = self.w
        args = dict(session_args(), expires_in_seconds=30 * 60)
        for _ in range(EXPIRY_DUE):
            ok(w.call(w.server, w.merchant, "create_checkout_session_with_options", args), "create session")
        w.net.set_time(w.net.time_ns + 31 * 60 * NS)  # past expiry; timers do not run
        due = self.measured(lambda: self.ingress(w.owner, w.merchant, "expire_old_sessions"))
        idle = self.measured(lambda: self.ingress(w.owner, w.merchant, "expire_old_sessions"))
        extra = due["merchant"]["instructions"] - idle["merchant"]["instructions"]
        return {
            "due": due,
            "idle": idle,
            "sessions": EXPIRY_DUE,
            "per_session": {"merchant": {"instructions": round(extra / EXPIRY_DUE)}},
        }

    def factory_tick(self) -> dict:
        """The merchant's timers when the report interval has passed and its counters moved
        (the earlier operations moved them): the metrics push to the factory (the accepted
        path) and the pulls of the security logs whose version moved, and what they cost
        the factory."""
        w = self.w
        w.net.run_until_idle()
        before = w.call(w.owner, w.merchant, "get_factory_reporting_status")
        usage = self.measured(lambda: w.net.advance_time(REPORT_INTERVAL_SECONDS + 1))
        after = ok(w.call(w.owner, w.merchant, "get_factory_reporting_status"), "get_factory_reporting_status")
        sent = after["reports_sent"] - ok(before, "get_factory_reporting_status")["reports_sent"]
        if sent < 1:
            raise BenchError(f"factory tick: no report accepted ({after['last_error']})")
        return usage

    def sync_status(self, merchant=None, owner=None) -> dict:
        w = self.w
        return ok(
            w.call(owner or w.owner, merchant or w.merchant, "get_factory_sync_status"), "get_factory_sync_status"
        )

    def factory_tick_idle(self) -> dict:
        """The next tick with nothing changed: the report is not sent, nothing is pulled. Only
        the merchant's usage is kept: the factory's own timers (rate refresh, cycles monitor)
        may run in the same window and are no merchant's cost; a merchant call would be."""
        before = self.sync_status()["reports_skipped"]
        usage = self.measured(lambda: self.w.net.advance_time(REPORT_INTERVAL_SECONDS + 1))
        if self.sync_status()["reports_skipped"] != before + 1:
            raise BenchError("idle tick: the unchanged report was not skipped")
        called = [m for m in self.last_methods if m.startswith("factory.") and not m.endswith(".<timer>")]
        if called:
            raise BenchError(f"idle tick: the merchant called the factory ({called})")
        return {"merchant": usage["merchant"]}

    def factory_version_check(self) -> dict:
        """An idle merchant's hourly tick: one check of the factory's security versions."""
        w = self.w
        status = self.sync_status()
        for _ in range(IDLE_PULL_TICKS - 1 - status["ticks_since_sync"]):
            w.net.advance_time(REPORT_INTERVAL_SECONDS + 1)
        usage = self.measured(lambda: w.net.advance_time(REPORT_INTERVAL_SECONDS + 1))
        if self.sync_status()["version_checks"] != status["version_checks"] + 1:
            raise BenchError("idle merchant: no hourly version check")
        return usage

    def shard_batches(self, sizes: tuple) -> dict:
        """A report aggregator shard deployed by the factory and a fleet of merchants the
        factory assigned to it at deployment; for each size, that many merchants' counters
        move (a session each), their ticks send the reports to the shard (unmetered), and the
        shard's next batch is measured: {size: the batch's usage and executions per method,
        and those of the reports' arrival at the shard}."""
        from benchmarks.costs.world import ENTRIES, deploy_merchant, principal, upload_version

        w = self.w
        upload_version(w, SHARD_VERSION, ENTRIES["report_aggregator"])
        shard = ok(w.call(w.admin, w.factory, "deploy_report_shard", SHARD_VERSION), "deploy_report_shard")[
            "canister_id"
        ]
        self.names[shard.bytes] = "shard"
        owners = [principal(f"fleet-owner-{i}") for i in range(max(sizes))]
        fleet = [deploy_merchant(w, owner, f"Fleet {i}") for i, owner in enumerate(owners)]
        for merchant in fleet:
            self.names[merchant.bytes] = "fleet"
        w.net.run_until_idle()  # the assignment pushes
        for owner, merchant in zip(owners, fleet):
            assigned = self.sync_status(merchant, owner)["report_shard"]
            if assigned is None or assigned.to_str() != shard.to_str():
                raise BenchError("fleet merchant not assigned to the shard")
        w.net.advance_time(REPORT_INTERVAL_SECONDS + 1)  # every first report, and their batch
        w.net.advance_time(REPORT_INTERVAL_SECONDS + 1)
        out = {}
        for size in sizes:
            for owner, merchant in zip(owners[:size], fleet[:size]):
                ok(
                    w.call(owner, merchant, "create_checkout_session_with_options", session_args("fleet")),
                    "fleet session",
                )
            reports = self.measured(lambda: w.net.advance_time(REPORT_INTERVAL_SECONDS + 1))  # ticks: to the shard
            report_methods = self.last_methods
            before = w.call(w.admin, shard, "get_shard_status")
            if before["pending"] != size:
                raise BenchError(f"shard batch: {before['pending']} reports pending, {size} expected")
            usage = self.measured(lambda: w.net.advance_time(REPORT_INTERVAL_SECONDS + 1))
            after = w.call(w.admin, shard, "get_shard_status")
            if (
                after["batches_sent"] != before["batches_sent"] + 1
                or after["reports_forwarded"] != before["reports_forwarded"] + size
            ):
                raise BenchError(f"shard batch of {size}: {after}")
            out[str(size)] = {
                "usage": usage,
                "methods": self.last_methods,
                "reports": reports,
                "report_methods": report_methods,
            }
        return out


def storage_per_payment(w: World, payments: int) -> dict:
    before = memory.usage(w.net, w.merchant)
    fill.fill_payments(w, payments)
    return memory.per_item(before, memory.usage(w.net, w.merchant), payments)


def measure_operations(quick: bool = True, log=print) -> dict:
    """Measure every money path once on a fresh system (quick) or on one holding 10,000
    paid sessions (full); returns the JSON document of the run."""
    import datetime
    import platform

    from localnet.runtime import metering

    w = build_world(4)
    flows = Flows(w)
    ok(w.call(w.owner, w.merchant, "register_for_one_click"), "register_for_one_click")
    payments = 20 if quick else 10_000
    log(f"paying {payments} sessions (stable memory per paid session)")
    storage = storage_per_payment(w, payments)
    ops: Dict[str, dict] = {}
    one_click_methods = {}

    def one_click_runs(name: str, run):
        def measure():
            usage = run()
            one_click_methods[name] = flows.last_methods
            return usage

        return measure

    for name, run in (
        ("create_session", flows.create_session),
        ("approve", flows.approve),
        ("pay_icrc2", flows.pay_icrc2),
        ("one_click", one_click_runs("one_click", flows.one_click)),
        ("one_click_settle_tick", one_click_runs("one_click_settle_tick", flows.one_click_settle_tick)),
        ("refund", flows.refund),
        ("payout", flows.payout),
        ("webhook_delivery", flows.webhook_delivery),
        ("webhook_failed_attempt", lambda: flows.webhook_delivery(status=500)),
    ):
        log(f"measuring {name}")
        ops[name] = run()
    log("measuring transfer + complete")
    ops["icrc1_transfer"], session_id, block = flows.transfer()
    ops["complete"] = flows.complete(session_id, block)
    log("measuring the factory tick")
    ops["factory_tick"] = flows.factory_tick()
    factory_methods = flows.last_methods
    log("measuring an idle tick and the hourly version check")
    ops["factory_tick_idle"] = flows.factory_tick_idle()
    idle_methods = flows.last_methods
    ops["factory_version_check"] = flows.factory_version_check()
    check_methods = flows.last_methods
    log("measuring report aggregator shard batches")
    shard = flows.shard_batches(BATCH_SIZES[quick])
    log("measuring expiry")
    ops["expiry"] = flows.expiry_per_session()
    return {
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "paid_sessions_before": payments,
        "python": platform.python_version(),
        "meter": {
            "instructions_per_bytecode": metering.INSTRUCTIONS_PER_BYTECODE,
            "native_charges": True,
            "constants": metering.cost_constants(),
        },
        "operations": ops,
        "factory_tick_methods": factory_methods,
        "factory_methods": {
            "factory_tick": factory_methods,
            "factory_tick_idle": idle_methods,
            "factory_version_check": check_methods,
        },
        "shard_batches": shard,
        "one_click_methods": one_click_methods,
        "storage_per_paid_session": storage,
    }
