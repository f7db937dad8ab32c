"""The factory's side of a report aggregator shard's batch: the reports of the merchants
assigned to that shard, each applied by system_analytics.accept_report (the same checks and
valuation as a merchant's own report). One message per batch instead of one per merchant."""

from kybra import Vec, ic, update

from src.common.factory_api import ReportBatchResult, ShardMerchantReport
from src.common.message_budget import budget_left
from src.payment_backend.admins import caller_text
from src.payment_backend.deployments import is_sole_controlled
from src.payment_backend.factory_counters import add_count
from src.payment_backend.security_push import security_versions
from src.payment_backend.shard_registry import merchant_shard_map, shard_of_caller, shards_map
from src.payment_backend.system_analytics import accept_report, apply_totals, new_totals

MAX_BATCH = 1000
MAX_PRINCIPAL_TEXT = 63  # the longest textual principal (29 bytes); longer is no merchant


@update
def submit_report_batch(reports: Vec[ShardMerchantReport]) -> ReportBatchResult:
    """Registered shards only; each report only for a merchant assigned to the calling shard.
    Stops early at the message budget: `processed` tells the shard how far it got."""
    shard = shard_of_caller(caller_text())
    if shard is None:
        return {"Err": "unauthorized: only report aggregator shards of this factory may send report batches"}
    if len(reports) > MAX_BATCH:
        return {"Err": "invalid_argument: at most " + str(MAX_BATCH) + " reports per batch"}
    totals = new_totals()
    processed = 0
    accepted = 0
    refused = []
    for entry in reports:
        if processed > 0 and not budget_left():
            break
        processed += 1
        key = entry["merchant"]
        err = None
        if (
            len(key) > MAX_PRINCIPAL_TEXT
            or merchant_shard_map.get(key) != shard["shard_no"]
            or not is_sole_controlled(key)
        ):
            err = "unauthorized: " + key[:MAX_PRINCIPAL_TEXT] + " does not report through this shard"
        if err is None:
            err = accept_report(key, entry["report"], totals)
        if err is None:
            accepted += 1
        else:
            refused.append({"merchant": key[:MAX_PRINCIPAL_TEXT], "error": err[:300]})
    apply_totals(totals)
    shard = shards_map.get(shard["shard_no"])
    shard["batches"] = shard["batches"] + 1
    shard["reports"] = shard["reports"] + accepted
    shard["refused"] = shard["refused"] + len(refused)
    shard["last_batch_at"] = ic.time()
    shards_map.insert(shard["shard_no"], shard)
    add_count("shard_batches", 1)
    return {"Ok": {"processed": processed, "accepted": accepted, "refused": refused, "versions": security_versions()}}
