"""From a recorded operations run (benchmarks/results/costs.json, made by
`./scripts/bench.sh --costs --run`) to the figures a merchant decides on: the cycles and USD
of every money path per paying canister, the all-in cost of an order next to Stripe's card
price, one merchant canister's sustained payments per second, and the number of merchants
at which the single factory saturates. `markdown()` is the table committed in
docs/benchmarks.md between the COSTS markers (tests/benchmarks/test_costs_table.py checks it
is what this module makes of the committed result file)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List

from benchmarks.costs.cycles import LEDGER_FEES, Usage, cost, usd
from localnet.runtime.cycles import APPLICATION_SUBNET, SECONDS_PER_MONTH, FeeTable
from localnet.runtime.metering import stable_map_cost

# -- the IC's per-round budget (dfinity/ic rs/config/src/subnet_config.rs @ 002d5530aeb1,
#    SchedulerConfig::application_subnet) -------------------------------------------------
MAX_INSTRUCTIONS_PER_ROUND = 4_000_000_000  # MAX_INSTRUCTIONS_PER_ROUND
MAX_INSTRUCTIONS_PER_SLICE = 2_000_000_000  # MAX_INSTRUCTIONS_PER_SLICE
# A canister's messages run on one thread per round until the round's instructions reach
# max_instructions_per_round - max_instructions_per_slice ("if messages are short ... we
# expect about 2B instructions to run in a round in about 1 second"): 2B per canister per round.
CANISTER_ROUND_BUDGET = MAX_INSTRUCTIONS_PER_ROUND - MAX_INSTRUCTIONS_PER_SLICE
OVERHEAD_PER_EXECUTION = 2_000_000  # INSTRUCTION_OVERHEAD_PER_EXECUTION (counts toward the round)
OVERHEAD_PER_CANISTER = 8_000_000  # INSTRUCTION_OVERHEAD_PER_CANISTER (once per round)
ROUNDS_PER_SECOND = 1.0  # same file: "a finalization rate of around 1 block per second"
REPORT_INTERVAL_SECONDS = 300  # src/user_payment_canister/factory_reporting.py
TARGET_MERCHANTS = 100_000  # issue 20: the ceiling must not be below this
IDLE_PULL_TICKS = 12  # src/user_payment_canister/factory_reporting.py: an idle merchant's version check
SHARD_CAPACITY = 5_000  # src/payment_backend/shard_registry.py DEFAULT_CAPACITY: merchants per shard
BATCH_MERCHANTS = 500  # src/report_aggregator/shard_reports.py BATCH_LIMIT: merchants per batch of sums
COUNTERS_AT_TARGET = 1_000_000  # entries of the factory's counters map assumed at TARGET_MERCHANTS (a few per merchant)
ACTIVE_SHARE = 0.10  # docs/scaling.md: the share of merchants whose counters move in a 300 s window

STRIPE_PERCENT, STRIPE_FIXED_USD = 0.029, 0.30  # stripe.com/pricing: "2.9% + 30¢ per successful
# transaction for domestic cards" (transcribed 2026-09-20, api-evangelist/stripe plans-pricing.yml)
STRIPE_PEAK_PER_MINUTE = 137_000  # stripe.com/newsroom/news/bfcm2024: "137,000 transactions
# per minute" at the Black Friday-Cyber Monday 2024 peak

# Illustrative token prices (USD) to show ledger fees in dollars; pass the day's prices.
TOKEN_USD = {"ckUSDC": 1.0, "ICP": 5.0, "ckBTC": 100_000.0, "ckETH": 3_000.0}


def webhook_attempts_until_failed() -> int:
    """Attempts of a delivery to an endpoint that never answers 2xx: the canister's own
    backoff (src/user_payment_canister/webhook_delivery.py), replayed."""
    from src.user_payment_canister.webhook_delivery import RETRY_WINDOW_SECONDS, retry_delay

    t, attempts = 0, 1
    while True:
        t += retry_delay(attempts)
        if t > RETRY_WINDOW_SECONDS:
            return attempts
        attempts += 1


@dataclass
class Op:
    key: str
    label: str
    by_payer: Dict[str, Usage]
    ledger_fees: int = 0  # ledger fees (in transfers) the customer or merchant pays

    def cycles(self, payer: str, fees: FeeTable) -> int:
        u = self.by_payer.get(payer)
        return 0 if u is None else cost(u, fees)["total"]

    def total(self) -> Usage:
        out = Usage()
        for u in self.by_payer.values():
            out = out.plus(u)
        return out


def usages(counts: Dict[str, dict]) -> Dict[str, Usage]:
    return {payer: Usage.of(c) for payer, c in counts.items()}


def combine(*parts: Dict[str, Usage], times: float = 1) -> Dict[str, Usage]:
    out: Dict[str, Usage] = {}
    for part in parts:
        for payer, u in part.items():
            out[payer] = out.get(payer, Usage()).plus(u, times)
    return out


def one_click_ops(u: dict) -> List[Op]:
    """The one-click rows; a run recorded before the one-call charge (no settle tick) keeps
    its own row as it was."""
    if "one_click_settle_tick" not in u:
        return [Op("one_click", "One-click charge (pre-authorized)", u["one_click"], ledger_fees=1)]
    return [
        Op(
            "one_click",
            "One-click charge (pre-authorized; its one factory call carries the previous charge's settlement)",
            u["one_click"],
            ledger_fees=1,
        ),
        Op(
            "one_click_settle_tick",
            "One-click settlement of a charge with no charge after it, sent in the maintenance tick's batch "
            "(merchant column: the whole tick)",
            u["one_click_settle_tick"],
        ),
    ]


def operations(doc: dict) -> List[Op]:
    """The money paths of a run, each as what every paying canister used."""
    ops = doc["operations"]
    u = {k: usages(v) for k, v in ops.items() if k != "expiry"}
    expiry = {"merchant": Usage(instructions=ops["expiry"]["per_session"]["merchant"]["instructions"])}
    attempts = webhook_attempts_until_failed()
    return (
        [
            Op("create_session", "Session creation (server)", u["create_session"]),
            Op(
                "icrc2",
                "ICRC-2 payment: customer's approve + pay_checkout_session",
                combine(u["approve"], u["pay_icrc2"]),
                ledger_fees=2,
            ),
            Op(
                "icrc1",
                "ICRC-1 payment: customer's transfer + complete_checkout_session (sweep)",
                combine(u["icrc1_transfer"], u["complete"]),
                ledger_fees=2,
            ),
        ]
        + one_click_ops(u)
        + [
            Op("refund", "Refund (full)", u["refund"], ledger_fees=1),
            Op("payout", "Payout to the owner", u["payout"], ledger_fees=1),
            Op("webhook", "Webhook delivery, one attempt (HTTPS outcall)", u["webhook_delivery"]),
            Op(
                "webhook_failing",
                f"Webhook delivery to an endpoint answering 500 ({attempts} failed attempts, the backoff over 3 days)",
                combine(u["webhook_failed_attempt"], times=attempts),
            ),
            Op("expiry", "Expiry of one unpaid session (timer, per session)", expiry),
            Op(
                "factory_tick",
                f"Metrics report to the factory after activity, and the pulls its reply asks for "
                f"(merchant column: all its timers over those {REPORT_INTERVAL_SECONDS} s)",
                u["factory_tick"],
            ),
            Op(
                "factory_tick_idle",
                f"Timers of an idle merchant over {REPORT_INTERVAL_SECONDS} s (report unchanged: not sent)",
                u["factory_tick_idle"],
            ),
            Op(
                "factory_version_check",
                f"Idle merchant's hourly security version check (the {IDLE_PULL_TICKS}th idle tick)",
                u["factory_version_check"],
            ),
        ]
    )


def storage(doc: dict, fees: FeeTable, xdr_usd: float, payments: int = 100_000) -> dict:
    s = doc["storage_per_paid_session"]
    out = {"payments": payments}
    for kind in ("encoded", "reserved"):
        per = s[f"{kind}_bytes_per_item"]
        monthly = fees.storage_per_month(per * payments)
        out[kind] = {
            "bytes_per_payment": per,
            "cycles_per_month": round(monthly),
            "usd_per_month": usd(monthly, xdr_usd),
        }
    return out


def round_cost(u: Usage) -> int:
    """Instructions one canister's message executions take out of its round budget."""
    return u.instructions + OVERHEAD_PER_EXECUTION * u.executions


