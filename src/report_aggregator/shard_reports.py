"""Reports of the shard's merchants, checked and summed here, and the sums sent to the
factory in batches (docs/scaling.md, "Report aggregators", option (b)).

The shard holds each assigned merchant's last report the factory counted (`last_map`,
seeded by the factory's `add_report_merchants`), so it makes the checks and the valuation a
report gets at the factory (common/report_checks.py, against the tracked tokens' rates and
supplies read from the factory once per batch) and the sums (common/report_deltas.py); the
factory applies only the sums, in O(groups + tokens + templates) per batch.

A merchant's report is cumulative, so the shard keeps only the latest one per merchant in
`pending_map`, queued in arrival order. Every BATCH_INTERVAL_SECONDS the oldest pending
reports (at most BATCH_LIMIT, fewer when a batch's names would pass MAX_BATCH_NAMES per
table) are checked against their last reports and summed; the batch (its sums and its
reports) is staged in stable memory before it is sent with the next batch seq, and a batch
the factory did not answer is re-sent exactly as it was (the factory applies a seq once and
acknowledges a repeat). Only when the factory acknowledged it do its reports become the
merchants' last reports and leave the queue; a report that arrived while its batch was in
flight stays for the next one. A refused report (its text goes to the factory with the
batch) is dropped: the merchant's next cumulative report carries the same counts."""

from kybra import Principal, Vec, ic, query, update, void

from src.common.factory_api import MerchantMetricsReport, MetricsReceiptResult
from src.common.message_budget import budget_left
from src.common.report_checks import (
    TOTAL_FIELDS,
    check_report,
    check_report_shape,
    empty_report,
    token_amounts,
    value_report,
)
from src.common.report_deltas import MAX_REFUSALS, add_report_delta, fits_batch, new_deltas, totals_record
from src.common.shard_api import (
    MerchantReportResult,
    ShardMerchantSeed,
    ShardMerchantSeedsResult,
    ShardStatus,
    ShardUnitResult,
)
from src.report_aggregator.shard_mirror import mirror_versions, sync_mirror
from src.report_aggregator.shard_store import (
    add,
    config_map,
    count,
    factory_service,
    factory_text,
    inflight_map,
    last_map,
    merchants_map,
    pending_map,
    queue_map,
    set_to,
    staged_map,
)

NS = 1_000_000_000
BATCH_INTERVAL_SECONDS = 300
BATCH_LIMIT = 500  # merchants per batch (the factory's cost per batch does not grow with them)
MAX_ASSIGN = 100  # merchants per add/remove call (a last report is at most 8 KiB: under 1 MiB a call)
LOCK_SECONDS = 600  # a batch lock older than this was left by a trapped callback
STAGED_TO = "staged_to"  # counter: the last queue seq of the batch in flight


def factory_only(what: str) -> "str | None":
    if ic.caller().to_str() != factory_text():
        return "unauthorized: only this shard's factory may " + what
    return None


@update
def add_report_merchants(merchants: Vec[ShardMerchantSeed]) -> ShardUnitResult:
    """The factory only: these merchant canisters report here from now on, each with its last
    report the factory counted (the shard holds it from now on; None: it never reported)."""
    err = factory_only("assign merchants to it")
    if err is None and len(merchants) > MAX_ASSIGN:
        err = "invalid_argument: at most " + str(MAX_ASSIGN) + " merchants per call"
    for seed in merchants:
        if err is None and seed["last_report"] is not None:
            err = check_report_shape(seed["last_report"])
    if err is not None:
        return {"Err": err}
    for seed in merchants:
        key = seed["merchant"].to_str()
        if not merchants_map.contains_key(key):
            merchants_map.insert(key, 1)
            add("merchants", 1)
        if seed["last_report"] is None:
            if last_map.contains_key(key):
                last_map.remove(key)
        else:
            last_map.insert(key, seed["last_report"])
    return {"Ok": None}


def counted_report(key: str) -> "dict | None":
    """The merchant's last report the factory counted or will count: the one of the batch in
    flight when it is in it (that batch is re-sent until acknowledged), else its last one."""
    staged = staged_map.get(key)
    if staged is not None and staged["accepted"]:
        return staged["report"]
    return last_map.get(key)


