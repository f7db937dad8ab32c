"""Global security updates and system-wide alerts pushed by the factory (the seed's
"Factory → User Canister" pattern; the factory side is payment_backend/security_push.py).

`receive_security_bulletin` is believed from the factory this canister was installed
with, and from no one else. Each part of a bulletin is applied by version (risk_engine.py
for the blocklist and known-bad addresses, the alert's seq here), so a repeated, late or
reordered push changes nothing; a part that leaves a gap is skipped and the reporting
timer's pull by version fills it. A new system alert is kept (the newest KEPT, listed
for staff) and raised to the webhooks as a `security.system_alert` event."""

from kybra import Opt, StableBTreeMap, ic, nat32, nat64, query, text, update

from src.common.factory_api import SecurityBulletin, SystemAlert
from src.common.pagination import page_desc
from src.user_payment_canister.access_control import caller_text, is_factory, require_staff
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_ext_types import SystemAlertPageResult
from src.user_payment_canister.merchant_store import bump, counter, set_counter
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.risk_engine import apply_blocklist_part, apply_fraud_patterns, apply_known_bad_part, apply_reputation_part

NS = 1_000_000_000
KEPT = 200
MAX_AGE_SECONDS = 7 * 24 * 3600  # an older alert (a new canister catching up) is not raised
ALERT_SEQ = "sec:system_alert_seq"  # every factory alert up to this seq was seen here
ALERT_TOP = "sec:system_alert_top"  # the highest factory alert seq stored here

system_alerts_map = StableBTreeMap[nat64, SystemAlert](memory_id=68, max_key_size=24, max_value_size=3_000)


def store_system_alert(alert: dict) -> bool:
    """Keep and raise one alert once (by its factory seq); False when known or too old."""
    seq = alert["alert_seq"]
    if system_alerts_map.contains_key(seq) or seq <= counter(ALERT_TOP) - KEPT:
        return False
    if ic.time() - alert["issued_at"] > MAX_AGE_SECONDS * NS:
        return False
    system_alerts_map.insert(seq, {"alert_seq": seq, "severity": alert["severity"][:16], "title": alert["title"][:120],
                                   "message": alert["message"][:1000], "issued_at": alert["issued_at"]})
    if seq > counter(ALERT_TOP):
        set_counter(ALERT_TOP, seq)
    if seq > KEPT:
        system_alerts_map.remove(seq - KEPT)
    bump("sec:system_alerts_received")
    emit("security.system_alert", "system_alert_" + str(seq), {
        "alert_seq": seq,
        "severity": alert["severity"][:16],
        "title": alert["title"][:120],
        "message": alert["message"][:1000],
        "issued_at": alert["issued_at"],
    })
    return True


def apply_alerts_part(from_seq: int, page: dict) -> int:
    """Store the page's new alerts; the seen-up-to version moves only without a gap."""
    stored = 0
    for alert in page["alerts"][:100]:
        if store_system_alert(alert):
            stored += 1
    if from_seq <= counter(ALERT_SEQ):
        set_counter(ALERT_SEQ, max(counter(ALERT_SEQ), page["next_seq"]))
    return stored


@update
def receive_security_bulletin(bulletin: SecurityBulletin) -> MerchantUnitResult:
    """The factory only: apply its pushed security updates and system alerts."""
    who = caller_text()
    if not is_factory(who):
        return {"Err": "unauthorized: only this canister's factory may push security updates (caller " + who + ")"}
    apply_blocklist_part(bulletin["blocklist_from_seq"], bulletin["blocklist"])
    apply_known_bad_part(bulletin["known_bad_from_seq"], bulletin["known_bad"])
    apply_alerts_part(bulletin["alerts_from_seq"], bulletin["alerts"])
    apply_reputation_part(bulletin["reputation_from_seq"], bulletin["reputation"])
    apply_fraud_patterns(bulletin["fraud_patterns"])
    bump("sec:bulletins_received")
    return {"Ok": None}


def sync_system_alerts(factory_service):
    """The pull fallback (reporting timer, a generator): alerts after the seen version."""
    if factory_service is None:
        return False
    asked = counter(ALERT_SEQ)
    result = yield factory_service.get_system_alerts_since(asked, 20)
    if getattr(result, "Err", None) is not None:
        ic.print("system alert sync failed: " + str(result.Err))
        return False
    apply_alerts_part(asked, result.Ok)
    return True


@query
def list_system_alerts(cursor: Opt[text], limit: Opt[nat32]) -> SystemAlertPageResult:
    """Staff: the factory's system-wide alerts kept here, newest first."""
    err = require_staff("list system alerts")
    if err is not None:
        return {"Err": err}
    items, next_cursor, err = page_desc(system_alerts_map.get, counter(ALERT_TOP), cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"items": items, "next_cursor": next_cursor}}