def per_second(per_item: int) -> float:
    return (CANISTER_ROUND_BUDGET - OVERHEAD_PER_CANISTER) * ROUNDS_PER_SECOND / per_item if per_item else float("inf")


def throughput(ops: Dict[str, Op]) -> dict:
    """Sustained payments per second of one merchant canister (and of the ledger it calls),
    for a payment = session creation + ICRC-2 pay + one webhook delivery."""
    payment = combine(ops["create_session"].by_payer, ops["icrc2"].by_payer, ops["webhook"].by_payer)
    merchant = round_cost(payment.get("merchant", Usage()))
    ledger = round_cost(payment.get("ledger", Usage()))
    return {
        "merchant_round_cost_per_payment": merchant,
        "ledger_round_cost_per_payment": ledger,
        "merchant_payments_per_second": per_second(merchant),
        "ledger_payments_per_second": per_second(ledger),
        "stripe_peak_per_second": STRIPE_PEAK_PER_MINUTE / 60,
    }


def method_cost(methods: Dict[str, dict], prefix: str) -> int:
    """Round cost (instructions + 2M per execution) of the recorded methods starting with
    `prefix` ("factory.submit_report_totals", or "factory." for every method but its own timers)."""
    total = 0
    for name, row in methods.items():
        if name.startswith(prefix) and not name.endswith(".<timer>"):
            total += row["instructions"] + OVERHEAD_PER_EXECUTION * row["executions"]
    return total