@update
def remove_report_merchants(merchants: Vec[Principal]) -> ShardMerchantSeedsResult:
    """The factory only, when a merchant leaves its sole control: the shard stops taking and
    counting its reports (a pending one is dropped) and hands back its last counted report,
    so the factory holds it again."""
    err = factory_only("remove merchants from it")
    if err is None and len(merchants) > MAX_ASSIGN:
        err = "invalid_argument: at most " + str(MAX_ASSIGN) + " merchants per call"
    if err is not None:
        return {"Err": err}
    out = []
    for merchant in merchants:
        key = merchant.to_str()
        if not merchants_map.contains_key(key):
            continue
        out.append({"merchant": merchant, "last_report": counted_report(key)})
        merchants_map.remove(key)
        add("merchants", -1)
        if pending_map.contains_key(key):
            pending_map.remove(key)
        if last_map.contains_key(key):
            last_map.remove(key)
    return {"Ok": out}


@query
def get_merchant_report(merchant: Principal) -> MerchantReportResult:
    """The factory only (its per-merchant benchmarks): the merchant's last counted report."""
    err = factory_only("read a merchant's report")
    key = merchant.to_str()
    if err is None and not merchants_map.contains_key(key):
        err = "not_found: " + key + " is not assigned to this report aggregator"
    if err is not None:
        return {"Err": err}
    return {"Ok": counted_report(key)}


@update
def submit_metrics_report(report: MerchantMetricsReport) -> MetricsReceiptResult:
    """An assigned merchant's cumulative report, kept until the next batch; the reply is the
    versions of this shard's security mirror (the merchant pulls what moved from here)."""
    who = ic.caller().to_str()
    if not merchants_map.contains_key(who):
        return {"Err": "unauthorized: " + who + " is not assigned to this report aggregator"}
    err = check_report_shape(report)
    if err is not None:
        return {"Err": err}
    if not pending_map.contains_key(who):
        queue_map.insert(add("q:tail", 1), who)
    pending_map.insert(who, report)
    add("reports_received", 1)
    return {"Ok": mirror_versions()}


def same_report(a: dict, b: dict) -> bool:
    """Equal but for volume_usd_cents (the shard values it; the merchant sends 0)."""
    for field in TOTAL_FIELDS[:-1]:
        if a[field] != b[field]:
            return False
    for field in ("volume_by_token", "template_conversions", "region", "industry"):
        if a[field] != b[field]:
            return False
    return True


def refusal(merchant: str, err: str) -> dict:
    return {"merchant": merchant, "code": err.split(":")[0][:40], "error": err[:300]}


def build_batch(market_rows: list, now: int) -> "dict | None":
    """Check, value and sum the oldest pending reports against their last ones, and stage
    the batch (its sums and reports) before it is sent: the InflightBatch, or None when no
    report is pending. `market_rows`: the factory's tracked tokens (get_report_market)."""
    market = {}
    for row in market_rows:
        market[row["symbol"]] = row

    def lookup(symbol: str) -> "dict | None":
        return market.get(symbol)

    totals = new_deltas()
    refused = []
    refused_count = 0
    taken = 0
    seq = count("q:head") + 1
    tail = count("q:tail")
    last_seq = 0
    while seq <= tail and taken < BATCH_LIMIT:
        if taken > 0 and not budget_left():
            break
        merchant = queue_map.get(seq)
        report = None if merchant is None else pending_map.get(merchant)
        if report is None or staged_map.contains_key(merchant):
            if merchant is not None:
                queue_map.remove(seq)  # stale: its merchant left, or it is queued again below
            last_seq = seq
            seq += 1
            continue
        stored = last_map.get(merchant)
        old = empty_report() if stored is None else stored
        amounts = (token_amounts(old), token_amounts(report))
        if taken > 0 and not fits_batch(totals, stored, report, amounts):
            break
        err = check_report(report, old, amounts, lookup)
        if err is None:
            valued = dict(report)
            value_report(valued, old, amounts, lookup)
            add_report_delta(totals, old, valued, stored is None, amounts)
            staged_map.insert(merchant, {"queue_seq": seq, "report": valued, "accepted": True})
        else:
            refused_count += 1
            if len(refused) < MAX_REFUSALS:
                refused.append(refusal(merchant, err))
            staged_map.insert(merchant, {"queue_seq": seq, "report": report, "accepted": False})
        taken += 1
        last_seq = seq
        seq += 1
    if last_seq > 0:
        set_to(STAGED_TO, last_seq)
    if taken == 0:
        if last_seq > 0:
            set_to("q:head", last_seq)
        return None
    batch = {"totals": totals_record(totals, count("batch_seq") + 1, refused, refused_count), "sent_at": now}
    inflight_map.insert(0, batch)
    return batch


