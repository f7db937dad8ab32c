"""Metrics pushed to the factory by a timer (every REPORT_INTERVAL_SECONDS), as one batch of
cumulative totals since install: the factory (or the report shard the canister is assigned
to, which then holds it) keeps the last report per merchant and applies the difference, so
a failed or repeated push loses and doubles nothing. A canister with a shard is counted
there only: when its shard fails the factory refuses the direct report (`report_via_shard`)
and the cumulative report is sent to the shard at a later tick. A report equal to
the last accepted one is not sent (docs/scaling.md: the factory's load is per call). A factory that is
unset or down never affects a payment: the push only reads counters and logs failures.
The same timer pulls the factory's security logs whose version moved (security_updates.py)
and sends blocked-payment alerts up (security_alerts.py).
Volumes go in token base units only (`volume_usd_cents` is 0): the factory values them at
its own rates as they arrive, so a price drop or a failed rate fetch here cannot freeze or
skew its totals. `region` and `industry` come from the owner's `set_business_profile`;
`hosted_page_views` are counted where the page is served: the hosted checkout page calls
`track_hosted_page_view` once per load."""

import hashlib
import json

from kybra import ic, query, text, update

from src.common.validation import check_text
from src.user_payment_canister.access_control import caller_text, is_factory, is_staff, require_owner, require_staff
from src.user_payment_canister.checkout_sessions import load_session
from src.user_payment_canister.counter_keys import volume_key
from src.user_payment_canister.factory_link import factory
from src.user_payment_canister.factory_settlements import queued_settlements
from src.user_payment_canister.merchant_store import (
    bump,
    counter,
    modal_counters_map,
    modals_map,
    set_counter,
    tokens_map,
)
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.report_shard import note_factory_versions, report_shard, shard_service
from src.user_payment_canister.security_alerts import send_alerts_up
from src.user_payment_canister.security_updates import PULLS, sync_global_blocklist, sync_system_alerts
from src.user_payment_canister.service_store import business_profile_map, report_status_map
from src.user_payment_canister.service_types import (
    BusinessProfile,
    BusinessProfileResult,
    FactoryReportStatusResult,
    FactorySyncStatusResult,
)

NS = 1_000_000_000
REPORT_INTERVAL_SECONDS = 300
IDLE_PULL_TICKS = 12  # with nothing to report, the security versions are checked every 12th tick (1 h)
TICK_AT = "rep:tick_at"  # when the last reporting tick ran
DIGEST = "rep:digest"  # report_digest of the last report the factory accepted
SKIPPED = "rep:skipped"  # ticks whose report was unchanged and not sent
VERSION_CHECKS = "rep:version_checks"  # get_security_versions calls (idle ticks)
SINCE_SYNC = "rep:ticks_since_sync"  # ticks since the security logs were last synced
SHARD_REPORTS = "rep:shard_reports"  # reports its report shard accepted
SHARD_FALLBACKS = "rep:shard_fallbacks"  # shard calls that failed (the factory was asked instead)


def report_status() -> dict:
    status = report_status_map.get(0)
    if status is None:
        return {
            "reports_sent": 0,
            "failures": 0,
            "last_attempt_at": 0,
            "last_success_at": 0,
            "last_error": None,
            "registered_for_one_click": False,
            "blocklist_seq": 0,
        }
    return status


def save_status(changes: dict) -> None:
    status = report_status()
    updated = {}
    for name in status:
        updated[name] = status[name]
    for name in changes:
        updated[name] = changes[name]
    report_status_map.insert(0, updated)


def template_conversions() -> list:
    """Views and payments of the modals built on factory templates (at most MAX_MODALS)."""
    rows = []
    for modal in modals_map.values():
        template_id = modal["template_id"]
        if template_id is None:
            continue
        counters = modal_counters_map.get(modal["modal_id"])
        if counters is not None:
            rows.append({"template_id": template_id, "views": counters["views"], "conversions": counters["payments"]})
    return rows


def build_report() -> dict:
    volume = []
    for token in tokens_map.values():
        symbol = token["symbol"]
        volume.append({"token": symbol, "amount": counter(volume_key(symbol))})
    return {
        "transaction_count": counter("payments_count") + counter("an:failed"),
        "successful_payments": counter("payments_count"),
        "failed_payments": counter("an:failed"),
        "refunded_payments": counter("refunds_count"),
        "sessions_created": counter("sessions_total"),
        "sessions_completed": counter("sessions_completed"),
        "modal_views": counter("modal_views"),
        "hosted_page_views": counter("hosted_page_views"),
        "volume_usd_cents": 0,  # valued by the factory
        "volume_by_token": volume,
        "template_conversions": template_conversions(),
        "region": business_profile()["region"],
        "industry": business_profile()["industry"],
    }


def business_profile() -> dict:
    profile = business_profile_map.get(0)
    return {"region": None, "industry": None} if profile is None else profile


@update
def track_hosted_page_view(session_id: text) -> MerchantUnitResult:
    """The hosted checkout page, once per load of an existing session (20 a minute per
    caller and session): the views the factory's hosted-page metrics count."""
    _, err = load_session(session_id)
    err = err or take("hosted_view", session_id, 20, 60)
    if err is not None:
        return {"Err": err}
    bump("hosted_page_views")
    return {"Ok": None}


@update
def set_business_profile(profile: BusinessProfile) -> MerchantUnitResult:
    """Owners: the region and industry the factory groups this merchant's reports under."""
    err = require_owner("set the business profile")
    for field in ("region", "industry"):
        if err is None and profile[field] is not None:
            err = check_text(field, profile[field], 40, 1)
    if err is not None:
        return {"Err": err}
    business_profile_map.insert(0, {"region": profile["region"], "industry": profile["industry"]})
    return {"Ok": None}


