"""The seed's factory features (issue item 6), each through ic-py against a factory whose
merchant canisters it deployed itself: `probes` are deployed-by-the-factory canisters that
forward the merchant-only calls (usage, reports, one-click, suspicion reports)."""

from __future__ import annotations

import pytest
from clock_align import to_mid_day
from factory_client import (
    code,
    default_settings,
    deploy_config,
    err,
    merchant_config,
    ok,
    one,
    opt,
    ptext,
)
from ledger_client import FEE, LEDGER_ENTRY, SYMBOL, XRC_DID, XRC_ENTRY, ledger_init_arg
from xrc_fixture import CRYPTO, FIAT, asset

THEME = {
    "primary_color": "#635bff",
    "background_color": "#ffffff",
    "text_color": "#1a1f36",
    "font_family": "Inter, sans-serif",
    "border_radius": 8,
    "dark_mode": False,
}


def template(name: str, public: bool = True, **over) -> dict:
    t = {
        "template_id": "",
        "template_name": name,
        "category": "minimal",
        "preview_url": "https://cdn.example.com/p.png",
        "is_public": public,
        "created_by": "aaaaa-aa",
        "usage_count": 0,
        "base_theme": THEME,
    }
    t.update(over)
    return t


def report(**over) -> dict:
    r = {
        "transaction_count": 0,
        "successful_payments": 0,
        "failed_payments": 0,
        "refunded_payments": 0,
        "sessions_created": 0,
        "sessions_completed": 0,
        "modal_views": 0,
        "hosted_page_views": 0,
        "volume_usd_cents": 0,
        "volume_by_token": [],
        "template_conversions": [],
        "region": [],
        "industry": [],
    }
    r.update(over)
    return r


def session_id(routing_key: str) -> str:
    return "cs_" + routing_key + "_" + "ab" * 16


def test_modal_templates(probes, new_identity):
    f = probes.factory
    (_, c1, p1, _), (_, c2, p2, _) = probes.items[:2]
    assert (
        code(f.admin.create_global_modal_template(template("Bad", base_theme=dict(THEME, primary_color="red"))))
        == "invalid_argument"
    )
    assert code(f.admin.create_global_modal_template(template("Bad", preview_url="javascript:x"))) == "invalid_argument"
    t1 = ok(f.admin.create_global_modal_template(template("Minimal")))
    t2 = ok(f.admin.create_global_modal_template(template("Bold")))
    hidden = ok(f.admin.create_global_modal_template(template("Draft", public=False)))
    listed = one(f.anon.list_public_modal_templates())
    assert [t["template_id"] for t in listed] == [t2, t1]
    assert code(f.anon.get_global_modal_template(hidden)) == "not_found"
    assert ok(f.admin.get_global_modal_template(hidden))["template_name"] == "Draft"
    page = ok(f.anon.list_public_modal_templates_page([], 1))
    assert [t["template_id"] for t in page["items"]] == [t2] and page["next_cursor"]
    page2 = ok(f.anon.list_public_modal_templates_page(page["next_cursor"], 1))
    assert [t["template_id"] for t in page2["items"]] == [t1]

    for _ in range(2):
        ok(p1.probe_template_usage(t1))
    ok(p2.probe_template_usage(t1))
    ok(p2.probe_template_usage(t2))
    assert code(p1.probe_template_usage(hidden)) == "not_found"
    assert code(f.as_(new_identity()).update_template_usage(t1)) == "unauthorized"
    assert ok(f.anon.get_global_modal_template(t1))["usage_count"] == 3
    ok(
        p1.probe_report(
            report(
                sessions_created=10,
                sessions_completed=4,
                template_conversions=[{"template_id": t1, "views": 20, "conversions": 5}],
            )
        )
    )
    stats = one(f.anon.get_modal_template_stats())
    assert stats["total_modals_created"] == 4 and stats["popular_templates"] == [t1, t2]
    rates = {e["key"]: e["value"] for e in stats["conversion_rates_by_template"]}
    assert rates[t1] == pytest.approx(0.25) and rates[t2] == 0.0
    system = one(f.anon.get_system_modal_analytics())
    assert {e["key"] for e in system["conversion_rates_by_template"]} == {t1, t2}
    ok(f.admin.publish_global_modal_template(t2, False))
    assert [t["template_id"] for t in one(f.anon.list_public_modal_templates())] == [t1]


