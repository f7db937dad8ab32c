"""The factory's security logs mirrored at the shard, served to its merchants with the
factory's own method names and page types, so each change is pulled from the factory once
per shard instead of once per merchant (docs/scaling.md). The shard fetches a log only when
the factory's version of it (the SecurityVersions in every batch reply) is past its copy;
it believes only its factory. Merchants still get the factory's pushed bulletins directly
(payment_backend/security_push.py): this mirror backs up the push, as the factory's logs do."""

from kybra import Opt, StableBTreeMap, nat8, nat32, nat64, query

from src.common.factory_api import (
    FraudPatternSet,
    GlobalBlocklistChange,
    GlobalBlocklistPage,
    KnownBadAddressEntry,
    KnownBadAddressPage,
    ReputationChange,
    ReputationChangePage,
    SecurityVersions,
    SystemAlert,
    SystemAlertPage,
)
from src.common.pagination import since
from src.report_aggregator.shard_store import count, set_to

MAX_PAGES = 5  # pages of one log fetched per sync (100 entries each); the rest next time

blocklist_mirror = StableBTreeMap[nat64, GlobalBlocklistChange](memory_id=5, max_key_size=24, max_value_size=1024)
known_bad_mirror = StableBTreeMap[nat64, KnownBadAddressEntry](memory_id=6, max_key_size=24, max_value_size=2048)
reputation_mirror = StableBTreeMap[nat64, ReputationChange](memory_id=7, max_key_size=24, max_value_size=300)
alerts_mirror = StableBTreeMap[nat64, SystemAlert](memory_id=8, max_key_size=24, max_value_size=3_000)
patterns_mirror = StableBTreeMap[nat8, FraudPatternSet](memory_id=9, max_key_size=16, max_value_size=32_768)


def patterns_version() -> int:
    stored = patterns_mirror.get(0)
    return 0 if stored is None else stored["version"]


def mirror_versions() -> dict:
    """The versions of the mirrored copies (what a merchant compares with its own)."""
    return {
        "blocklist_seq": count("blocklist_seq"),
        "known_bad_seq": count("known_bad_seq"),
        "reputation_seq": count("reputation_seq"),
        "alerts_seq": count("alerts_seq"),
        "fraud_patterns_version": patterns_version(),
        "report_shard": None,
    }


def log_specs(svc) -> tuple:
    """(version name, mirror map, page field, entry seq field, the factory's method)."""
    return (
        ("blocklist_seq", blocklist_mirror, "changes", "seq", svc.get_global_blocklist_changes),
        ("known_bad_seq", known_bad_mirror, "addresses", "seq", svc.get_known_bad_address_changes),
        ("reputation_seq", reputation_mirror, "changes", "seq", svc.get_reputation_changes),
        ("alerts_seq", alerts_mirror, "alerts", "alert_seq", svc.get_system_alerts_since),
    )


def sync_mirror(svc, versions: dict):
    """Fetch from the factory every log whose version moved past the copy (a generator);
    True when all are current."""
    for part, mirror, field, seq_field, method in log_specs(svc):
        pages = 0
        while count(part) < versions[part] and pages < MAX_PAGES:
            pages += 1
            asked = count(part)
            result = yield method(asked, 100)
            if getattr(result, "Err", None) is not None:
                return False
            for entry in result.Ok[field]:
                mirror.insert(entry[seq_field], entry)
            if result.Ok["next_seq"] <= asked:
                break
            set_to(part, result.Ok["next_seq"])
    if versions["fraud_patterns_version"] > patterns_version():
        result = yield svc.get_fraud_patterns_since(patterns_version())
        if getattr(result, "Err", None) is not None:
            return False
        if result.Ok is not None:
            patterns_mirror.insert(0, result.Ok)
    return True


@query
def get_security_versions() -> SecurityVersions:
    return mirror_versions()


@query
def get_global_blocklist_changes(since_seq: nat64, limit: nat32) -> GlobalBlocklistPage:
    changes, next_seq = since(blocklist_mirror.get, count("blocklist_seq"), since_seq, limit)
    return {"changes": changes, "next_seq": next_seq}


@query
def get_known_bad_address_changes(since_seq: nat64, limit: nat32) -> KnownBadAddressPage:
    addresses, next_seq = since(known_bad_mirror.get, count("known_bad_seq"), since_seq, limit)
    return {"addresses": addresses, "next_seq": next_seq}


@query
def get_reputation_changes(since_seq: nat64, limit: nat32) -> ReputationChangePage:
    changes, next_seq = since(reputation_mirror.get, count("reputation_seq"), since_seq, limit)
    return {"changes": changes, "next_seq": next_seq}


@query
def get_system_alerts_since(since_seq: nat64, limit: nat32) -> SystemAlertPage:
    alerts, next_seq = since(alerts_mirror.get, count("alerts_seq"), since_seq, limit)
    return {"alerts": alerts, "next_seq": next_seq}


@query
def get_fraud_patterns_since(version: nat64) -> Opt[FraudPatternSet]:
    stored = patterns_mirror.get(0)
    return stored if stored is not None and stored["version"] > version else None
