"""Security alerts of the merchant (seed feature 7): blocked payments, payments held for
review, verification lockouts, blocklist changes. Each alert is also a `security.alert`
event, so the merchant's server hears about it by webhook."""

from kybra import Principal, ic, query

from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.ext_store import alerts_map
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_ext_types import SecurityAlertListResult
from src.user_payment_canister.merchant_store import bump, counter

MAX_LISTED = 100
KEPT = 1000
SEVERITIES = ("low", "medium", "high", "critical")


def raise_alert(alert_type: str, severity: str, message: str, customer: "Principal | None") -> str:
    """Record an alert and emit its event; returns the alert id."""
    seq = bump("sec:alert_seq")
    alert_id = "alert_" + str(seq)
    alert = {
        "alert_id": alert_id,
        "alert_type": alert_type,
        "severity": severity if severity in SEVERITIES else "medium",
        "message": message[:500],
        "customer": customer,
        "created_at": ic.time(),
    }
    alerts_map.insert(seq, alert)
    if seq > KEPT:
        alerts_map.remove(seq - KEPT)
    emit("security.alert", alert_id, {
        "alert_id": alert_id,
        "alert_type": alert_type,
        "severity": alert["severity"],
        "message": alert["message"],
        "customer": None if customer is None else customer.to_str(),
    })
    return alert_id


@query
def get_security_alerts() -> SecurityAlertListResult:
    """The newest alerts first (at most 100)."""
    err = require_staff("read security alerts")
    if err is not None:
        return {"Err": err}
    seq = counter("sec:alert_seq")
    items = []
    while seq >= 1 and len(items) < MAX_LISTED:
        alert = alerts_map.get(seq)
        if alert is not None:
            items.append(alert)
        seq -= 1
    return {"Ok": items}