def commit_batch(batch: dict) -> None:
    """The factory acknowledged the batch: its accepted reports become the merchants' last
    ones, its queue entries go, and a merchant whose report changed meanwhile is queued again."""
    for merchant, staged in staged_map.items():
        queue_map.remove(staged["queue_seq"])
        if staged["accepted"] and merchants_map.contains_key(merchant):
            last_map.insert(merchant, staged["report"])
        pending = pending_map.get(merchant)
        if pending is not None:
            if same_report(pending, staged["report"]):
                pending_map.remove(merchant)
            else:
                queue_map.insert(add("q:tail", 1), merchant)
        staged_map.remove(merchant)
    set_to("q:head", max(count("q:head"), count(STAGED_TO)))
    set_to("batch_seq", batch["totals"]["seq"])
    inflight_map.remove(0)
    add("batches_sent", 1)
    add("reports_forwarded", batch["totals"]["reports"])
    add("reports_refused", batch["totals"]["refused_count"])


def drop_batch() -> None:
    """The factory refused the batch (nothing applied): it is made again from the queue."""
    for merchant in staged_map.keys():
        staged_map.remove(merchant)
    inflight_map.remove(0)


def failed(error: str, now: int) -> bool:
    add("batch_failures", 1)
    set_to("last_error_at", now)
    ic.print(error)
    return False


def send_batch():
    """One batch to the factory and the mirror sync its reply asks for (a generator);
    True when more reports wait. A staged batch is re-sent as it is."""
    svc = factory_service()
    now = ic.time()
    batch = inflight_map.get(0)
    if batch is None:
        if count("q:head") >= count("q:tail"):
            result = yield svc.get_security_versions()
            if getattr(result, "Err", None) is None:
                yield sync_mirror(svc, result.Ok)
            return False
        market = yield svc.get_report_market()
        if getattr(market, "Err", None) is not None:
            return failed("factory market unreachable: " + str(market.Err)[:300], now)
        batch = build_batch(market.Ok, now)
        if batch is None:
            return False
    result = yield svc.submit_report_totals(batch["totals"])
    if getattr(result, "Err", None) is not None:
        return failed("factory unreachable (the batch is re-sent): " + str(result.Err)[:300], now)
    if "Err" in result.Ok:
        drop_batch()
        return failed("factory refused the batch: " + result.Ok["Err"][:300], now)
    commit_batch(batch)
    for entry in batch["totals"]["refused"][:20]:
        ic.print("report of " + entry["merchant"] + " refused: " + entry["error"][:200])
    set_to("last_batch_at", now)
    yield sync_mirror(svc, result.Ok["Ok"]["versions"])
    return count("q:head") < count("q:tail")


def batch_tick() -> void:
    """Timer: one batch at a time (a lock taken before the call, cleared after it)."""
    if factory_service() is None:
        return
    now = ic.time()
    if count("lock_at") != 0 and now - count("lock_at") < LOCK_SECONDS * NS:
        return
    set_to("lock_at", now)
    more = yield send_batch()
    set_to("lock_at", 0)
    if more:
        ic.set_timer(0, batch_tick)


def arm_batches() -> None:
    """init and post_upgrade (timers do not survive an upgrade)."""
    ic.set_timer_interval(BATCH_INTERVAL_SECONDS, batch_tick)


@query
def get_shard_status() -> ShardStatus:
    """Counts only (no merchant is named): what the shard holds and has forwarded."""
    return {
        "factory": config_map.get(0)["factory"],
        "merchants": count("merchants"),
        "pending": pending_map.len(),
        "batches_sent": count("batches_sent"),
        "batch_failures": count("batch_failures"),
        "reports_received": count("reports_received"),
        "reports_forwarded": count("reports_forwarded"),
        "reports_refused": count("reports_refused"),
        "last_batch_at": count("last_batch_at"),
        "batch_seq": count("batch_seq"),
        "in_flight": inflight_map.contains_key(0),
        "versions": mirror_versions(),
    }