def test_real_merchant_reports_template_usage(small, new_identity):
    from merchant_client import modal_config

    f = small
    t1 = ok(f.admin.create_global_modal_template(template("Minimal")))
    owner = new_identity()
    rec = ok(f.paying(owner).deploy_user_payment_canister(deploy_config()))
    shop = f.merchant_actor(ptext(rec["canister_id"][0]), owner)
    ok(shop.create_modal_config(modal_config(t1)))
    assert ok(f.anon.get_global_modal_template(t1))["usage_count"] == 1


def test_hosted_pages(probes, new_identity):
    f = probes.factory
    (o1, c1, _, r1), (o2, c2, _, r2) = probes.items[:2]
    ok(f.admin.configure_hosted_infrastructure())
    pages = one(f.anon.get_hosted_page_templates())
    assert len(pages) == 2 and {p["layout"] for p in pages} == {"single_column", "two_column"}
    ok(f.admin.add_hosted_page_template("Wide", "a wide page", "wide", THEME))
    assert len(one(f.anon.get_hosted_page_templates())) == 3

    assert ptext(ok(f.anon.resolve_hosted_page_route(session_id(r1["routing_key"])))) == c1
    assert ptext(ok(f.anon.resolve_hosted_page_route(session_id(r2["routing_key"])))) == c2
    assert code(f.anon.resolve_hosted_page_route(session_id("zzzz9"))) == "not_found"
    assert code(f.anon.resolve_hosted_page_route("cs_" + r1["routing_key"] + "_nothex")) == "invalid_argument"
    assert code(f.anon.resolve_hosted_page_route("pay_123")) == "invalid_argument"

    me = f.as_(o1)
    for bad in ("not a domain", "UPPER.example.com", "x.checkout.ckpayment.io", "localhost", "a" * 260 + ".com"):
        assert code(me.add_custom_domain(c1, bad)) == "invalid_argument", bad
    assert code(f.as_(o2).add_custom_domain(c1, "pay.shop1.com")) == "unauthorized"
    ok(me.add_custom_domain(c1, "pay.shop1.com"))
    assert code(f.as_(o2).add_custom_domain(c2, "pay.shop1.com")) == "already_exists"
    assert ptext(ok(f.anon.resolve_custom_domain("pay.shop1.com"))) == c1
    ok(f.admin.set_custom_domain_status("pay.shop1.com", "active"))
    metrics = one(f.anon.get_system_hosted_metrics())
    assert metrics["custom_domains"] == 1 and metrics["active_certificates"] == 1
    assert metrics["routable_merchants"] == 3
    # moving to another domain frees the first one
    ok(me.add_custom_domain(c1, "checkout.shop1.com"))
    assert code(f.anon.resolve_custom_domain("pay.shop1.com")) == "not_found"
    ok(f.as_(o2).add_custom_domain(c2, "pay.shop1.com"))
    infra = one(f.anon.get_hosted_infrastructure())
    assert {(ptext(e["key"]), e["value"]) for e in infra["subdomain_config"]["custom_domains"]} == {
        (c1, "checkout.shop1.com"),
        (c2, "pay.shop1.com"),
    }
    assert infra["subdomain_config"]["base_domain"] == "checkout.ckpayment.io"
    assert one(f.anon.get_system_hosted_metrics())["active_certificates"] == 0
    ok(probes.items[0][2].probe_report(report(sessions_created=8, sessions_completed=2, hosted_page_views=30)))
    metrics = one(f.anon.get_system_hosted_metrics())
    assert metrics["hosted_page_views"] == 30 and metrics["completion_rate"] == pytest.approx(0.25)


def component(version: str, cid: str = "payment-button") -> dict:
    return {
        "component_id": cid,
        "name": "Payment button",
        "version": version,
        "cdn_url": f"https://cdn.ckpayment.io/{cid}/{version}/index.js",
        "documentation_url": "https://docs.ckpayment.io/elements",
        "compatibility": ["react", "vue"],
    }


