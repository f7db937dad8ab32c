"""Authorization matrix: every update method of the factory, called by a stranger (an
authenticated principal that is neither admin, owner nor merchant canister) and by the
anonymous principal, is refused with `unauthorized` and changes nothing. The matrix is
checked against the .did so a new update method cannot be left out."""

from __future__ import annotations

import hashlib

import pytest
from factory_client import FACTORY_DID, code, err, ok, one, report_totals
from ic.identity import Identity

THEME = {
    "primary_color": "#112233",
    "background_color": "#ffffff",
    "text_color": "#000000",
    "font_family": "Inter",
    "border_radius": 8,
    "dark_mode": False,
}
SETTINGS = {
    "deploy_cycles": 10**12,
    "min_factory_cycles": 0,
    "max_canisters_per_owner": 100,
    "topup_threshold": 0,
    "topup_amount": 0,
    "monitor_interval_seconds": 3600,
    "base_domain": "evil.example.com",
    "xrc_canister": [],
    "xrc_cycles": 0,
    "rate_refresh_seconds": 600,
    "daily_cross_merchant_limit": 10**12,
}
REPORT = {
    "transaction_count": 1,
    "successful_payments": 1,
    "failed_payments": 0,
    "refunded_payments": 0,
    "sessions_created": 1,
    "sessions_completed": 1,
    "modal_views": 1,
    "hosted_page_views": 1,
    "volume_usd_cents": 100,
    "volume_by_token": [],
    "template_conversions": [],
    "region": [],
    "industry": [],
}
TOTALS = report_totals(seq=1, counts=[{"key": "metric:volume_usd_cents", "delta": 10**9}])  # shards only
SECURITY = {
    "global_fraud_patterns": [],
    "system_rate_limits": [],
    "blocked_principals": [],
    "security_alert_thresholds": [],
    "compliance_requirements": [],
}


def calls(cid: str, dep_id: str, victim: str) -> dict:
    """method -> args; `cid`/`dep_id` are a real merchant canister and its deployment."""
    return {
        "abort_wasm_upload": ["v1"],
        "add_admin": [victim],
        "add_custom_domain": [cid, "pay.victim.example.com"],
        "add_hosted_page_template": ["x", "y", "single", THEME],
        "add_known_bad_address": ["addr", "reason"],
        "issue_system_alert": ["high", "title", "message"],
        "add_market_token": ["LTT", cid, "ICP"],
        "add_to_global_blocklist": [victim, "reason"],
        "begin_wasm_upload": ["evil", 100, hashlib.sha256(b"x").digest(), ""],
        "cancel_rollout": ["ro_1"],
        "check_compliance_requirements": [cid],
        "cleanup_failed_deployment": [dep_id],
        "commit_wasm_upload": ["v1"],
        "configure_hosted_infrastructure": [],
        "create_global_modal_template": [
            {
                "template_id": "",
                "template_name": "t",
                "category": "c",
                "preview_url": "https://x.example.com",
                "is_public": True,
                "created_by": victim,
                "usage_count": 0,
                "base_theme": THEME,
            }
        ],
        "delete_wasm_version": ["v1"],
        "deploy_component_version": [
            {
                "component_id": "btn",
                "name": "b",
                "version": "1.0.0",
                "cdn_url": "https://cdn.example.com/b.js",
                "documentation_url": "https://docs.example.com",
                "compatibility": [],
            }
        ],
        "deploy_user_payment_canister": [
            {
                "owner": [victim],
                "version": [],
                "merchant": {"name": "x", "website": [], "support_email": [], "tokens": []},
            }
        ],
        "grant_deployment_credits": [victim, 5],
        "grant_topup_budget": [cid, 10**12],
        "prepay_canister_topups": [cid],
        "pause_rollout": ["ro_1"],
        "confirm_cross_merchant_spend": ["rsv_1"],
        "release_cross_merchant_spend": ["rsv_1"],
        "reserve_cross_merchant_spend": [victim, 100],
        "reserve_one_click_spend": [
            {
                "customer": victim,
                "token_symbol": "LTT",
                "ledger": cid,
                "amount": 100,
                "settlements": [{"reservation_id": "rsv_1", "confirmed": True}],
            }
        ],
        "settle_one_click_reservations": [[{"reservation_id": "rsv_1", "confirmed": True}]],
        "publish_global_modal_template": ["tpl_1", True],
        "record_cross_merchant_payment": [victim, 100],
        "refresh_canister_cycles": [cid],
        "register_merchant_for_one_click": [cid],
        "remove_admin": [victim],
        "remove_from_global_blocklist": [victim, "reason"],
        "remove_market_token": ["LTT"],
        "report_merchant_metrics": [REPORT],
        "submit_metrics_report": [REPORT],
        "submit_report_totals": [TOTALS],
        "get_merchant_benchmarks": [cid],
        "compare_merchant_performance": [cid],
        "deploy_report_shard": ["v1"],
        "set_report_shard_capacity": [10],
        "assign_report_shards": [10],
        "upgrade_report_shard": [1, "v1"],
        "retry_report_shard": [1, ["v1"]],
        "report_suspicious_principal": [victim, "fraud"],
        "resume_rollout": ["ro_1"],
        "retry_deployment": [dep_id, []],
        "rollback_rollout": ["ro_1"],
        "rollback_user_canister": [cid],
        "run_cycles_monitor": [],
        "set_custom_domain_status": ["pay.victim.example.com", "active"],
        "set_default_wasm_version": ["v1"],
        "set_geographic_risk_score": ["EU", 0.5],
        "set_managed_upgrades": [cid, True],
        "secure_user_canister": [cid],
        "start_rollout": [
            {"version": "v1", "batch_size": 1, "canary_size": 0, "max_failures": 0, "interval_seconds": 1}
        ],
        "top_up_user_canister": [cid, 10**9],
        "track_component_usage": ["btn", cid],
        "update_factory_settings": [SETTINGS],
        "update_global_fraud_patterns": [],
        "update_global_security_config": [SECURITY],
        "update_global_token_rates": [],
        "update_recommendation_algorithm": [],
        "update_routing_rules": [[]],
        "update_template_usage": ["tpl_1"],
        "update_threat_intelligence": [],
        "upgrade_user_canister": [cid, "v1"],
        "upload_wasm_chunk": ["v1", 0, b"x"],
    }


