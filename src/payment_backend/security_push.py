"""Factory -> merchant canisters: push global security updates and system-wide alerts (the
seed's "Factory → User Canister" pattern).

A change (a blocklist entry, a known-bad address, a principal's reputation, the fraud
patterns, an alert an admin issues) starts a push run: one SecurityBulletin (the changes after the last run's end, at most 100 of each) sent
one-way (`notify`, no reply awaited, so nothing is held open per merchant) to every active
merchant canister, walking the registry's deployment seq with a cursor, at most PUSH_BATCH
per message and under the instruction budget, the next batch chained by a zero-delay timer.
Changes made during a run go out in the next run, PAUSE_SECONDS after it. Merchants accept a bulletin only
from their recorded factory and apply it by version, so a late, lost or repeated push is
harmless: a merchant that missed one sees a gap, skips that part and gets it from its own
pull by version (`get_global_blocklist_changes`, `get_known_bad_address_changes`,
`get_system_alerts_since`, every 300 s). At 100,000 merchants a run is 500 messages of
200 notifies; the run state is counters, so it survives a factory upgrade."""

from kybra import Record, StableBTreeMap, Variant, ic, nat32, nat64, query, text, update, void

from src.common.factory_api import SecurityVersions, SystemAlert, SystemAlertPage
from src.common.merchant_api import MerchantCanister
from src.common.message_budget import budget_left
from src.common.validation import check_text, first_error
from src.payment_backend.admins import require_admin
from src.payment_backend.blocklist import changes_since
from src.payment_backend.deployments import deployment_seq_map, deployments_map
from src.payment_backend.factory_counters import add_count, get_count, next_seq, set_count, top_seq
from src.payment_backend.index_pages import since
from src.payment_backend.known_bad import known_bad_changes
from src.payment_backend.reputation_changes import reputation_changes_since
from src.payment_backend.security_settings import fraud_pattern_set
from src.payment_backend.shard_registry import shard_canister_of

PUSH_BATCH = 200
PAUSE_SECONDS = 30  # between a run and the next one that changes during it started
MAX_PROBES = 1000
PART_LIMIT = 100
ALERT_SEVERITIES = ("info", "low", "medium", "high", "critical")
P = "push:"  # counter prefix of the run state

system_alerts_map = StableBTreeMap[nat64, SystemAlert](memory_id=121, max_key_size=24, max_value_size=3_000)


class SecurityPushStatus(Record):
    running: bool
    runs: nat64
    cursor: nat64
    end_seq: nat64
    pushed: nat64
    failed: nat64
    blocklist_seq: nat64
    known_bad_seq: nat64
    alerts_seq: nat64


class SecurityPushStatusResult(Variant, total=False):
    Ok: SecurityPushStatus
    Err: text


class SystemAlertResult(Variant, total=False):
    Ok: nat64
    Err: text


def alerts_since(since_seq: int, limit: int) -> dict:
    alerts, next_seq_ = since(system_alerts_map.get, top_seq("system_alerts"), since_seq, limit)
    return {"alerts": alerts, "next_seq": next_seq_}


def capped(page: dict, field: str, to_seq: int, seq_field: str = "seq") -> dict:
    """A page cut to the entries up to the run's end seq (changes made later go next run)."""
    items = [e for e in page[field] if e[seq_field] <= to_seq]
    return {field: items, "next_seq": min(page["next_seq"], to_seq)}


def bulletin() -> dict:
    """The bulletin of the current run: the same for every merchant it reaches."""
    block_from, bad_from, alert_from = (
        get_count(P + "block_from"),
        get_count(P + "bad_from"),
        get_count(P + "alert_from"),
    )
    rep_from = get_count(P + "rep_from")
    return {
        "blocklist_from_seq": block_from,
        "blocklist": capped(changes_since(block_from, PART_LIMIT), "changes", get_count(P + "block_to")),
        "known_bad_from_seq": bad_from,
        "known_bad": capped(known_bad_changes(bad_from, PART_LIMIT), "addresses", get_count(P + "bad_to")),
        "alerts_from_seq": alert_from,
        "alerts": capped(alerts_since(alert_from, PART_LIMIT), "alerts", get_count(P + "alert_to"), "alert_seq"),
        "reputation_from_seq": rep_from,
        "reputation": capped(reputation_changes_since(rep_from, PART_LIMIT), "changes", get_count(P + "rep_to")),
        "fraud_patterns": fraud_pattern_set() if get_count(P + "pat_to") > get_count(P + "pat_from") else None,
    }


PARTS = (("block", "block_changes"), ("bad", "known_bad"), ("alert", "system_alerts"), ("rep", "reputation_changes"))


def pattern_version() -> int:
    return get_count("security_config_version")


def pending() -> bool:
    for part, log in PARTS:
        if top_seq(log) > get_count(P + part + "_from"):
            return True
    return pattern_version() > get_count(P + "pat_from")


