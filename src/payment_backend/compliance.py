"""Compliance of merchant canisters against the global compliance rules (feature 7).

`check_compliance_requirements` evaluates the rules of the security config against a
canister's registry record and stores the outcome; counters of compliant, non-compliant
and per-rule failures are adjusted by the change, so `generate_compliance_report` reads
counters instead of walking every canister. The security timer re-checks a few canisters
per run from a rotating cursor.
"""

from kybra import Principal, Record, StableBTreeMap, Variant, Vec, ic, nat32, nat64, query, text, update

from src.common.factory_api import GlobalNat64Entry
from src.common.message_budget import budget_left
from src.common.validation import check_email, check_url
from src.payment_backend.admins import caller_text, is_admin_text, require_authenticated
from src.payment_backend.blocklist import is_blocked
from src.payment_backend.deployments import deployment_seq_map, deployments_map, record_by_canister
from src.payment_backend.factory_counters import add_count, get_count, set_count, top_seq
from src.payment_backend.global_security import security_config
from src.payment_backend.wasm_store import default_version

RECHECK_BATCH = 10
MAX_PROBES = 1000


class ComplianceStatus(Record):
    canister_id: Principal
    compliant: bool
    passed: Vec[text]
    failed: Vec[text]
    warnings: Vec[text]
    checked_at: nat64


class ComplianceStatusResult(Variant, total=False):
    Ok: ComplianceStatus
    Err: text


class ComplianceReport(Record):
    generated_at: nat64
    merchants_checked: nat64
    compliant: nat64
    non_compliant: nat64
    rules: nat32
    failures_by_rule: Vec[GlobalNat64Entry]


compliance_map = StableBTreeMap[text, ComplianceStatus](memory_id=120, max_key_size=100, max_value_size=4096)


def rule_passes(rule: dict, rec: dict) -> bool:
    kind = rule["kind"]
    merchant = rec["merchant"]
    if kind == "support_email":
        return merchant["support_email"] is not None and check_email("e", merchant["support_email"]) is None
    if kind == "website":
        return merchant["website"] is not None
    if kind == "https_website":
        return (
            merchant["website"] is not None
            and merchant["website"].startswith("https://")
            and check_url("w", merchant["website"], False) is None
        )
    if kind == "min_cycles":
        return rec["cycles"] is not None and rec["cycles"] >= rule["param"]
    if kind == "owner_not_blocked":
        return not is_blocked(rec["owner"].to_str())
    if kind == "default_version":
        return rec["version"] is not None and rec["version"] == default_version()
    return False


def evaluate(rec: dict) -> dict:
    """Evaluates and stores one canister's compliance, adjusting the counters."""
    key = rec["canister_id"].to_str()
    passed = []
    failed = []
    warnings = []
    for rule in security_config()["compliance_requirements"]:
        if rule_passes(rule, rec):
            passed.append(rule["rule_id"])
        elif rule["mandatory"]:
            failed.append(rule["rule_id"])
        else:
            warnings.append(rule["rule_id"])
    status = {
        "canister_id": rec["canister_id"],
        "compliant": len(failed) == 0,
        "passed": passed,
        "failed": failed,
        "warnings": warnings,
        "checked_at": ic.time(),
    }
    old = compliance_map.get(key)
    if old is not None:
        add_count("compliance:" + ("compliant" if old["compliant"] else "non_compliant"), -1)
        for rule_id in old["failed"] + old["warnings"]:
            add_count("compliance_fail:" + rule_id, -1)
    add_count("compliance:" + ("compliant" if status["compliant"] else "non_compliant"), 1)
    for rule_id in failed + warnings:
        add_count("compliance_fail:" + rule_id, 1)
    compliance_map.insert(key, status)
    return status


@update
def check_compliance_requirements(canister_id: Principal) -> ComplianceStatusResult:
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    rec = record_by_canister(canister_id.to_str())
    if rec is None or "active" not in rec["status"]:
        return {"Err": "not_found: " + canister_id.to_str() + " is not an active merchant canister of this factory"}
    caller = caller_text()
    if caller not in (rec["owner"].to_str(), canister_id.to_str()) and not is_admin_text(caller):
        return {"Err": "unauthorized: only the owner, the canister or an admin may check it"}
    return {"Ok": evaluate(rec)}


@query
def get_compliance_status(canister_id: Principal) -> ComplianceStatusResult:
    status = compliance_map.get(canister_id.to_str())
    if status is None:
        return {"Err": "not_found: the canister has not been checked yet"}
    return {"Ok": status}


@query
def generate_compliance_report() -> ComplianceReport:
    rules = security_config()["compliance_requirements"]
    compliant = get_count("compliance:compliant")
    non_compliant = get_count("compliance:non_compliant")
    return {
        "generated_at": ic.time(),
        "merchants_checked": compliant + non_compliant,
        "compliant": compliant,
        "non_compliant": non_compliant,
        "rules": len(rules),
        "failures_by_rule": [
            {"key": r["rule_id"], "value": get_count("compliance_fail:" + r["rule_id"])} for r in rules
        ],
    }


def recheck_batch() -> None:
    """Timer: re-evaluates the next RECHECK_BATCH active canisters."""
    top = top_seq("deployments")
    seq = get_count("compliance_cursor")
    checked = 0
    probes = 0
    while checked < RECHECK_BATCH and probes < min(top, MAX_PROBES) and budget_left():
        probes += 1
        seq = seq + 1 if seq < top else 1
        dep_id = deployment_seq_map.get(seq)
        rec = None if dep_id is None else deployments_map.get(dep_id)
        if rec is not None and "active" in rec["status"]:
            evaluate(rec)
            checked += 1
    set_count("compliance_cursor", seq)