# open to anyone who pays: a stranger without cycles attached is refused for that
PAY_TO_CALL = {"prepay_canister_topups": "payment_required"}


def update_methods() -> set:
    from localnet.candid.did import parse_did

    with open(FACTORY_DID, encoding="utf-8") as f:
        desc = parse_did(f.read())
    out = set()
    for name, t in desc.service.methods:
        func = desc.env.resolve(t)
        if "query" not in func.modes:
            out.add(name)
    return out


def test_matrix_covers_every_update_method():
    assert set(calls("aaaaa-aa", "dep_1", "aaaaa-aa")) == update_methods()


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_every_update_method_refuses_strangers(probes, new_identity, who):
    factory = probes.factory
    owner, cid, _, rec = probes.items[0]
    identity = new_identity() if who == "stranger" else Identity(anonymous=True)
    caller = factory.as_(identity)
    victim = new_identity().sender().to_str()
    before = one(factory.admin.get_factory_stats())
    admins = [p.to_str() for p in one(factory.admin.list_admins())]
    for method, args in calls(cid, rec["deployment_id"], victim).items():
        result = getattr(caller, method)(*args)
        expected = PAY_TO_CALL.get(method, "unauthorized") if who == "stranger" else "unauthorized"
        assert code(result) == expected, (method, result)
    assert [p.to_str() for p in one(factory.admin.list_admins())] == admins
    after = one(factory.admin.get_factory_stats())
    for key in ("total_deployments", "active", "failed", "wasm_versions", "cycles_topped_up"):
        assert after[key] == before[key], key
    assert ok(factory.admin.get_user_canister(cid))["version"] == rec["version"]
    assert one(factory.admin.check_principal_reputation(victim))["blocked"] is False
    assert code(factory.admin.get_component_cdn_url("btn", "latest")) == "not_found"


def test_protected_queries_refuse_strangers(probes, new_identity):
    factory = probes.factory
    owner, cid, _, _ = probes.items[0]
    stranger = factory.as_(new_identity())
    assert code(stranger.list_user_canisters([], 10)) == "unauthorized"
    assert code(stranger.list_canisters_by_owner(owner.sender().to_str(), [], 10)) == "unauthorized"
    assert len(ok(factory.as_(owner).list_canisters_by_owner(owner.sender().to_str(), [], 10))["items"]) == 1


def test_stranger_may_deploy_for_itself_only_paid_and_anonymous_may_not(small, new_identity):
    config = {
        "owner": [],
        "version": [],
        "merchant": {"name": "Mine", "website": [], "support_email": [], "tokens": []},
    }
    assert code(small.anon.deploy_user_payment_canister(config)) == "unauthorized"
    stranger = new_identity()
    assert code(small.as_(stranger).deploy_user_payment_canister(config)) == "payment_required"
    rec = ok(small.paying(stranger, 1).deploy_user_payment_canister(config))
    assert "active" in rec["status"]
    assert one(small.admin.get_deployment_credits(stranger.sender().to_str())) == 0
    assert err(small.anon.add_admin(new_identity().sender().to_str())).startswith("unauthorized: anonymous")
