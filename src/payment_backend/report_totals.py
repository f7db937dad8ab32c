"""The factory's side of a report aggregator shard's batch (docs/scaling.md, option (b)):
the shard holds its merchants' last reports, checks and values their new ones at the
factory's rates and supplies (`get_report_market`, read once per batch) and sends the sums
(`submit_report_totals`); the factory writes them with system_analytics.apply_totals, the
same write as a merchant's own report. Its work per batch is O(groups + tokens +
templates), whatever the number of merchants in it: nothing here is read per merchant.

Each shard numbers its batches; the factory applies seq = its last + 1 once and remembers
it (`shard_seq_map`), and acknowledges a re-sent last one without applying it, so a batch
whose reply was lost is counted once. Sole control is not checked per report any more: a
merchant leaving the factory's sole control leaves its shard first
(shard_assignment.release_merchant, called by sole_control.secure_user_canister)."""

from kybra import StableBTreeMap, Vec, ic, nat64, query, update

from src.common.factory_api import ReportMarketToken, ReportTotals, ReportTotalsResult
from src.common.report_deltas import MAX_BATCH_NAMES, MAX_REFUSALS, totals_of_record
from src.common.validation import check_symbol, check_text
from src.payment_backend.admins import caller_text
from src.payment_backend.factory_counters import add_count
from src.payment_backend.security_push import security_versions
from src.payment_backend.shard_registry import shard_of_caller, shards_map
from src.payment_backend.system_analytics import apply_totals
from src.payment_backend.token_market import tracked_tokens

shard_seq_map = StableBTreeMap[nat64, nat64](memory_id=130, max_key_size=24, max_value_size=24)

COUNT_KEYS = ("active_merchants", "reporting_merchants", "reports_received")
MAX_COUNTS = 200  # metric:*, the merchant counts and conv_bucket:0-99 at most
MAX_NAME = 40  # a region, industry, token or template name (common/report_checks.py)


def count_key_ok(key: str) -> bool:
    if key in COUNT_KEYS or key.startswith("metric:"):
        return len(key) <= 60
    if key.startswith("conv_bucket:"):
        digits = key[len("conv_bucket:") :]
        return digits.isdigit() and int(digits) < 100
    return False


def check_names(rows: list, field: str, what: str) -> "str | None":
    for row in rows:
        if row[field] is not None:
            err = check_text(what, row[field], MAX_NAME, 1)
            if err is not None:
                return err
    return None


def check_totals(totals: dict) -> "str | None":
    """Why the sums cannot be written (sizes, names, counter keys), else None."""
    if len(totals["counts"]) > MAX_COUNTS:
        return "invalid_argument: at most " + str(MAX_COUNTS) + " counts per batch"
    for table in ("regions", "industries", "tokens", "region_tokens", "templates"):
        if len(totals[table]) > MAX_BATCH_NAMES:
            return "invalid_argument: at most " + str(MAX_BATCH_NAMES) + " " + table + " per batch"
    if len(totals["refused"]) > MAX_REFUSALS:
        return "invalid_argument: at most " + str(MAX_REFUSALS) + " refused reports listed per batch"
    for row in totals["counts"]:
        if not count_key_ok(row["key"]):
            return "invalid_argument: unknown count " + row["key"][:60]
    err = check_names(totals["regions"], "name", "region") or check_names(totals["industries"], "name", "industry")
    err = err or check_names(totals["region_tokens"], "region", "region")
    for row in totals["tokens"] + totals["region_tokens"]:
        err = err or check_symbol("token", row["token"])
    for row in totals["templates"]:
        if err is None and len(row["template_id"]) > MAX_NAME:
            err = "invalid_argument: template_id is too long"
    return err


@update
def submit_report_totals(totals: ReportTotals) -> ReportTotalsResult:
    """Active report aggregator shards of this factory only: the sums of one batch of their
    merchants' reports, applied once per seq."""
    shard = shard_of_caller(caller_text())
    if shard is None:
        return {"Err": "unauthorized: only report aggregator shards of this factory may send report totals"}
    shard_no = shard["shard_no"]
    last = shard_seq_map.get(shard_no)
    last = 0 if last is None else last
    if totals["seq"] == last:
        return {"Ok": {"seq": last, "applied": False, "versions": security_versions(False)}}
    if totals["seq"] != last + 1:
        return {"Err": "invalid_argument: batch seq " + str(totals["seq"]) + " does not follow " + str(last)}
    err = check_totals(totals)
    if err is not None:
        return {"Err": err}
    apply_totals(totals_of_record(totals))
    shard_seq_map.insert(shard_no, totals["seq"])
    shard["batches"] = shard["batches"] + 1
    shard["reports"] = shard["reports"] + totals["reports"]
    shard["refused"] = shard["refused"] + totals["refused_count"]
    shard["last_batch_at"] = ic.time()
    shards_map.insert(shard_no, shard)
    add_count("shard_batches", 1)
    for row in totals["refused"][:5]:
        ic.print("shard " + str(shard_no) + " refused a report of " + row["merchant"][:63] + ": " + row["error"][:200])
    return {"Ok": {"seq": totals["seq"], "applied": True, "versions": security_versions(False)}}


@query
def get_report_market() -> Vec[ReportMarketToken]:
    """The tracked tokens' USD rates and supplies (at most MAX_TOKENS, public as in
    get_global_token_market): what a shard checks and values its merchants' reports with."""
    return [
        {
            "symbol": token["symbol"],
            "rate_usd": token["rate_usd"],
            "decimals": token["decimals"],
            "total_supply": token["total_supply"],
        }
        for token in tracked_tokens()
    ]
