"""Metrics pushed to the factory by a timer (every REPORT_INTERVAL_SECONDS), as one batch of
cumulative totals since install: the factory keeps the last report per merchant and applies
the difference, so a failed or repeated push loses and doubles nothing. A factory that is
unset or down never affects a payment: the push only reads counters and logs failures.
The same timer pulls the factory's global blocklist changes (risk_engine.py) and sends
blocked-payment alerts up (security_alerts.py).
Volumes go in token base units only (`volume_usd_cents` is 0): the factory values them at
its own rates as they arrive, so a price drop or a failed rate fetch here cannot freeze or
skew its totals. `region` and `industry` come from the owner's `set_business_profile`;
`hosted_page_views` are counted where the page is served: the hosted checkout page calls
`track_hosted_page_view` once per load."""

from kybra import ic, query, text, update

from src.common.validation import check_text
from src.user_payment_canister.access_control import caller_text, is_factory, is_staff, require_owner, require_staff
from src.user_payment_canister.service_store import business_profile_map, report_status_map
from src.user_payment_canister.factory_link import factory
from src.user_payment_canister.service_types import BusinessProfile, BusinessProfileResult, FactoryReportStatusResult
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.checkout_sessions import load_session
from src.user_payment_canister.rate_limits import take
from src.user_payment_canister.counter_keys import volume_key
from src.user_payment_canister.merchant_store import bump, counter, modal_counters_map, modals_map, tokens_map
from src.user_payment_canister.security_alerts import send_alerts_up
from src.user_payment_canister.security_updates import sync_global_blocklist, sync_system_alerts

NS = 1_000_000_000
REPORT_INTERVAL_SECONDS = 300


def report_status() -> dict:
    status = report_status_map.get(0)
    if status is None:
        return {"reports_sent": 0, "failures": 0, "last_attempt_at": 0, "last_success_at": 0, "last_error": None,
                "registered_for_one_click": False, "blocklist_seq": 0}
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


def push_report():
    """One push (a generator); returns True when the factory accepted it."""
    svc = factory()
    if svc is None:
        return False
    now = ic.time()
    save_status({"last_attempt_at": now})
    result = yield svc.report_merchant_metrics(build_report())
    error = None
    if getattr(result, "Err", None) is not None:
        error = "factory unreachable: " + str(result.Err)[:300]
    elif "Err" in result.Ok:
        error = "factory refused: " + result.Ok["Err"][:300]
    status = report_status()
    if error is None:
        save_status({"reports_sent": status["reports_sent"] + 1, "last_success_at": ic.time(), "last_error": None})
        return True
    ic.print("factory metrics report failed: " + error)
    save_status({"failures": status["failures"] + 1, "last_error": error})
    return False


def factory_tick():
    """Timer work: push metrics and pull the global blocklist when the interval passed."""
    if factory() is None:
        return
    status = report_status()
    if ic.time() - status["last_attempt_at"] < REPORT_INTERVAL_SECONDS * NS:
        return
    yield push_report()
    synced = yield sync_global_blocklist(factory())
    if synced:
        save_status({"blocklist_seq": counter("sec:global_seq")})
    yield sync_system_alerts(factory())
    yield send_alerts_up(factory())


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