def security_versions(for_merchant: bool = True) -> dict:
    """The current version of every part a bulletin carries (the reply of an accepted
    report, and the idle merchants' hourly check), and the report aggregator shard the
    calling merchant reports to (the pull of its assignment; not looked up for a shard's
    batch, whose caller is no merchant)."""
    return {
        "blocklist_seq": top_seq("block_changes"),
        "known_bad_seq": top_seq("known_bad"),
        "reputation_seq": top_seq("reputation_changes"),
        "alerts_seq": top_seq("system_alerts"),
        "fraud_patterns_version": pattern_version(),
        "report_shard": shard_canister_of(ic.caller().to_str()) if for_merchant else None,
    }


def begin_run() -> None:
    """Fix the run's window (at most PART_LIMIT of each part) and registry range."""
    for part, log in PARTS:
        set_count(P + part + "_to", min(top_seq(log), get_count(P + part + "_from") + PART_LIMIT))
    set_count(P + "pat_to", pattern_version())
    set_count(P + "cursor", 1)
    set_count(P + "end", top_seq("deployments"))
    set_count(P + "running", 1)
    add_count(P + "runs", 1)
    ic.set_timer(0, push_tick)


def schedule_push() -> None:
    """After a security change: start a run unless one is running or pausing (its end
    sees the change as pending and starts the next)."""
    if get_count(P + "running") == 0 and pending():
        begin_run()


def finish_run() -> None:
    """The run's window is every merchant's now; what changed meanwhile goes out after a
    pause, so a stream of changes costs at most one run per run time + PAUSE_SECONDS."""
    for part in [p[0] for p in PARTS] + ["pat"]:
        set_count(P + part + "_from", get_count(P + part + "_to"))
    set_count(P + "running", 0)
    if pending():
        set_count(P + "running", 2)  # waiting out the pause
        ic.set_timer(PAUSE_SECONDS, next_run)


def next_run() -> void:
    set_count(P + "running", 0)
    if pending():
        begin_run()


def push_tick() -> void:
    """One batch of the run (timer): notify up to PUSH_BATCH active merchants."""
    if get_count(P + "running") != 1:
        return
    message = bulletin()
    cursor, end = get_count(P + "cursor"), get_count(P + "end")
    sent = 0
    probes = 0
    while cursor <= end and sent < PUSH_BATCH and probes < MAX_PROBES and budget_left():
        probes += 1
        dep_id = deployment_seq_map.get(cursor)
        cursor += 1
        rec = None if dep_id is None else deployments_map.get(dep_id)
        if rec is None or "active" not in rec["status"] or rec["canister_id"] is None:
            continue
        result = MerchantCanister(rec["canister_id"]).receive_security_bulletin(message).notify()
        sent += 1
        if "Err" in result:
            add_count(P + "failed", 1)
        else:
            add_count(P + "pushed", 1)
    set_count(P + "cursor", cursor)
    if cursor <= end:
        ic.set_timer(0, push_tick)
    else:
        finish_run()


def rearm_push() -> None:
    """post_upgrade: timers are gone; a run in progress resumes at its cursor."""
    if get_count(P + "running") == 1:
        ic.set_timer(1, push_tick)
    elif get_count(P + "running") == 2:
        ic.set_timer(PAUSE_SECONDS, next_run)


@update
def issue_system_alert(severity: text, title: text, message: text) -> SystemAlertResult:
    """Admins: a system-wide alert, pushed to every merchant canister (their owners list it
    and their webhooks get a `security.system_alert` event)."""
    err = first_error([require_admin(), check_text("title", title, 120, 1), check_text("message", message, 1000, 1)])
    if err is None and severity not in ALERT_SEVERITIES:
        err = "invalid_argument: severity must be one of " + ", ".join(ALERT_SEVERITIES)
    if err is not None:
        return {"Err": err}
    seq = next_seq("system_alerts")
    system_alerts_map.insert(
        seq, {"alert_seq": seq, "severity": severity, "title": title, "message": message, "issued_at": ic.time()}
    )
    schedule_push()
    return {"Ok": seq}


@query
def get_system_alerts_since(since_seq: nat64, limit: nat32) -> SystemAlertPage:
    """System alerts after since_seq, oldest first (1-100): merchants' pull fallback."""
    return alerts_since(since_seq, limit)


@query
def get_security_versions() -> SecurityVersions:
    """The versions merchants compare with their own to pull only what moved."""
    return security_versions()


@query
def get_security_push_status() -> SecurityPushStatusResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    return {
        "Ok": {
            "running": get_count(P + "running") == 1,
            "runs": get_count(P + "runs"),
            "cursor": get_count(P + "cursor"),
            "end_seq": get_count(P + "end"),
            "pushed": get_count(P + "pushed"),
            "failed": get_count(P + "failed"),
            "blocklist_seq": get_count(P + "block_from"),
            "known_bad_seq": get_count(P + "bad_from"),
            "alerts_seq": get_count(P + "alert_from"),
        }
    }