def test_component_registry(probes, new_identity):
    f = probes.factory
    (_, c1, p1, _), (_, c2, p2, _) = probes.items[:2]
    ok(f.admin.deploy_component_version(component("1.0.0")))
    ok(f.admin.deploy_component_version(component("1.2.0")))
    ok(f.admin.deploy_component_version(component("1.1.5")))
    ok(f.admin.deploy_component_version(component("0.9.0", "token-selector")))
    assert code(f.admin.deploy_component_version(component("1.0.0"))) == "already_exists"
    assert code(f.admin.deploy_component_version(component("v1"))) == "invalid_argument"
    assert (
        code(f.admin.deploy_component_version(dict(component("2.0.0"), cdn_url="http://cdn.example.com/x.js")))
        == "invalid_argument"
    )
    available = one(f.anon.get_available_components())
    assert [(c["component_id"], c["version"]) for c in available] == [
        ("token-selector", "0.9.0"),
        ("payment-button", "1.2.0"),
    ]
    assert ok(f.anon.get_component_cdn_url("payment-button", "latest")).endswith("/1.2.0/index.js")
    assert ok(f.anon.get_component_cdn_url("payment-button", "1.0.0")).endswith("/1.0.0/index.js")
    assert code(f.anon.get_component_cdn_url("payment-button", "3.0.0")) == "not_found"
    assert code(f.anon.get_component_cdn_url("nope", "latest")) == "not_found"
    assert one(f.anon.list_component_versions("payment-button")) == ["1.1.5", "1.2.0", "1.0.0"]

    ok(p1.probe_component_usage("payment-button", c1))
    ok(p2.probe_component_usage("payment-button", c2))
    ok(p2.probe_component_usage("token-selector", c2))
    assert code(p1.probe_component_usage("payment-button", c2)) == "unauthorized"
    assert code(p1.probe_component_usage("nope", c1)) == "not_found"
    assert code(f.as_(new_identity()).track_component_usage("payment-button", c1)) == "unauthorized"
    usage = {e["key"]: e["value"] for e in one(f.anon.get_component_usage_stats())}
    assert usage == {"payment-button": 2, "token-selector": 1}
    stats = one(f.anon.get_component_stats("payment-button"))[0]
    assert stats["latest_version"] == "1.2.0" and stats["versions"] == 3 and stats["usage"] == 2


@pytest.fixture
def market(server, deploy, actor, new_identity, small):
    """The factory wired to the local XRC and an ICRC ledger tracked as token LTT (priced
    as ICP by the XRC)."""
    f = small
    xrc_admin = new_identity()
    xrc_id = deploy(server, XRC_ENTRY, f'(opt vec {{ principal "{xrc_admin.sender().to_str()}" }})')
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(xrc_admin.sender().to_str(), 10**12)]))
    settings = default_settings(xrc_canister=[xrc_id])
    ok(f.admin.update_factory_settings(settings))
    ok(f.admin.add_market_token(SYMBOL, ledger_id, "ICP"))
    feeder = actor(server, xrc_id, xrc_admin, XRC_DID)

    def set_rate(usd: float) -> None:
        with server.lock:
            now_s = server.network.time_ns // 10**9
        stamp = now_s - now_s % 60
        ok(
            feeder.set_rates(
                [
                    {
                        "base_asset": asset("ICP", CRYPTO),
                        "quote_asset": asset("USD", FIAT),
                        "rate": int(usd * 10**9),
                        "timestamp": stamp,
                    }
                ]
            )
        )

    return f, xrc_id, set_rate