def factory_batch_cost(methods: Dict[str, dict]) -> int:
    """What one shard batch costs the factory: its market query and the sums' update."""
    return method_cost(methods, "factory.get_report_market") + method_cost(methods, "factory.submit_report_totals")


def counter_ops_per_batch() -> int:
    """The most operations a batch makes on the factory's counters map, its only map that
    grows with the merchants (it holds sole_control:<merchant> and the like): a get and an
    insert per count it changes (every metric, the three merchant counts and every one of
    the 100 conversion buckets at most), the shard_batches count, last_report_at, and the
    four log versions of the reply (src/payment_backend/report_totals.py, apply_totals)."""
    from src.common.report_checks import TOTAL_FIELDS

    counts = len(TOTAL_FIELDS) + 3 + 100
    return 2 * counts + 2 + 1 + 4


def shard_costs(doc: dict) -> dict:
    """From the measured shard batches (sizes k1 < ... < kn merchants): the factory's round
    cost per batch at each size (it must not grow with the merchants: the shard sends sums),
    its worst, the same bounded for counters maps of COUNTERS_AT_TARGET entries, and the
    shard's own cost per merchant (its receipt of the report and its share of the batch)."""
    runs = doc["shard_batches"]
    sizes = sorted(int(k) for k in runs)
    k1, kn = sizes[0], sizes[-1]
    small, large = runs[str(k1)], runs[str(kn)]
    by_size = {str(k): factory_batch_cost(runs[str(k)]["methods"]) for k in sizes}
    per_batch = max(by_size.values())

    def shard_timer(r: dict) -> int:
        row = r["methods"].get("shard.<timer>", {"instructions": 0, "executions": 0})
        return row["instructions"] + OVERHEAD_PER_EXECUTION * row["executions"]

    receipt = method_cost(large["report_methods"], "shard.submit_metrics_report") / kn
    shard_per_merchant = receipt + (shard_timer(large) - shard_timer(small)) / (kn - k1)
    map_bound = counter_ops_per_batch() * stable_map_cost("insert", COUNTERS_AT_TARGET)
    return {
        "sizes": sizes,
        "factory_per_batch_by_size": by_size,
        "factory_growth_per_merchant": round((by_size[str(kn)] - by_size[str(k1)]) / (kn - k1)),
        "factory_per_batch": per_batch,
        "factory_per_batch_at_target": per_batch + map_bound,
        "shard_per_merchant": round(shard_per_merchant),
    }