@query
def get_business_profile() -> BusinessProfileResult:
    err = require_staff("read the business profile")
    if err is not None:
        return {"Err": err}
    return {"Ok": business_profile()}


def report_digest(report: dict) -> int:
    """A 64-bit digest of a report: equal digests mean nothing moved since it was sent."""
    encoded = json.dumps(report, sort_keys=True).encode()
    return int.from_bytes(hashlib.sha256(encoded).digest()[:8], "big")


def receipt_error(result) -> "str | None":
    if getattr(result, "Err", None) is not None:
        return "unreachable: " + str(result.Err)[:300]
    if "Err" in result.Ok:
        return "refused: " + result.Ok["Err"][:300]
    return None


def push_report(report: dict, digest: int):
    """One push (a generator) to this canister's report shard, or to the factory when it has
    none or the shard fails: (the answering service, its SecurityVersions) when accepted
    (the digest is then the last accepted one), else (None, None): retried next tick."""
    save_status({"last_attempt_at": ic.time()})
    shard = shard_service()
    if shard is not None:
        result = yield shard.submit_metrics_report(report)
        error = receipt_error(result)
        if error is None:
            bump(SHARD_REPORTS)
            return accepted(digest, shard, result.Ok["Ok"])
        ic.print("report shard " + error + "; reporting to the factory")
        bump(SHARD_FALLBACKS)
    svc = factory()
    result = yield svc.submit_metrics_report(report)
    error = receipt_error(result)
    if error is None:
        note_factory_versions(result.Ok["Ok"])
        return accepted(digest, svc, result.Ok["Ok"])
    if error.startswith("refused: report_via_shard"):
        yield learn_shard(svc)  # the report waits for the shard; the next tick sends it there
    error = "factory " + error
    ic.print("factory metrics report failed: " + error)
    save_status({"failures": report_status()["failures"] + 1, "last_error": error})
    return (None, None)


def learn_shard(svc):
    """The factory refused a direct report because this canister reports through a shard
    it has not been told of (its push was missed): its versions name the shard (a generator)."""
    result = yield svc.get_security_versions()
    if getattr(result, "Err", None) is None:
        note_factory_versions(result.Ok)


def accepted(digest: int, svc, versions: dict) -> "tuple":
    set_counter(DIGEST, digest)
    status = report_status()
    save_status({"reports_sent": status["reports_sent"] + 1, "last_success_at": ic.time(), "last_error": None})
    return (svc, versions)


def fetch_versions():
    """(the answering service, its SecurityVersions) from the shard, else the factory (a
    generator), or (None, None) when neither answers."""
    bump(VERSION_CHECKS)
    shard = shard_service()
    if shard is not None:
        result = yield shard.get_security_versions()
        if getattr(result, "Err", None) is None:
            return (shard, result.Ok)
        bump(SHARD_FALLBACKS)
    svc = factory()
    result = yield svc.get_security_versions()
    if getattr(result, "Err", None) is not None:
        ic.print("factory security versions unavailable: " + str(result.Err)[:300])
        return (None, None)
    note_factory_versions(result.Ok)
    return (svc, result.Ok)


def factory_tick():
    """Timer work every REPORT_INTERVAL_SECONDS: push the metrics only when a counter moved
    since the last accepted report, and pull only the security logs whose version (in the
    report's reply) moved; a merchant with nothing to report checks the versions every
    IDLE_PULL_TICKS ticks. The factory's push (security_updates.py) brings changes at once;
    this pull is the fallback that catches up a missed push."""
    if factory() is None:
        return
    now = ic.time()
    if now - counter(TICK_AT) < REPORT_INTERVAL_SECONDS * NS:
        return
    set_counter(TICK_AT, now)
    report = build_report()
    digest = report_digest(report)
    source, versions = (None, None)
    if digest != counter(DIGEST):
        source, versions = yield push_report(report, digest)
    else:
        bump(SKIPPED)
    if versions is None and counter(SINCE_SYNC) + 1 >= IDLE_PULL_TICKS:
        source, versions = yield fetch_versions()
    synced = False
    if versions is not None:
        synced = yield sync_global_blocklist(source, versions)
        alerts_synced = yield sync_system_alerts(source, versions)
        synced = synced and alerts_synced
    set_counter(SINCE_SYNC, 0 if synced else counter(SINCE_SYNC) + 1)
    yield send_alerts_up(factory())


@query
def get_factory_sync_status() -> FactorySyncStatusResult:
    """Staff: what the reporting timer saved the factory (unchanged reports not sent, idle
    version checks, change-log pages pulled, one-click settlements waiting for their batch)."""
    err = require_staff("read the factory sync status")
    if err is not None:
        return {"Err": err}
    return {
        "Ok": {
            "reports_skipped": counter(SKIPPED),
            "version_checks": counter(VERSION_CHECKS),
            "log_pulls": counter(PULLS),
            "ticks_since_sync": counter(SINCE_SYNC),
            "last_tick_at": counter(TICK_AT),
            "report_shard": report_shard(),
            "shard_reports": counter(SHARD_REPORTS),
            "shard_fallbacks": counter(SHARD_FALLBACKS),
            "one_click_settlements_queued": queued_settlements(),
        }
    }


@query
def get_factory_reporting_status() -> FactoryReportStatusResult:
    who = caller_text()
    if not is_staff(who) and not is_factory(who):
        return {"Err": "unauthorized: reporting status is for the merchant and its factory"}
    status = report_status()
    shown = {}
    for name in status:
        shown[name] = status[name]
    shown["registered_for_one_click"] = counter("oc:registered") > 0
    shown["blocklist_seq"] = counter("sec:global_seq")
    return {"Ok": shown}