def test_token_market(market, server):
    f, xrc_id, set_rate = market
    assert one(f.anon.get_real_time_rates()) == []
    assert one(f.anon.get_market_conditions())["condition"] == "unknown"
    from kybra import Principal

    with server.lock:
        xrc_before = server.network.canister(Principal.from_str(xrc_id))["cycles"]
    for usd in (10.0, 11.0, 9.5):
        set_rate(usd)
        ok(f.admin.update_global_token_rates())
        f.advance(61)
    with server.lock:
        xrc_after = server.network.canister(Principal.from_str(xrc_id))["cycles"]
    assert xrc_after > xrc_before  # the XRC kept its fee from the cycles attached
    rates = {e["key"]: e["value"] for e in one(f.anon.get_real_time_rates())}
    assert rates == {SYMBOL: pytest.approx(9.5)}
    history = one(f.anon.get_token_rate_history(SYMBOL))
    assert [round(p["rate"], 3) for p in history] == [10.0, 11.0, 9.5]
    assert history[0]["timestamp"] < history[1]["timestamp"] < history[2]["timestamp"]
    assert {e["key"]: e["value"] for e in one(f.anon.get_global_fee_estimates())} == {SYMBOL: FEE}
    market_data = one(f.anon.get_global_token_market())
    vol = market_data["market_volatility"][0]["value"]
    assert vol > 0.05
    liquidity = market_data["liquidity_data"][0]["value"]
    assert liquidity["decimals"] == 8 and liquidity["transfer_fee"] == FEE and liquidity["total_supply"] == 10**12
    conditions = one(f.anon.get_market_conditions())
    assert conditions["priced_tokens"] == 1 and conditions["condition"] == "volatile" and conditions["trend"] == "down"
    recs = one(f.anon.get_global_token_recommendations(10_000, []))
    assert len(recs) == 1 and recs[0]["token_symbol"] == SYMBOL and 0 < recs[0]["score"] < 100
    assert recs[0]["estimated_fee"] == FEE
    ok(f.admin.update_recommendation_algorithm())
    engine = one(f.anon.get_recommendation_engine())[0]
    assert engine["recommendation_algorithm_version"] == "v1"
    # the refresh timer keeps rates fresh without anyone calling
    set_rate(12.0)
    f.advance(600)
    assert {e["key"]: e["value"] for e in one(f.anon.get_real_time_rates())} == {SYMBOL: pytest.approx(12.0)}
    assert code(f.admin.add_market_token("bad symbol!", xrc_id, "ICP")) == "invalid_argument"
    assert code(f.admin.add_market_token(SYMBOL, xrc_id, "ICP")) == "already_exists"


def test_payment_network(probes, server, new_identity):
    f = probes.factory
    to_mid_day(server)  # the limit is per UTC day
    (o1, c1, p1, _), (o2, c2, p2, _) = probes.items[:2]
    customer = new_identity().sender().to_str()
    ok(p1.probe_register_one_click(c1))
    assert code(p1.probe_register_one_click(c1)) == "already_exists"
    assert code(f.as_(o2).register_merchant_for_one_click(c1)) == "unauthorized"
    assert ok(f.anon.validate_cross_merchant_limits(customer, 500_000)) is True
    ok(p1.probe_one_click_payment(customer, 800_000))
    assert code(p2.probe_one_click_payment(customer, 100)) == "failed_precondition"
    assert ok(f.anon.validate_cross_merchant_limits(customer, 300_000)) is False
    assert ok(f.anon.validate_cross_merchant_limits(customer, 200_000)) is True
    assert code(f.anon.validate_cross_merchant_limits("2vxsx-fae", 1)) == "invalid_argument"
    ok(f.as_(o2).register_merchant_for_one_click(c2))
    ok(p2.probe_one_click_payment(customer, 150_000))
    assert ok(f.anon.validate_cross_merchant_limits(customer, 60_000)) is False
    f.advance(86_400)
    assert ok(f.anon.validate_cross_merchant_limits(customer, 900_000)) is True
    ok(f.admin.add_to_global_blocklist(customer, "chargeback fraud"))
    assert ok(f.anon.validate_cross_merchant_limits(customer, 1)) is False
    metrics = one(f.anon.get_global_payment_metrics())
    assert metrics["registered_merchants"] == 2 and metrics["total_profiles"] == 1
    spend = metrics["global_spending_insights"]
    assert spend["one_click_volume_usd_cents"] == 950_000 and spend["one_click_payments"] == 2
    assert {p["pattern_id"] for p in metrics["fraud_patterns"]} == {"velocity", "amount_spike", "new_customer_large"}


