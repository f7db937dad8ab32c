"""Reports of the shard's merchants, forwarded to the factory in batches (docs/scaling.md,
"Report aggregators").

A merchant's report is cumulative (its totals since install), so the shard keeps only the
latest one per merchant: a merchant that reported three times since the last batch is one
entry of it, and the factory applies the difference to its last accepted report as it does
for a merchant's own call (same checks, same valuation, one implementation). Every
BATCH_INTERVAL_SECONDS the shard sends the pending reports in arrival order, at most
BATCH_LIMIT per message, the next message chained at once when more wait. A report leaves
the queue only when the factory handled it (accepted or refused); a report that arrived
while its batch was in flight stays for the next. A failed or unanswered batch keeps
everything pending: nothing is lost, and a merchant whose shard does not answer reports to
the factory directly (a later, stale copy here is then refused as decreasing)."""

from kybra import Principal, Vec, ic, query, update, void

from src.common.factory_api import MerchantMetricsReport, MetricsReceiptResult
from src.common.report_checks import check_report_shape
from src.common.shard_api import ShardStatus, ShardUnitResult
from src.report_aggregator.shard_mirror import mirror_versions, sync_mirror
from src.report_aggregator.shard_store import (
    add,
    config_map,
    count,
    factory_service,
    factory_text,
    merchants_map,
    pending_map,
    queue_map,
    set_to,
)

NS = 1_000_000_000
BATCH_INTERVAL_SECONDS = 300
BATCH_LIMIT = 500  # reports per batch message (about 0.5 KB each; the factory stops early at its budget)
MAX_ASSIGN = 1000  # merchants per add_report_merchants call
LOCK_SECONDS = 600  # a batch lock older than this was left by a trapped callback


@update
def add_report_merchants(merchants: Vec[Principal]) -> ShardUnitResult:
    """The factory only: these merchant canisters report here from now on."""
    if ic.caller().to_str() != factory_text():
        return {"Err": "unauthorized: only this shard's factory may assign merchants to it"}
    if len(merchants) > MAX_ASSIGN:
        return {"Err": "invalid_argument: at most " + str(MAX_ASSIGN) + " merchants per call"}
    for merchant in merchants:
        key = merchant.to_str()
        if not merchants_map.contains_key(key):
            merchants_map.insert(key, 1)
            add("merchants", 1)
    return {"Ok": None}


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


def take_batch() -> list:
    """[(queue seq, merchant, report)] of the oldest pending reports, at most BATCH_LIMIT."""
    taken = []
    seq = count("q:head") + 1
    tail = count("q:tail")
    while seq <= tail and len(taken) < BATCH_LIMIT:
        merchant = queue_map.get(seq)
        report = None if merchant is None else pending_map.get(merchant)
        if report is not None:
            taken.append((seq, merchant, report))
        seq += 1
    return taken


def settle(taken: list, processed: int) -> None:
    """Drop the first `processed` entries from the queue; a merchant whose report changed
    while the batch was in flight is queued again with the newer one."""
    for seq, merchant, report in taken[:processed]:
        queue_map.remove(seq)
        if pending_map.get(merchant) == report:
            pending_map.remove(merchant)
        else:
            queue_map.insert(add("q:tail", 1), merchant)
    if processed > 0:
        set_to("q:head", taken[processed - 1][0])


def send_batch():
    """One batch to the factory and the mirror sync its reply asks for (a generator);
    True when more reports wait."""
    svc = factory_service()
    taken = take_batch()
    now = ic.time()
    if len(taken) == 0:
        result = yield svc.get_security_versions()
        if getattr(result, "Err", None) is None:
            yield sync_mirror(svc, result.Ok)
        return False
    entries = [{"merchant": merchant, "report": report} for _, merchant, report in taken]
    result = yield svc.submit_report_batch(entries)
    error = None
    if getattr(result, "Err", None) is not None:
        error = "factory unreachable: " + str(result.Err)[:300]
    elif "Err" in result.Ok:
        error = "factory refused the batch: " + result.Ok["Err"][:300]
    if error is not None:
        add("batch_failures", 1)
        set_to("last_error_at", now)
        ic.print(error)
        return False
    receipt = result.Ok["Ok"]
    processed = min(receipt["processed"], len(taken))
    settle(taken, processed)
    add("batches_sent", 1)
    add("reports_forwarded", receipt["accepted"])
    add("reports_refused", len(receipt["refused"]))
    for refusal in receipt["refused"][:20]:
        ic.print("report of " + refusal["merchant"] + " refused: " + refusal["error"][:200])
    set_to("last_batch_at", now)
    yield sync_mirror(svc, receipt["versions"])
    return processed > 0 and count("q:head") < count("q:tail")


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
        "versions": mirror_versions(),
    }