def factory_ceiling(ops: Dict[str, Op], doc: dict) -> dict:
    """Merchants one factory carries, from its round budget over REPORT_INTERVAL_SECONDS and
    what each kind of merchant costs it per interval: reporting directly (active: a report;
    idle: a version check every IDLE_PULL_TICKS intervals, nothing in between) or through
    shards of SHARD_CAPACITY, which send the factory one batch of sums per BATCH_MERCHANTS
    active merchants and at least one per shard and interval (an idle merchant costs the
    factory nothing). The sharded ceilings use the batch's cost bounded for maps at the
    target size (factory_per_batch_at_target)."""
    budget = per_second(1) * REPORT_INTERVAL_SECONDS  # round instructions per interval
    methods = doc["factory_methods"]
    active = method_cost(methods["factory_tick"], "factory.")
    idle = method_cost(methods["factory_version_check"], "factory.") / IDLE_PULL_TICKS
    sh = shard_costs(doc)
    batch = sh["factory_per_batch_at_target"]

    def carried(per_merchant: float) -> float:
        return budget / per_merchant

    def sharded(share: float) -> float:
        """Merchants carried when `share` of them are active in a window."""
        per_merchant = max(share / BATCH_MERCHANTS, 1 / SHARD_CAPACITY) * batch
        return carried(per_merchant)

    batches_at_target = max(1.0, TARGET_MERCHANTS / BATCH_MERCHANTS)
    one_click = round_cost(ops["one_click"].by_payer.get("factory", Usage()))
    at_share = sharded(ACTIVE_SHARE)
    settle_batch = method_cost(
        doc.get("one_click_methods", {}).get("one_click_settle_tick", {}), "factory.settle_one_click_reservations"
    )
    return {
        "active_direct": active,
        "idle_direct": round(idle),
        "shard": sh,
        "direct_all_active": carried(active),
        "direct_at_share": carried(ACTIVE_SHARE * active + (1 - ACTIVE_SHARE) * idle),
        "sharded_all_active": sharded(1.0),
        "sharded_at_share": at_share,
        "target_budget_share": batches_at_target * batch / budget,
        "shard_merchants_all_active": budget / sh["shard_per_merchant"],
        "one_click_factory_round_cost": one_click,
        "one_click_charges_per_second_at_saturation": per_second(one_click),
        "one_click_settle_batch_round_cost": settle_batch,
        "one_click_lone_charges_per_second": per_second(one_click + settle_batch),
        "below_target": sharded(1.0) < TARGET_MERCHANTS,
    }


def order_costs(ops: Dict[str, Op], fees: FeeTable, xdr_usd: float, amount_usd: float) -> List[dict]:
    """All-in cost of one order per token: the merchant canister's cycles (session, ICRC-2
    payment, one webhook delivery) plus the two ledger fees, against Stripe's card price."""
    merchant_cycles = sum(ops[k].cycles("merchant", fees) for k in ("create_session", "icrc2", "webhook"))
    rows = []
    for symbol, fee in LEDGER_FEES.items():
        ledger_usd = fee.tokens(ops["icrc2"].ledger_fees) * TOKEN_USD[symbol]
        ours = usd(merchant_cycles, xdr_usd) + ledger_usd
        stripe = amount_usd * STRIPE_PERCENT + STRIPE_FIXED_USD
        rows.append(
            {
                "token": symbol,
                "amount_usd": amount_usd,
                "cycles_usd": usd(merchant_cycles, xdr_usd),
                "ledger_usd": ledger_usd,
                "ours_usd": ours,
                "stripe_usd": stripe,
            }
        )
    return rows


def figures(doc: dict, xdr_usd: float, fees: FeeTable = APPLICATION_SUBNET) -> dict:
    ops = {op.key: op for op in operations(doc)}
    return {
        "ops": ops,
        "storage": storage(doc, fees, xdr_usd),
        "throughput": throughput(ops),
        "factory": factory_ceiling(ops, doc),
        "orders": order_costs(ops, fees, xdr_usd, 10) + order_costs(ops, fees, xdr_usd, 100),
    }