def test_security(probes, new_identity):
    f = probes.factory
    (o1, c1, p1, _), (o2, c2, p2, _), (o3, c3, p3, _) = probes.items
    bad_identity = new_identity()
    bad = bad_identity.sender().to_str()
    suspect, good = (new_identity().sender().to_str() for _ in range(2))
    assert code(f.admin.add_to_global_blocklist(bad, "")) == "invalid_argument"
    ok(f.admin.add_to_global_blocklist(bad, "stolen funds"))
    assert code(f.admin.add_to_global_blocklist(bad, "again")) == "already_exists"
    rep = one(f.anon.check_principal_reputation(bad))
    assert rep["blocked"] and rep["level"] == "blocked" and rep["block_reason"] == ["stolen funds"]
    assert one(f.anon.check_principal_reputation(good))["level"] == "trusted"
    page = one(f.anon.get_global_blocklist_changes(0, 10))
    assert [(ptext(c["principal_id"]), c["blocked"]) for c in page["changes"]] == [(bad, True)]
    assert one(f.anon.get_global_blocklist_changes(page["next_seq"], 10))["changes"] == []
    assert code(f.as_(new_identity()).deploy_user_payment_canister(deploy_config(owner=bad))) == "unauthorized"
    assert code(f.paying(bad_identity).deploy_user_payment_canister(deploy_config())) == "blocked"
    assert code(f.admin.deploy_user_payment_canister(deploy_config(owner=bad))) == "blocked"

    # merchants report a suspect; three distinct merchants make it a block candidate
    for probe in (p1, p2):
        ok(probe.probe_suspicious(suspect, "velocity: 30 payments in a minute"))
    assert one(f.anon.check_principal_reputation(suspect))["score"] == pytest.approx(70.0)
    ok(p1.probe_suspicious(suspect, "velocity: again"))  # same reporter counts once
    assert one(f.anon.check_principal_reputation(suspect))["reports"] == 2
    ok(p3.probe_suspicious(suspect, "card testing"))
    assert one(f.anon.check_principal_reputation(suspect))["blocked"] is False
    ok(f.admin.update_threat_intelligence())
    rep = one(f.anon.check_principal_reputation(suspect))
    assert rep["blocked"] and rep["block_reason"][0].startswith("reported by 3")
    intel = one(f.anon.get_threat_intelligence())
    assert {p["pattern"]: p["occurrences"] for p in intel["suspicious_patterns"]}["velocity"] == 3
    assert {m["key"] for m in intel["threat_score_models"]} == {"transaction", "payment_pattern"}

    ok(f.admin.add_known_bad_address("0xdeadbeef", "mixer"))
    risk = one(f.anon.get_address_risk_score("0xdeadbeef"))
    assert risk["score"] == 100.0 and risk["level"] == "critical"
    assert one(f.anon.get_address_risk_score(good))["level"] == "low"
    assert one(f.anon.get_address_risk_score(suspect))["level"] == "critical"

    ok(f.admin.set_geographic_risk_score("XX", 1.0))
    assert code(f.admin.set_geographic_risk_score("XX", 2.0)) == "invalid_argument"

    def tx(customer, country=None, address=None):
        return {
            "transaction_id": "t1",
            "customer": customer,
            "merchant_canister": c1,
            "amount": 1000,
            "token_symbol": "LTT",
            "from_address": opt(address),
            "country": opt(country),
            "timestamp": 0,
        }

    assert one(f.anon.validate_transaction_against_global_rules(tx(good)))["required_action"] == "allow"
    blocked = one(f.anon.validate_transaction_against_global_rules(tx(bad)))
    assert blocked["required_action"] == "block" and not blocked["allowed"]
    assert (
        one(f.anon.validate_transaction_against_global_rules(tx(good, address="0xdeadbeef")))["required_action"]
        == "block"
    )
    assert one(f.anon.validate_transaction_against_global_rules(tx(good, country="XX")))["required_action"] == "review"

    pattern = {
        "customer": good,
        "amount": 50_000,
        "token_symbol": "LTT",
        "payments_last_hour": 25,
        "payments_last_day": 30,
        "average_amount": 1_000,
        "country": [],
        "is_new_customer": False,
    }
    score = one(f.anon.analyze_payment_pattern(pattern))
    assert set(score["matched_patterns"]) == {"velocity", "amount_spike"} and score["risk_level"] == "medium"
    calm = one(f.anon.analyze_payment_pattern(dict(pattern, payments_last_hour=1, amount=1_000)))
    assert calm["matched_patterns"] == [] and calm["recommendation"] == "proceed"

    # global config: new patterns, and principals listed in it join the blocklist
    cfg = one(f.admin.get_global_security_config())
    cfg["blocked_principals"] = [good]
    cfg["global_fraud_patterns"] = [dict(cfg["global_fraud_patterns"][0], max_payments_per_hour=100)]
    ok(f.admin.update_global_security_config(cfg))
    assert one(f.anon.get_security_config_version()) == 1
    assert one(f.anon.check_principal_reputation(good))["blocked"]
    clean = dict(pattern, customer=new_identity().sender().to_str())
    assert (
        one(f.anon.analyze_payment_pattern(clean))["matched_patterns"] == []
    )  # only the relaxed velocity rule is left
    changes = one(f.anon.get_global_blocklist_changes(page["next_seq"], 10))["changes"]
    assert [ptext(c["principal_id"]) for c in changes] == [suspect, good]
    ok(f.admin.remove_from_global_blocklist(good, "false positive"))
    assert one(f.anon.get_global_blocklist_changes(0, 10))["changes"][-1]["blocked"] is False
    bad_cfg = dict(
        cfg,
        compliance_requirements=[{"rule_id": "x", "description": "", "kind": "nope", "param": 0, "mandatory": True}],
    )
    assert code(f.admin.update_global_security_config(bad_cfg)) == "invalid_argument"

    # compliance: the third probe has no support email (a mandatory rule)
    status1 = ok(f.as_(o1).check_compliance_requirements(c1))
    assert status1["compliant"] and "support_email" in status1["passed"]
    status3 = ok(f.as_(o3).check_compliance_requirements(c3))
    assert not status3["compliant"] and status3["failed"] == ["support_email"]
    assert code(f.as_(o1).check_compliance_requirements(c3)) == "unauthorized"
    report_ = one(f.anon.generate_compliance_report())
    assert report_["merchants_checked"] == 2 and report_["compliant"] == 1 and report_["non_compliant"] == 1
    fails = {e["key"]: e["value"] for e in report_["failures_by_rule"]}
    assert fails["support_email"] == 1


