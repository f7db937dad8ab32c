"""The factory's global intelligence at this merchant: security updates and system-wide
alerts pushed by the factory (the seed's "Factory → User Canister" pattern; the factory side
is payment_backend/security_push.py), and the pull by version that backs the push up.

`receive_security_bulletin` is believed from the factory this canister was installed
with, and from no one else. Each part of a bulletin (blocklist, known-bad addresses,
reputation, fraud patterns, alerts) is applied by version, so a repeated, late or reordered
push changes nothing; a part that leaves a gap is skipped and the reporting timer's pull
(`sync_global_blocklist`, only for the logs whose version moved) fills it. The risk engine reads what is kept here. A new system alert is kept (the newest KEPT, listed
for staff) and raised to the webhooks as a `security.system_alert` event."""

from kybra import Opt, StableBTreeMap, ic, nat32, nat64, query, text, update

from src.common.factory_api import SecurityBulletin, SystemAlert
from src.common.pagination import page_desc
from src.common.validation import is_principal_text
from src.user_payment_canister.access_control import caller_text, is_factory, require_staff
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import bump, copy_record, counter, set_counter
from src.user_payment_canister.merchant_types import MerchantUnitResult
from src.user_payment_canister.service_store import fraud_patterns_map, global_blocked_map, global_reputation_map
from src.user_payment_canister.service_types import SystemAlertPageResult

NS = 1_000_000_000
KEPT = 200
MAX_AGE_SECONDS = 7 * 24 * 3600  # an older alert (a new canister catching up) is not raised
ALERT_SEQ = "sec:system_alert_seq"  # every factory alert up to this seq was seen here
ALERT_TOP = "sec:system_alert_top"  # the highest factory alert seq stored here
PULLS = "rep:log_pulls"  # change-log pages pulled by the reporting timer

system_alerts_map = StableBTreeMap[nat64, SystemAlert](memory_id=68, max_key_size=24, max_value_size=3_000)


def apply_fraud_patterns(pattern_set: "dict | None") -> bool:
    """Keep the factory's fraud patterns when their version is newer than the kept one."""
    if pattern_set is None:
        return False
    stored = fraud_patterns_map.get(0)
    if stored is not None and pattern_set["version"] <= stored["version"]:
        return False
    patterns = []
    for pattern in pattern_set["patterns"][:20]:
        kept = copy_record(pattern)
        kept["pattern_id"] = pattern["pattern_id"][:64]
        kept["description"] = pattern["description"][:300]
        patterns.append(kept)
    fraud_patterns_map.insert(0, {"version": pattern_set["version"], "patterns": patterns})
    return True


def fraud_patterns_version() -> int:
    stored = fraud_patterns_map.get(0)
    return 0 if stored is None else stored["version"]


def apply_part(seq_name: str, from_seq: int, entries: list, next_seq: int, apply_one) -> bool:
    """Entries of a change log after from_seq, applied by version: only when this canister
    has every change up to from_seq (else False: a gap, left to the next pull), and only the
    entries it has not applied yet, so a repeated or late push changes nothing."""
    have = counter(seq_name)
    if from_seq > have:
        return False
    for entry in entries:
        if entry["seq"] > have:
            apply_one(entry)
    set_counter(seq_name, max(have, next_seq))
    return True


def apply_block_change(change: dict) -> None:
    key = change["principal_id"].to_str()
    if change["blocked"]:
        global_blocked_map.insert(key, change["reason"][:500])
    else:
        global_blocked_map.remove(key)


def apply_known_bad(entry: dict) -> None:
    """A known-bad address that is a principal joins the global blocklist here (payments
    check principals); other addresses (and any over the map's key size) are skipped."""
    address = entry["address"]
    if len(address.encode()) <= 180 and is_principal_text(address):
        global_blocked_map.insert(address, ("known bad address: " + entry["reason"])[:500])


def apply_reputation(change: dict) -> None:
    """The latest global score of a principal (a clean 100 is not kept)."""
    key = change["principal_id"].to_str()
    if change["score"] >= 100.0:
        global_reputation_map.remove(key)
    else:
        global_reputation_map.insert(key, change["score"])


