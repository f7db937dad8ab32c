"""Security alerts of the merchant (seed feature 7): blocked payments, payments held for
review, verification lockouts, blocklist changes. Each alert is also a `security.alert`
event, so the merchant's server hears about it by webhook. Alerts of blocked payments are
also sent up to the factory (`send_alerts_up`, by the reporting timer) as suspicious-
principal reports, where reports from several independent owners block a principal
network-wide (docs/trust.md)."""

from kybra import Principal, ic, query

from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import bump, counter, set_counter
from src.user_payment_canister.service_store import alerts_map
from src.user_payment_canister.service_types import SecurityAlertListResult

MAX_LISTED = 100
KEPT = 1000
SEVERITIES = ("low", "medium", "high", "critical")
UP_PER_TICK = 10
SENT_UP = "sec:alerts_up"  # counter: alerts up to this seq were considered for the factory


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
    emit(
        "security.alert",
        alert_id,
        {
            "alert_id": alert_id,
            "alert_type": alert_type,
            "severity": alert["severity"],
            "message": alert["message"],
            "customer": None if customer is None else customer.to_str(),
        },
    )
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


def send_alerts_up(factory_service):
    """Report the customers of up to UP_PER_TICK new `payment_blocked` alerts to the factory
    (a generator). A report the factory does not answer is retried next time."""
    if factory_service is None:
        return 0
    sent = 0
    seq = counter(SENT_UP)
    top = counter("sec:alert_seq")
    while seq < top and sent < UP_PER_TICK:
        alert = alerts_map.get(seq + 1)
        if alert is not None and alert["alert_type"] == "payment_blocked" and alert["customer"] is not None:
            result = yield factory_service.report_suspicious_principal(
                alert["customer"], "payment_blocked: " + alert["message"][:180]
            )
            if getattr(result, "Err", None) is not None:
                ic.print("security alert " + alert["alert_id"] + " not sent up: " + str(result.Err))
                break
            sent += 1
        seq += 1
        set_counter(SENT_UP, seq)
    return sent