def _usd(x: float) -> str:
    if x == 0:
        return "$0"
    if x < 0.0001:
        return f"${x:.7f}"
    return f"${x:.4f}" if x < 1 else f"${x:,.2f}"


def markdown(doc: dict, xdr_usd: float, fees: FeeTable = APPLICATION_SUBNET) -> str:
    f = figures(doc, xdr_usd, fees)
    meter = doc["meter"]
    lines = [
        f"Recorded run: `benchmarks/results/costs.json` ({doc['mode']} mode, {doc['generated_at']}, "
        f"Python {doc['python']}; meter: {meter['instructions_per_bytecode']:,} instructions per bytecode"
        + (" + Kybra's native charges" if meter["native_charges"] else ", no native charges (main's meter)")
        + f"). Fees: 13-node application subnet; 1 T cycles = 1 XDR = ${xdr_usd}.",
        "",
        "| Operation | Instructions (all canisters) | Merchant canister pays | Ledger pays | Factory pays | Merchant USD | Ledger fees (transfers) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in f["ops"].values():
        m, lg, fa = (op.cycles(p, fees) for p in ("merchant", "ledger", "factory"))
        lines.append(
            f"| {op.label} | {op.total().instructions:,} | {m:,} | {lg:,} | {fa:,} | "
            f"{_usd(usd(m, xdr_usd))} | {op.ledger_fees} |"
        )
    st = f["storage"]
    ticks_per_month = SECONDS_PER_MONTH // REPORT_INTERVAL_SECONDS
    idle_tick, check = f["ops"]["factory_tick_idle"], f["ops"]["factory_version_check"]
    idle = idle_tick.cycles("merchant", fees) * ticks_per_month
    reports = f["ops"]["factory_tick"].cycles("factory", fees) * ticks_per_month
    checks = check.cycles("factory", fees) * ticks_per_month / IDLE_PULL_TICKS
    lines += [
        "",
        f"Standing costs: an idle merchant canister's timers burn {idle_tick.cycles('merchant', fees):,} cycles per "
        f"{REPORT_INTERVAL_SECONDS} s, {_usd(usd(idle, xdr_usd))} per month before storage; the factory pays "
        f"{_usd(usd(checks, xdr_usd))} per idle merchant per month (its hourly version check; an unchanged report is "
        f"not sent) and {_usd(usd(reports, xdr_usd))} per merchant active in every {REPORT_INTERVAL_SECONDS} s "
        f"window reporting directly.",
        "",
        f"Storage: a paid session stores {st['encoded']['bytes_per_payment']:,.0f} bytes and reserves "
        f"{st['reserved']['bytes_per_payment']:,.0f} (Kybra 0.7.1's fixed-size slots); 100,000 payments kept cost "
        f"{_usd(st['encoded']['usd_per_month'])} to {_usd(st['reserved']['usd_per_month'])} per month.",
        "",
        "Ledger fees per transfer: "
        + "; ".join(f"{s} {fee.fee:,} ({fee.tokens():g} {s.removeprefix('ck')})" for s, fee in LEDGER_FEES.items())
        + ".",
        "",
        "An order with us: the merchant canister's cycles for the session, the ICRC-2 payment and one "
        "webhook delivery, plus the customer's two ledger fees (approve, transfer_from).",
        "",
        "| Order | Token (USD price assumed) | Our cycles | Ledger fees | Ours, all-in | % of order | Stripe card (2.9% + 30¢) | % of order |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in f["orders"]:
        amount = row["amount_usd"]
        lines.append(
            f"| ${amount:.0f} | {row['token']} (${TOKEN_USD[row['token']]:,.0f}) | "
            f"{_usd(row['cycles_usd'])} | {_usd(row['ledger_usd'])} | {_usd(row['ours_usd'])} | "
            f"{row['ours_usd'] / amount:.3%} | {_usd(row['stripe_usd'])} | {row['stripe_usd'] / amount:.1%} |"
        )
    tp, fc = f["throughput"], f["factory"]
    lines += [
        "",
        f"Throughput: a payment (session + ICRC-2 pay + one webhook delivery) takes "
        f"{tp['merchant_round_cost_per_payment']:,} instructions of the merchant canister's round budget "
        f"(instructions + 2M per execution): **{tp['merchant_payments_per_second']:,.0f} payments/s** per merchant "
        f"canister at 2B instructions per canister per round and ~1 round/s; the ledger side allows "
        f"{tp['ledger_payments_per_second']:,.0f}/s per ledger. Stripe's published peak: "
        f"{STRIPE_PEAK_PER_MINUTE:,} transactions/minute ({tp['stripe_peak_per_second']:,.0f}/s) over all its merchants.",
        "",
        f"Factory ceiling (docs/scaling.md): per {REPORT_INTERVAL_SECONDS} s the factory's round budget is "
        f"{per_second(1) * REPORT_INTERVAL_SECONDS / 1e9:,.0f}B instructions. A merchant reporting directly costs it "
        f"{fc['active_direct']:,} when its counters moved and {fc['idle_direct']:,} when idle (a version check every "
        f"{IDLE_PULL_TICKS} intervals): {fc['direct_all_active']:,.0f} merchants if all are active, "
        f"{fc['direct_at_share']:,.0f} at {ACTIVE_SHARE:.0%} active. Through report aggregator shards "
        f"(which hold their merchants' last reports and send the factory sums) a batch costs it "
        + ", ".join(
            f"{v:,} with {k} merchant{'' if k == '1' else 's'}"
            for k, v in fc["shard"]["factory_per_batch_by_size"].items()
        )
        + f" (its market query and its sums; {fc['shard']['factory_growth_per_merchant']:,} more per merchant in "
        f"it); bounded for "
        f"a counters map of {COUNTERS_AT_TARGET:,} entries (its only map that grows with the merchants) "
        f"{fc['shard']['factory_per_batch_at_target']:,}. With up to {BATCH_MERCHANTS} merchants a batch and an "
        f"idle merchant costing it nothing: **{fc['sharded_all_active']:,.0f} merchants if every one is active in "
        f"every window**, {fc['sharded_at_share']:,.0f} at {ACTIVE_SHARE:.0%} active; {TARGET_MERCHANTS:,} all-active "
        f"merchants use {fc['target_budget_share']:.1%} of its budget. A shard spends "
        f"{fc['shard']['shard_per_merchant']:,} per active merchant, so one carries "
        f"{fc['shard_merchants_all_active']:,.0f} all-active merchants ({SHARD_CAPACITY:,} assigned). A one-click "
        + one_click_sentence(fc, "one_click_methods" in doc),
    ]
    lines += ["", headline(f, doc, fees, xdr_usd)]
    return "\n".join(lines) + "\n"


def one_click_sentence(fc: dict, one_call: bool) -> str:
    """The one-click part of the factory ceiling (a run from before the one-call charge
    keeps its own sentence)."""
    if not one_call:
        return (
            f"charge costs the factory {fc['one_click_factory_round_cost']:,}: "
            f"{fc['one_click_charges_per_second_at_saturation']:,.0f} one-click charges per second across all "
            f"merchants saturate it on their own (design step 3, not built)."
        )
    return (
        f"charge costs the factory {fc['one_click_factory_round_cost']:,} (one `reserve_one_click_spend`, which "
        f"carries the previous charge's settlement): "
        f"{fc['one_click_charges_per_second_at_saturation']:,.0f} one-click charges per second across all "
        f"merchants saturate it on their own; a charge with none after it has its settlement sent by the "
        f"merchant's tick ({fc['one_click_settle_batch_round_cost']:,} for a batch of one), "
        f"{fc['one_click_lone_charges_per_second']:,.0f}/s if every charge were alone (customer-sharded limits, "
        f"design step 3, are the path past that)."
    )


def headline(f: dict, doc: dict, fees: FeeTable, xdr_usd: float) -> str:
    """What dominates our cost and the one change that would cut it most, from the figures."""
    ops = f["ops"]
    usdc = next(r for r in f["orders"] if r["token"] == "ckUSDC" and r["amount_usd"] == 10)
    big = next(r for r in f["orders"] if r["token"] == "ckUSDC" and r["amount_usd"] == 100)
    order_cycles = sum(ops[k].cycles("merchant", fees) for k in ("create_session", "icrc2", "webhook"))
    hook = ops["webhook"].by_payer["merchant"]
    hook_cycles = ops["webhook"].cycles("merchant", fees)
    per_attempt = max(1, hook.outcalls)
    reserved = hook.outcall_max_response_bytes // per_attempt
    reserved_cycles = fees.http_response_per_byte_fee * reserved * fees.subnet_size * per_attempt
    smaller = fees.http_response_per_byte_fee * (reserved - 1024) * fees.subnet_size * per_attempt
    failing = ops["webhook_failing"].cycles("merchant", fees)
    tp, fc = f["throughput"], f["factory"]
    return (
        f"**Headline.** What dominates our cost is the **ledger fees**, not cycles: an order pays two ledger "
        f"transfers (ICRC-2: the customer's approve and the `transfer_from`; ICRC-1: the customer's transfer and "
        f"the merchant's sweep), {_usd(usdc['ledger_usd'])} in ckUSDC, while the merchant canister's cycles for "
        f"the whole order ({order_cycles / 1e6:,.0f}M cycles) are {_usd(usdc['cycles_usd'])}, "
        f"{usdc['cycles_usd'] / usdc['ours_usd']:.0%} of it. All-in, a $10 order costs "
        f"{usdc['ours_usd'] / 10:.2%} with us against Stripe's {usdc['stripe_usd'] / 10:.1%} "
        f"({_usd(usdc['stripe_usd'])}), a $100 order {big['ours_usd'] / 100:.3%} against "
        f"{big['stripe_usd'] / 100:.1%} ({_usd(big['stripe_usd'])}). The one change that would cut our cost most "
        f"is **one ledger transfer per payment instead of two**: an ICRC-2 customer who keeps a standing "
        f"allowance (one approve for many payments, as the one-click pre-authorization already does) pays only "
        f"the `transfer_from` fee, and an ICRC-1 payment made to the merchant's main account with the session "
        f"id in the memo needs no sweep; either halves the ledger fees and so the all-in cost. Within the cycles, "
        f"the webhook delivery's HTTPS outcall is "
        f"{'the largest item' if hook_cycles >= max(ops[k].cycles('merchant', fees) for k in ('create_session', 'icrc2')) else 'one item'}"
        f" ({hook_cycles / order_cycles:.0%} of the "
        f"merchant canister's cycles per order); {reserved_cycles / hook_cycles:.0%} of a delivery's cycles pay "
        f"for the {reserved:,} response bytes its outcall reserves (`MAX_RESPONSE_BYTES` in "
        f"`webhook_delivery.py`; the transform keeps only the status code), so reserving 1,024 would cut a "
        f"delivery by {smaller / hook_cycles:.0%}. A delivery to a failing endpoint is retried over 3 days and "
        f"costs {_usd(usd(failing, xdr_usd))}. Throughput: {tp['merchant_payments_per_second']:,.0f} payments/s per "
        f"merchant canister; Stripe's peak ({tp['stripe_peak_per_second']:,.0f}/s over all its merchants) is "
        f"{tp['stripe_peak_per_second'] / tp['merchant_payments_per_second']:,.0f} merchant canisters at full "
        f"load. Through report aggregator shards the factory carries {fc['sharded_all_active']:,.0f} merchants "
        f"all active in every window (its cost per batch of sums bounded for maps at that size)"
        + (
            f", below the {TARGET_MERCHANTS:,} the platform is meant for."
            if fc["below_target"]
            else f", above the {TARGET_MERCHANTS:,} the platform is meant for; one shard carries "
            f"{fc['shard_merchants_all_active']:,.0f} (docs/scaling.md)."
        )
    )


BEGIN, END = "<!-- COSTS:BEGIN (./scripts/bench.sh --costs --write-docs) -->", "<!-- COSTS:END -->"


def with_table(text: str, table: str) -> str:
    """`text` (docs/benchmarks.md) with the generated table between the markers."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table + text[end:]


def committed_table(text: str) -> str:
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].lstrip("\n")