def ltt(amount: int) -> list:
    return [{"token": SYMBOL, "amount": amount}]


def test_system_analytics(probes, market, new_identity):
    f = probes.factory
    _, _, set_rate = market
    set_rate(10.0)  # LTT (8 decimals) at $10: the factory values reported base units itself
    ok(f.admin.update_global_token_rates())
    (o1, c1, p1, _), (o2, c2, p2, _), (o3, c3, p3, _) = probes.items
    r1 = report(
        transaction_count=6,
        successful_payments=5,
        sessions_created=10,
        sessions_completed=5,
        volume_usd_cents=999_999,
        volume_by_token=ltt(500_000_000),  # its own USD figure is not believed
        region=["EU"],
        industry=["retail"],
    )
    ok(p1.probe_report(r1))
    ok(p1.probe_report(r1))  # a resent report changes nothing
    ok(
        p2.probe_report(
            report(
                transaction_count=10,
                successful_payments=6,
                sessions_created=10,
                sessions_completed=2,
                volume_by_token=ltt(100_000_000),
                region=["US"],
                industry=["retail"],
            )
        )
    )
    ok(
        p3.probe_report(
            report(
                transaction_count=2,
                successful_payments=1,
                sessions_created=4,
                sessions_completed=1,
                volume_by_token=ltt(50_000_000),
                region=["EU"],
                industry=["games"],
            )
        )
    )
    assert code(p1.probe_report(dict(r1, transaction_count=1))) == "invalid_argument"
    assert code(p1.probe_report(dict(r1, sessions_completed=11))) == "invalid_argument"
    assert code(f.as_(new_identity()).report_merchant_metrics(r1)) == "unauthorized"

    sa = one(f.anon.get_system_analytics())
    assert sa["total_system_volume"] == 6_500 and sa["active_merchants"] == 3
    assert sa["system_wide_conversion_rates"] == pytest.approx(8 / 24)
    geo = {e["key"]: e["value"] for e in sa["geographic_distribution"]}
    assert geo["EU"]["merchants"] == 2 and geo["US"]["merchants"] == 1 and geo["EU"]["volume_usd_cents"] == 5_500
    assert sa["system_health_metrics"]["active_canisters"] == 3 and sa["system_health_metrics"]["reports_received"] == 4

    rates = {e["key"]: e["value"] for e in one(f.anon.calculate_system_conversion_rates())}
    assert rates["industry:retail"] == pytest.approx(7 / 20) and rates["industry:games"] == pytest.approx(0.25)
    assert rates["payment_success"] == pytest.approx(12 / 18)
    bench = {e["key"]: e["value"] for e in one(f.anon.get_industry_benchmarks())}
    assert bench["retail.success_rate"] == pytest.approx(11 / 16)

    b = ok(f.as_(o1).get_merchant_benchmarks(c1))
    averages = {e["key"]: e["value"] for e in b["industry_averages"]}
    assert averages["conversion_rate"] == pytest.approx(7 / 20)
    (pct,) = b["merchant_performance_percentiles"]
    assert ptext(pct["key"]) == c1 and pct["value"] == 66  # above 2 of 3 reporting merchants
    cmp = ok(f.as_(o1).compare_merchant_performance(c1))
    assert cmp["conversion_rate"] == pytest.approx(0.5) and cmp["summary"] == "conversion above the system average"
    assert cmp["average_transaction_usd_cents"] == 1_000 and cmp["volume_share"] == pytest.approx(5_000 / 6_500)
    assert ok(f.as_(o2).compare_merchant_performance(c2))["summary"] == "conversion below the system average"

    # moving region updates the distribution; fraud thresholds learn from reported payments
    ok(
        p3.probe_report(
            dict(
                report(
                    transaction_count=2,
                    successful_payments=1,
                    sessions_created=4,
                    sessions_completed=1,
                    volume_by_token=ltt(50_000_000),
                    industry=["games"],
                ),
                region=["US"],
            )
        )
    )
    geo = {e["key"]: e["value"] for e in one(f.anon.get_system_analytics())["geographic_distribution"]}
    assert geo["EU"]["merchants"] == 1 and geo["US"]["merchants"] == 2
    ok(f.admin.update_global_fraud_patterns())
    patterns = {p["pattern_id"]: p for p in one(f.admin.get_global_security_config())["global_fraud_patterns"]}
    assert patterns["new_customer_large"]["new_customer_max_amount"] == (6_500 // 12) * 10


def test_regions_are_capped_in_arrival_order_and_moves_follow_the_cap(probes, market):
    """At most 50 region groups (system_analytics.MAX_GROUPS); a name past the cap counts as
    "other". The sums are made by the merchant's own names and folded into the capped groups
    when written (common/report_deltas.py), so a merchant moving into and out of "other"
    leaves every group equal to its merchants' figures."""
    f = probes.factory
    _, _, set_rate = market
    set_rate(10.0)
    ok(f.admin.update_global_token_rates())
    p1, p2 = probes.items[0][2], probes.items[1][2]
    for i in range(50):  # p1 walks through 50 regions: each becomes a group (the old ones at 0)
        ok(
            p1.probe_report(
                report(
                    transaction_count=i + 1,
                    successful_payments=i + 1,
                    sessions_created=i + 1,
                    sessions_completed=i + 1,
                    volume_by_token=ltt((i + 1) * 100_000_000),
                    region=["R%02d" % i],
                )
            )
        )
    late = report(
        transaction_count=1,
        successful_payments=1,
        sessions_created=1,
        sessions_completed=1,
        volume_by_token=ltt(300_000_000),
        region=["late"],
    )
    ok(p2.probe_report(late))
    geo = {e["key"]: e["value"] for e in one(f.anon.get_system_analytics())["geographic_distribution"]}
    assert len(geo) == 51 and "late" not in geo
    assert geo["other"] == {"merchants": 1, "volume_usd_cents": 3_000}
    assert geo["R49"] == {"merchants": 1, "volume_usd_cents": 50_000}
    assert geo["R00"] == {"merchants": 0, "volume_usd_cents": 0}
    ok(
        p2.probe_report(
            dict(late, transaction_count=2, successful_payments=2, volume_by_token=ltt(400_000_000), region=["R10"])
        )
    )
    geo = {e["key"]: e["value"] for e in one(f.anon.get_system_analytics())["geographic_distribution"]}
    assert geo["other"] == {"merchants": 0, "volume_usd_cents": 0}
    assert geo["R10"] == {"merchants": 1, "volume_usd_cents": 4_000}
    assert one(f.anon.get_system_analytics())["total_system_volume"] == 54_000


def test_a_price_drop_keeps_factory_metrics_moving(probes, market):
    """Merchants report base units; the factory values each new unit at its rate of the
    moment, so a lower price (which made the merchant's own cumulative USD figure shrink)
    neither freezes the totals nor revalues what was already counted."""
    f = probes.factory
    _, _, set_rate = market
    set_rate(10.0)
    ok(f.admin.update_global_token_rates())
    p1 = probes.items[0][2]
    ok(
        p1.probe_report(
            report(
                transaction_count=5,
                successful_payments=5,
                sessions_created=5,
                sessions_completed=5,
                volume_usd_cents=5_000,
                volume_by_token=ltt(500_000_000),
            )
        )
    )
    assert one(f.anon.get_system_analytics())["total_system_volume"] == 5_000
    f.advance(61)
    set_rate(5.0)
    ok(f.admin.update_global_token_rates())
    # 2 more LTT; the merchant's revalued cumulative figure (7 LTT at $5) is lower than before
    ok(
        p1.probe_report(
            report(
                transaction_count=7,
                successful_payments=7,
                sessions_created=7,
                sessions_completed=7,
                volume_usd_cents=3_500,
                volume_by_token=ltt(700_000_000),
            )
        )
    )
    assert one(f.anon.get_system_analytics())["total_system_volume"] == 6_000
    assert one(f.anon.get_system_analytics())["system_health_metrics"]["reports_received"] == 2


def test_metric_reports_are_plausibility_checked(probes, market):
    """A merchant canister moves the system totals only by plausible steps."""
    f = probes.factory
    _, _, set_rate = market
    set_rate(10.0)
    ok(f.admin.update_global_token_rates())
    p1 = probes.items[0][2]
    base = dict(
        transaction_count=5,
        successful_payments=5,
        sessions_created=5,
        sessions_completed=5,
        volume_by_token=ltt(500_000_000),
    )
    ok(p1.probe_report(report(**base)))
    assert (
        code(p1.probe_report(report(**dict(base, volume_by_token=ltt(900_000_000))))) == "implausible_report"
    )  # no payment
    assert code(p1.probe_report(report(**dict(base, volume_by_token=ltt(400_000_000))))) == "invalid_argument"  # shrank
    assert (
        code(
            p1.probe_report(
                report(**dict(base, successful_payments=6, transaction_count=6, volume_by_token=ltt(10**13)))
            )
        )
        == "implausible_report"
    )  # over the supply
    assert code(p1.probe_report(report(**dict(base, modal_views=2_000_000)))) == "implausible_report"
    assert code(p1.probe_report(report(**dict(base, failed_payments=1)))) == "implausible_report"  # 5 + 1 > 5
    assert one(f.anon.get_system_analytics())["total_system_volume"] == 5_000


def test_urls_emails_and_versions_ending_in_a_newline_are_refused(small, new_identity):
    """common/validation.py anchors with \\Z: `$` would also match before a final newline."""
    f = small
    assert (
        code(f.admin.create_global_modal_template(template("T", preview_url="https://cdn.example.com/p.png\n")))
        == "invalid_argument"
    )
    bad_cdn = dict(component("1.0.0"), cdn_url=component("1.0.0")["cdn_url"] + "\n")
    assert code(f.admin.deploy_component_version(bad_cdn)) == "invalid_argument"
    assert (
        code(
            f.admin.deploy_component_version(dict(component("1.0.0"), documentation_url="https://docs.ckpayment.io/\n"))
        )
        == "invalid_argument"
    )
    assert code(f.admin.deploy_component_version(component("1.0.0\n"))) == "invalid_argument"
    merchant = f.as_(new_identity())
    for cfg in (
        merchant_config(email="support@shop.example.com\n"),
        merchant_config(website="https://shop.example.com\n"),
    ):
        assert code(merchant.deploy_user_payment_canister(deploy_config(cfg))) == "invalid_argument"
    ok(f.admin.create_global_modal_template(template("T")))
    ok(f.admin.deploy_component_version(component("1.0.0")))


def test_security_config_takes_at_most_20_blocked_principals(factory, new_identity):
    """docs/factory.md: 20 entries per security config list, blocked_principals included."""
    f = factory
    cfg = one(f.admin.get_global_security_config())
    principals = [new_identity().sender().to_str() for _ in range(21)]
    result = f.admin.update_global_security_config(dict(cfg, blocked_principals=principals))
    assert err(result).startswith("invalid_argument: blocked_principals has more than 20")
    assert not one(f.anon.check_principal_reputation(principals[0]))["blocked"]  # nothing applied
    ok(f.admin.update_global_security_config(dict(cfg, blocked_principals=principals[:20])))
    assert all(one(f.anon.check_principal_reputation(p))["blocked"] for p in principals[:20])