def apply_blocklist_part(from_seq: int, page: dict) -> bool:
    return apply_part("sec:global_seq", from_seq, page["changes"], page["next_seq"], apply_block_change)


def apply_known_bad_part(from_seq: int, page: dict) -> bool:
    return apply_part("sec:bad_seq", from_seq, page["addresses"], page["next_seq"], apply_known_bad)


def apply_reputation_part(from_seq: int, page: dict) -> bool:
    return apply_part("sec:rep_seq", from_seq, page["changes"], page["next_seq"], apply_reputation)


def pull_failed(result, what: str) -> bool:
    if getattr(result, "Err", None) is None:
        return False
    ic.print(what + " sync failed: " + str(result.Err))
    return True


def moved(versions: "dict | None", part: str, have: int) -> bool:
    """Whether a log needs a pull: always without the factory's versions, else only when
    the factory's version of it is past this canister's."""
    return versions is None or versions[part] > have


def sync_global_blocklist(factory_service, versions: "dict | None" = None):
    """Pull the blocklist, known-bad and reputation changes since the last seen seq of each,
    then the fraud patterns if newer (timer): the fallback of the factory's push. With the
    factory's `versions` (SecurityVersions) only the logs that moved are pulled."""
    if factory_service is None:
        return False
    logs = (
        (
            "global blocklist",
            "sec:global_seq",
            "blocklist_seq",
            factory_service.get_global_blocklist_changes,
            apply_blocklist_part,
        ),
        (
            "known-bad address",
            "sec:bad_seq",
            "known_bad_seq",
            factory_service.get_known_bad_address_changes,
            apply_known_bad_part,
        ),
        ("reputation", "sec:rep_seq", "reputation_seq", factory_service.get_reputation_changes, apply_reputation_part),
    )
    for what, seq_name, part, method, apply in logs:
        asked = counter(seq_name)
        if not moved(versions, part, asked):
            continue
        bump(PULLS)
        result = yield method(asked, 100)
        if pull_failed(result, what):
            return False
        apply(asked, result.Ok)
    if moved(versions, "fraud_patterns_version", fraud_patterns_version()):
        bump(PULLS)
        result = yield factory_service.get_fraud_patterns_since(fraud_patterns_version())
        if pull_failed(result, "fraud pattern"):
            return False
        apply_fraud_patterns(result.Ok)
    return True


def store_system_alert(alert: dict) -> bool:
    """Keep and raise one alert once (by its factory seq); False when known or too old."""
    seq = alert["alert_seq"]
    if system_alerts_map.contains_key(seq) or seq <= counter(ALERT_TOP) - KEPT:
        return False
    if ic.time() - alert["issued_at"] > MAX_AGE_SECONDS * NS:
        return False
    system_alerts_map.insert(
        seq,
        {
            "alert_seq": seq,
            "severity": alert["severity"][:16],
            "title": alert["title"][:120],
            "message": alert["message"][:1000],
            "issued_at": alert["issued_at"],
        },
    )
    if seq > counter(ALERT_TOP):
        set_counter(ALERT_TOP, seq)
    if seq > KEPT:
        system_alerts_map.remove(seq - KEPT)
    bump("sec:system_alerts_received")
    emit(
        "security.system_alert",
        "system_alert_" + str(seq),
        {
            "alert_seq": seq,
            "severity": alert["severity"][:16],
            "title": alert["title"][:120],
            "message": alert["message"][:1000],
            "issued_at": alert["issued_at"],
        },
    )
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


def sync_system_alerts(factory_service, versions: "dict | None" = None):
    """The pull fallback (reporting timer, a generator): alerts after the seen version
    (with the factory's `versions`, only when it moved)."""
    if factory_service is None:
        return False
    asked = counter(ALERT_SEQ)
    if not moved(versions, "alerts_seq", asked):
        return True
    bump(PULLS)
    result = yield factory_service.get_system_alerts_since(asked, 20)
    if pull_failed(result, "system alert"):
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
