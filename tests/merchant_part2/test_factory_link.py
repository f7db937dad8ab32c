"""The merchant canister with a real factory on localnet: one-click registration with the
payment network, the factory's cross-merchant check (and its blocklist) consulted before a
charge, the global blocklist pulled by the timer into the risk rules, and metrics pushed by
the timer, where a stopped factory fails no payment and loses no counts."""

from __future__ import annotations

import os
import sys

import pytest
from kybra import Principal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "factory"))

from clock_align import to_mid_day  # noqa: E402
from factory_client import (  # noqa: E402
    Factory,
    build_module,
    default_settings,
    deploy_config,
    management_call,
    merchant_config,
    padded,
    ptext,
)
from ledger_client import LEDGER_DID, LEDGER_ENTRY, XRC_DID, XRC_ENTRY, LedgerClient, ledger_init_arg  # noqa: E402
from merchant_client import session_args  # noqa: E402
from part2_helpers import FEE, SYMBOL, acct, code, ok, transaction, webhook_config  # noqa: E402

PUSH_PAUSE = 31  # security_push.PAUSE_SECONDS + 1


def set_running(server, factory, running: bool) -> None:
    method = "start_canister" if running else "stop_canister"
    management_call(server, factory.admin_identity, method, {"canister_id": Principal.from_str(factory.id)}, factory.id)


def test_merchant_with_a_real_factory(server, deploy, actor, new_identity):
    factory = Factory(server, deploy, actor, new_identity)
    factory.upload("v1", build_module(server), "merchant")
    owner, alice = new_identity(), new_identity()
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 10**9)]))
    rec = ok(
        factory.paying(owner).deploy_user_payment_canister(deploy_config(merchant_config(tokens=[(SYMBOL, ledger_id)])))
    )
    cid = ptext(rec["canister_id"][0])
    shop = factory.merchant_actor(cid, owner)
    customer = factory.merchant_actor(cid, alice)
    ok(shop.refresh_token(SYMBOL))
    alice_ledger = LedgerClient(actor(server, ledger_id, alice, LEDGER_DID), alice)
    assert "Ok" in alice_ledger.approve(acct(cid), 10**8)
    alice_text = alice.sender().to_str()

    # the first pre-authorization registers the merchant with the payment network
    auth_id = ok(customer.create_pre_authorization(alice_text, 1_000_000, SYMBOL, 3600))
    assert ok(shop.get_merchant_one_click_analytics())["registered_with_network"]
    # the factory has no USD price for the token: the cross-merchant limit cannot be
    # checked, so the charge fails closed and no money moves
    before = alice_ledger.balance()
    assert code(shop.execute_one_click_payment(auth_id, 100_000, [])) == "price_unavailable"
    assert alice_ledger.balance() == before

    # metrics reach the factory by the timer, grouped by the merchant's own profile
    assert code(customer.set_business_profile({"region": ["EU"], "industry": ["coffee"]})) == "unauthorized"
    ok(shop.set_business_profile({"region": ["EU"], "industry": ["coffee"]}))
    session = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    paid = alice_ledger.transfer(acct(cid, bytes(session["payment_subaccount"])), 5_000_000)
    ok(customer.complete_checkout_session(session["session_id"], str(paid["Ok"])))
    for _ in range(2):  # the hosted checkout page counts its loads where it is served
        ok(customer.track_hosted_page_view(session["session_id"]))
    assert code(customer.track_hosted_page_view("cs_nope")) in ("invalid_argument", "not_found")
    factory.advance(61)
    status = ok(shop.get_factory_reporting_status())
    assert status["reports_sent"] == 1 and status["failures"] == 0 and status["registered_for_one_click"]
    analytics = factory.admin.get_system_analytics()[0]
    assert analytics["system_wide_conversion_rates"] == 0.5  # 1 of 2 sessions completed
    assert analytics["active_merchants"] == 1 and SYMBOL in analytics["popular_payment_methods"]
    assert [e["key"] for e in analytics["geographic_distribution"]] == ["EU"]
    assert factory.admin.get_system_hosted_metrics()[0]["hosted_page_views"] == 2
    rates = {e["key"]: e["value"] for e in factory.admin.calculate_system_conversion_rates()[0]}
    assert rates["industry:coffee"] == 0.5

    # a stopped factory fails no payment and loses no counts
    set_running(server, factory, False)
    third = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    paid = alice_ledger.transfer(acct(cid, bytes(third["payment_subaccount"])), 5_000_000)
    ok(customer.complete_checkout_session(third["session_id"], str(paid["Ok"])))
    assert code(shop.execute_one_click_payment(auth_id, 100_000, [])) in ("price_unavailable", "factory_unavailable")
    factory.advance(301)
    status = ok(shop.get_factory_reporting_status())
    assert status["failures"] == 1 and status["reports_sent"] == 1 and status["last_error"]
    set_running(server, factory, True)
    factory.advance(301)
    status = ok(shop.get_factory_reporting_status())
    assert status["reports_sent"] == 2 and status["last_error"] == []
    analytics = factory.admin.get_system_analytics()[0]
    assert abs(analytics["system_wide_conversion_rates"] - 2 / 3) < 1e-9

    # the network's blocklist: consulted before a charge, and pulled into the risk rules
    ok(factory.admin.add_to_global_blocklist(alice_text, "card testing ring"))
    factory.advance(301)
    risk = ok(shop.analyze_transaction_risk(transaction(alice_text, 1_000, merchant=cid)))
    assert "global_blocklist" in risk["rules"] and risk["decision"] == "block"
    assert any("card testing ring" in r for r in risk["reasons"])
    fourth = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    assert code(customer.pay_checkout_session(fourth["session_id"])) == "blocked"


def deploy_shop(factory, owner, name: str, ledger_id: str) -> tuple:
    """A merchant canister of `owner` deployed by the factory, taking SYMBOL at ledger_id:
    (its id, its actor as the owner)."""
    rec = ok(
        factory.paying(owner).deploy_user_payment_canister(
            deploy_config(merchant_config(name, tokens=[(SYMBOL, ledger_id)]))
        )
    )
    cid = ptext(rec["canister_id"][0])
    shop = factory.merchant_actor(cid, owner)
    ok(shop.refresh_token(SYMBOL))
    return cid, shop


def set_xrc_rate(server, actor, xrc_id: str, xrc_admin) -> None:
    """The exchange-rate canister quotes LTT at 10 USD, stamped now."""
    with server.lock:
        now_s = server.network.time_ns // 10**9
    rate = {
        "base_asset": {"symbol": SYMBOL, "class": {"Cryptocurrency": None}},
        "quote_asset": {"symbol": "USD", "class": {"FiatCurrency": None}},
        "rate": 10 * 10**9,
        "timestamp": now_s,
    }
    assert "Ok" in actor(server, xrc_id, xrc_admin, XRC_DID).set_rates([rate])[0]


def reprice(server, actor, factory, xrc_id: str, xrc_admin) -> None:
    """A fresh rate at the exchange-rate canister, taken by the factory at once."""
    set_xrc_rate(server, actor, xrc_id, xrc_admin)
    ok(factory.admin.update_global_token_rates())


def priced_network(
    server, deploy, actor, new_identity, merchants: int = 1, daily_limit: int = 50, duration: int = 3600
):
    """A factory pricing LTT at 10 USD (decimals 8: 100_000 base units = 1 cent) with a
    daily network limit of 50 cents, `merchants` merchant canisters, and alice, who
    approved each of them and pre-authorized a charge of up to 5_000_000 at each.
    Starts at 12:00 UTC: the limit is per UTC day (tests/utc_day.py).
    Returns (factory, alice_text, alice_ledger, [(cid, shop, auth_id, owner_text)])."""
    to_mid_day(server)
    xrc_admin = new_identity()
    xrc_id = deploy(server, XRC_ENTRY, f'(opt vec {{ principal "{xrc_admin.sender().to_str()}" }})')
    set_xrc_rate(server, actor, xrc_id, xrc_admin)
    factory = Factory(
        server,
        deploy,
        actor,
        new_identity,
        settings=default_settings(xrc_canister=xrc_id, daily_cross_merchant_limit=daily_limit),
    )
    factory.reprice = lambda: reprice(server, actor, factory, xrc_id, xrc_admin)
    factory.upload("v1", build_module(server), "merchant")
    alice = new_identity()
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 10**9)]))
    ok(factory.admin.add_market_token(SYMBOL, ledger_id, SYMBOL))
    ok(factory.admin.update_global_token_rates())
    assert factory.admin.get_real_time_rates()[0] == [{"key": SYMBOL, "value": 10.0}]
    alice_ledger = LedgerClient(actor(server, ledger_id, alice, LEDGER_DID), alice)
    alice_text = alice.sender().to_str()
    shops = []
    factory.owners = {}  # cid -> the owner's identity
    for i in range(merchants):
        owner = new_identity()
        cid, shop = deploy_shop(factory, owner, "Shop %d" % i, ledger_id)
        factory.owners[cid] = owner
        assert "Ok" in alice_ledger.approve(acct(cid), 10**8)
        auth_id = ok(
            factory.merchant_actor(cid, alice).create_pre_authorization(alice_text, 5_000_000, SYMBOL, duration)
        )
        shops.append((cid, shop, auth_id, owner.sender().to_str()))
    return factory, alice_text, alice_ledger, shops


def test_cross_merchant_limit_in_usd_cents(server, deploy, actor, new_identity):
    """30 cents pass and are recorded with the network, the next 30 do not."""
    factory, alice_text, _, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    ok(shop.execute_one_click_payment(auth_id, 3_000_000, []))  # 30 cents
    assert factory.admin.validate_cross_merchant_limits(alice_text, 20)[0] == {"Ok": True}
    assert factory.admin.validate_cross_merchant_limits(alice_text, 21)[0] == {"Ok": False}
    res = shop.execute_one_click_payment(auth_id, 3_000_000, [])[0]
    assert res["Err"].startswith("limit_exceeded") and "cross-merchant" in res["Err"]
    ok(shop.execute_one_click_payment(auth_id, 2_000_000, []))  # exactly at the limit
    assert factory.admin.validate_cross_merchant_limits(alice_text, 1)[0] == {"Ok": False}


def test_concurrent_charges_at_two_merchants_cannot_pass_the_limit(server, deploy, actor, new_identity):
    """Issue 16 #5: two merchants charge 30 cents each at once (50 cents a day): the
    factory reserves each charge in one message, so exactly one passes."""
    from localnet.runtime.typed import decode_reply, encode_call

    factory, alice_text, alice_ledger, shops = priced_network(server, deploy, actor, new_identity, merchants=2)
    before = alice_ledger.balance()
    net = server.network
    outcomes = []
    with server.lock:
        submitted = []
        for cid, _, auth_id, owner in shops:
            merchant = Principal.from_str(cid)
            arg = encode_call(net, merchant, "execute_one_click_payment", [auth_id, 3_000_000, []])
            submitted.append(
                (merchant, net.submit(Principal.from_str(owner), merchant, "execute_one_click_payment", arg))
            )
        net.run_interleaved(seed=11)
        for merchant, mid in submitted:
            st = net.status(mid)
            assert st.state == "replied", (st.state, st.reject_message)
            outcomes.append(decode_reply(net, merchant, "execute_one_click_payment", st.reply))
    passed = [o for o in outcomes if "Ok" in o]
    refused = [o["Err"] for o in outcomes if "Err" in o]
    assert len(passed) == 1 and len(refused) == 1 and refused[0].startswith("limit_exceeded"), outcomes
    assert alice_ledger.balance() == before - 3_000_000 - FEE
    assert factory.admin.validate_cross_merchant_limits(alice_text, 20)[0] == {"Ok": True}
    assert factory.admin.validate_cross_merchant_limits(alice_text, 21)[0] == {"Ok": False}


def test_a_charge_fails_closed_when_the_factory_does_not_answer(server, deploy, actor, new_identity):
    """Issue 16 #5: with the factory stopped the limit cannot be reserved: no charge."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    before = alice_ledger.balance()
    set_running(server, factory, False)
    assert code(shop.execute_one_click_payment(auth_id, 1_000_000, [])) in ("price_unavailable", "factory_unavailable")
    assert alice_ledger.balance() == before
    set_running(server, factory, True)
    ok(shop.execute_one_click_payment(auth_id, 1_000_000, []))
    assert alice_ledger.balance() == before - 1_000_000 - FEE


def test_a_stale_rate_refuses_pricing(server, deploy, actor, new_identity):
    """Issue 16 #8: rates carry their time; one older than the merchant's bound (900 s)
    prices nothing: the charge that needs a USD value is refused with `stale_rate`."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    (timed,) = factory.admin.get_timed_rates()[0]
    assert timed["symbol"] == SYMBOL and timed["rate_usd"] == 10.0 and timed["timestamp_seconds"] > 0
    ok(shop.execute_one_click_payment(auth_id, 1_000_000, []))  # a fresh rate prices the charge
    factory.advance(1000)  # the XRC has nothing newer: the factory keeps the old rate and its time
    before = alice_ledger.balance()
    err = shop.execute_one_click_payment(auth_id, 1_000_000, [])[0]["Err"]
    assert err.startswith("stale_rate") and SYMBOL in err and "900 s" in err
    assert alice_ledger.balance() == before


def test_security_alerts_go_up_and_the_blocklist_comes_down(server, deploy, actor, new_identity):
    """Issue 16 #4, the seed's two security patterns: a merchant canister sends its alerts
    of blocked payments up to the factory (User Canister -> Factory), and the factory's
    global blocklist reaches every merchant by version and blocks payments there
    (Factory -> User Canister); tests/merchant_part2/test_security.py shows the ICRC-1 path."""
    factory, alice_text, alice_ledger, shops = priced_network(server, deploy, actor, new_identity, merchants=2)
    (cid, shop, _, _), (cid2, shop2, _, _) = shops
    mallory = new_identity()
    mallory_text = mallory.sender().to_str()
    ok(shop.block_address_for_merchant(mallory_text, "chargeback fraud"))
    session = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    mallory_merchant = factory.merchant_actor(cid, mallory)
    assert code(mallory_merchant.pay_checkout_session(session["session_id"])) == "blocked"
    assert factory.admin.check_principal_reputation(mallory_text)[0]["reports"] == 0
    factory.advance(301)  # the reporting timer sends the alert up
    rep = factory.admin.check_principal_reputation(mallory_text)[0]
    assert rep["reports"] == 1 and rep["blocked"] is False
    # the operator blocks her network-wide: the other merchant learns it by version
    # (the change log's sequence number) and refuses her
    ok(factory.admin.add_to_global_blocklist(mallory_text, "card testing ring"))
    factory.advance(301)
    other = ok(shop2.create_checkout_session_with_options(session_args(5_000_000)))
    assert code(factory.merchant_actor(cid2, mallory).pay_checkout_session(other["session_id"])) == "blocked"
    assert ok(shop2.get_factory_reporting_status())["blocklist_seq"] >= 1
    # a known-bad address (here a principal) reaches the merchants the same way, pushed by
    # the factory at once (test_the_factory_pushes_security_updates_and_system_alerts)
    carol = new_identity()
    ok(factory.admin.add_known_bad_address(carol.sender().to_str(), "stolen keys"))
    third = ok(shop2.create_checkout_session_with_options(session_args(5_000_000)))
    carol_merchant = factory.merchant_actor(cid2, carol)
    res = carol_merchant.pay_checkout_session(third["session_id"])[0]
    assert res["Err"].startswith("blocked") and "stolen keys" in res["Err"], res


def test_the_factory_pushes_security_updates_and_system_alerts(server, deploy, actor, new_identity, receiver):
    """Issue 16 #4, the seed's "Factory -> User Canister: push global security updates, send
    system-wide alerts": an admin's alert and blocklist change reach two merchants by the
    factory's push (no merchant has pulled yet), are applied once (by version), and the
    alert is raised to the merchant's webhook; nobody but the factory can push."""
    factory, _, _, shops = priced_network(server, deploy, actor, new_identity, merchants=2)
    (cid, shop, _, _), (cid2, shop2, _, _) = shops
    webhook_id = ok(shop.configure_webhook(webhook_config(receiver.url, ["security.system_alert"])))
    receiver.secrets.append(ok(shop.get_webhook(webhook_id))["secret"])
    mallory, stranger = new_identity(), new_identity()
    mallory_text = mallory.sender().to_str()
    assert code(factory.as_(stranger).issue_system_alert("high", "Fake", "fake news")) == "unauthorized"
    assert code(factory.admin.issue_system_alert("urgent", "Card testing", "x")) == "invalid_argument"
    seq = ok(factory.admin.issue_system_alert("high", "Card testing wave", "Refuse bursts of small payments"))
    ok(factory.admin.add_to_global_blocklist(mallory_text, "card testing ring"))
    factory.advance(1)  # the push run's batches (zero-delay timers): the alert
    factory.advance(PUSH_PAUSE)  # the blocklist change, made during that run, goes out in the next
    push = ok(factory.admin.get_security_push_status())
    assert push["running"] is False and push["pushed"] >= 2 and push["failed"] == 0
    assert push["blocklist_seq"] == 1 and push["alerts_seq"] == seq
    for merchant_id, merchant in ((cid, shop), (cid2, shop2)):
        status = ok(merchant.get_factory_reporting_status())
        assert status["last_attempt_at"] == 0  # its timer has not run: nothing was pulled
        assert status["blocklist_seq"] == 1
        alerts = ok(merchant.list_system_alerts([], []))
        assert [(a["alert_seq"], a["severity"], a["title"]) for a in alerts["items"]] == [
            (seq, "high", "Card testing wave")
        ]
        session = ok(merchant.create_checkout_session_with_options(session_args(5_000_000)))
        res = factory.merchant_actor(merchant_id, mallory).pay_checkout_session(session["session_id"])[0]
        assert res["Err"].startswith("blocked") and "card testing ring" in res["Err"]
    factory.advance(0)  # webhook deliveries
    delivered = receiver.events("security.system_alert")
    assert [r["json"]["data"]["object"]["title"] for r in delivered] == ["Card testing wave"]
    assert all(r["valid_with"] for r in delivered)
    # the pull fallback later reads the same versions: nothing is applied or raised twice
    factory.advance(301)
    assert len(ok(shop.list_system_alerts([], []))["items"]) == 1
    factory.advance(0)
    assert len(receiver.events("security.system_alert")) == 1
    # an unblock is pushed the same way
    ok(factory.admin.remove_from_global_blocklist(mallory_text, "cleared"))
    factory.advance(PUSH_PAUSE)
    assert ok(shop2.get_factory_reporting_status())["blocklist_seq"] == 2
    # only the factory may push: not a stranger, not the merchant's own owner
    bulletin = {
        "blocklist_from_seq": 0,
        "blocklist": {
            "changes": [
                {
                    "seq": 9,
                    "principal_id": stranger.sender().to_str(),
                    "blocked": True,
                    "reason": "forged",
                    "changed_at": 0,
                }
            ],
            "next_seq": 9,
        },
        "known_bad_from_seq": 0,
        "known_bad": {"addresses": [], "next_seq": 0},
        "alerts_from_seq": 0,
        "alerts": {"alerts": [], "next_seq": 0},
        "reputation_from_seq": 0,
        "reputation": {"changes": [], "next_seq": 0},
        "fraud_patterns": [],
    }
    assert code(factory.merchant_actor(cid, stranger).receive_security_bulletin(bulletin)) == "unauthorized"
    assert code(shop.receive_security_bulletin(bulletin)) == "unauthorized"
    assert code(factory.merchant_actor(cid, stranger).list_system_alerts([], [])) == "unauthorized"
    assert ok(shop.get_factory_reporting_status())["blocklist_seq"] == 2


def test_bad_global_reputation_puts_a_payment_under_review(server, deploy, actor, new_identity):
    """Issue 16 #4: the factory's reputation score reaches merchants by version (no call per
    payment) and adds risk points in the risk engine: alice, blocked and reported by two
    independent owners' merchants, is a new customer at a third, whose Medium tolerance now
    holds her ICRC-2 payment for review (it goes through, with a `payment_review` alert);
    the same score is allowed under a High tolerance."""
    factory, alice_text, alice_ledger, shops = priced_network(server, deploy, actor, new_identity, merchants=3)
    alice = alice_ledger.identity
    for merchant_id, merchant, _, _ in shops[:2]:
        ok(merchant.block_address_for_merchant(alice_text, "chargeback fraud"))
        session = ok(merchant.create_checkout_session_with_options(session_args(5_000_000)))
        assert code(factory.merchant_actor(merchant_id, alice).pay_checkout_session(session["session_id"])) == "blocked"
    cid3, shop3, _, _ = shops[2]
    before = ok(shop3.analyze_transaction_risk(transaction(alice_text, 5_000_000, merchant=cid3)))
    assert before["rules"] == ["new_customer"] and before["decision"] == "allow"
    factory.advance(301)  # the two merchants' timers send their alerts up
    factory.advance(PUSH_PAUSE)  # the factory pushes the changed reputation
    rep = factory.admin.check_principal_reputation(alice_text)[0]
    assert rep["reports"] == 2 and rep["score"] == 70.0 and rep["blocked"] is False
    after = ok(shop3.analyze_transaction_risk(transaction(alice_text, 5_000_000, merchant=cid3)))
    assert after["rules"] == ["global_reputation", "new_customer"] and after["risk_score"] == before["risk_score"] + 30
    assert after["decision"] == "review" and any("global reputation 70/100" in r for r in after["reasons"])
    session = ok(shop3.create_checkout_session_with_options(session_args(5_000_000)))
    paid = ok(factory.merchant_actor(cid3, alice).pay_checkout_session(session["session_id"]))
    assert "complete" in paid["status"]
    alert = ok(shop3.get_security_alerts())[0]
    assert alert["alert_type"] == "payment_review" and "global reputation" in alert["message"]
    config = ok(shop3.get_security_config())
    config["risk_tolerance"] = {"High": None}
    ok(shop3.update_security_config(config))
    relaxed = ok(shop3.analyze_transaction_risk(transaction(alice_text, 5_000_000, merchant=cid3)))
    assert "global_reputation" in relaxed["rules"] and relaxed["decision"] == "allow"


def ship_fraud_pattern(factory, **fields) -> None:
    """An admin sets one global fraud pattern (unset limits 0); the factory pushes it at
    once, before any merchant timer pulls."""
    pattern = {
        "max_payments_per_hour": 0,
        "max_payments_per_day": 0,
        "max_amount_multiple": 0.0,
        "new_customer_max_amount": 0,
        "enabled": True,
        **fields,
    }
    config = factory.admin.get_global_security_config()[0]
    config["global_fraud_patterns"] = [pattern]
    ok(factory.admin.update_global_security_config(config))
    factory.advance(1)


def test_global_fraud_patterns_are_shipped_by_version_and_score_payments(server, deploy, actor, new_identity):
    """Issue 16 #4: the factory's fraud patterns reach merchants by version (pushed when an
    admin changes them) and the risk engine adds a matching pattern's weight: a network
    rule of one payment an hour puts alice's second payment at a merchant under review."""
    factory, alice_text, alice_ledger, [(cid, shop, _, _)] = priced_network(server, deploy, actor, new_identity)
    alice = factory.merchant_actor(cid, alice_ledger.identity)
    session = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))
    ok(alice.pay_checkout_session(session["session_id"]))
    before = ok(shop.analyze_transaction_risk(transaction(alice_text, 5_000_000, merchant=cid)))
    assert before["rules"] == [] and before["decision"] == "allow"
    ship_fraud_pattern(
        factory,
        pattern_id="burst",
        description="more than one payment an hour",
        max_payments_per_hour=1,
        risk_weight=50.0,
    )
    assert ok(shop.get_factory_reporting_status())["last_attempt_at"] == 0
    after = ok(shop.analyze_transaction_risk(transaction(alice_text, 5_000_000, merchant=cid)))
    assert after["rules"] == ["global_fraud_pattern"] and after["risk_score"] == 50 and after["decision"] == "review"
    assert any("global fraud pattern burst" in r for r in after["reasons"])


def test_new_customer_max_amount_caps_a_new_customers_payment(server, deploy, actor, new_identity):
    """A fraud pattern's `new_customer_max_amount` (USD cents) is applied where payments are
    screened, priced with the factory's rate (LTT at 10 USD: 100_000 base units a cent): a
    customer with no payment at this merchant over the cap gets the pattern's weight; under
    it, or once they have paid here, the cap does not apply."""
    factory, alice_text, alice_ledger, [(cid, shop, _, _)] = priced_network(server, deploy, actor, new_identity)
    alice = factory.merchant_actor(cid, alice_ledger.identity)
    ship_fraud_pattern(
        factory,
        pattern_id="new_large",
        description="new customers over 40 cents",
        new_customer_max_amount=40,
        risk_weight=70.0,
    )
    big = ok(shop.create_checkout_session_with_options(session_args(5_000_000)))  # 50 cents
    before = alice_ledger.balance()
    assert code(alice.pay_checkout_session(big["session_id"])) == "blocked"  # new_customer 15 + 70
    assert alice_ledger.balance() == before
    alert = ok(shop.get_security_alerts())[0]
    assert alert["alert_type"] == "payment_blocked" and "global fraud pattern new_large" in alert["message"]
    assert "payment of 50 USD cents (pattern limit 40)" in alert["message"]
    small = ok(shop.create_checkout_session_with_options(session_args(3_000_000)))  # 30 cents
    assert "complete" in ok(alice.pay_checkout_session(small["session_id"]))["status"]
    assert "complete" in ok(alice.pay_checkout_session(big["session_id"]))["status"]  # no longer new


def test_new_customer_max_amount_caps_a_new_customers_one_click_charge(server, deploy, actor, new_identity):
    """The factory's reservation reply prices a one-click charge (LTT at 10 USD), so the
    fraud patterns' `new_customer_max_amount` applies to it as at checkout: over the cap, a
    new customer's charge is held for review (no verification: declined) or blocked, as any
    risk decline (payment.failed, a declined charge, a security alert), and its reservation
    is released; under the cap, or once the customer has paid here, it goes through."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(
        server, deploy, actor, new_identity, daily_limit=1_000
    )
    cap = {"pattern_id": "new_large", "description": "new customers over 40 cents", "new_customer_max_amount": 40}
    ship_fraud_pattern(factory, risk_weight=30.0, **cap)
    before = alice_ledger.balance()
    res = shop.execute_one_click_payment(auth_id, 4_500_000, [])[0]  # 45 cents: new customer 15 + 30
    assert res["Err"].startswith("verification_required") and "45 USD cents (pattern limit 40)" in res["Err"], res
    ship_fraud_pattern(factory, risk_weight=70.0, **cap)
    res = shop.execute_one_click_payment(auth_id, 4_500_000, [])[0]  # 15 + 70
    assert res["Err"].startswith("blocked: payment refused by risk rules"), res
    assert "global fraud pattern new_large: a new customer's payment of 45 USD cents" in res["Err"]
    assert alice_ledger.balance() == before
    auth = ok(shop.get_pre_authorization(auth_id))
    assert auth["in_flight"] is False and auth["uses_remaining"] == 10 and auth["charges"] == 0
    # the second reservation carried the first's release; its own release is queued for the tick
    assert factory.admin.validate_cross_merchant_limits(alice_text, 955)[0] == {"Ok": True}
    assert factory.admin.validate_cross_merchant_limits(alice_text, 956)[0] == {"Ok": False}
    factory.advance(61)
    assert factory.admin.validate_cross_merchant_limits(alice_text, 1_000)[0] == {"Ok": True}
    assert ok(shop.get_merchant_one_click_analytics())["declined_charges"] == 2
    failed = ok(shop.list_events([], [], ["payment.failed"]))["events"]
    assert [e["object_id"] for e in failed] == [auth_id, auth_id]
    assert sorted("blocked" in e["data_json"] for e in failed) == [False, True]
    alerts = [(a["alert_type"], a["message"]) for a in ok(shop.get_security_alerts())]
    assert sum(1 for t, m in alerts if t == "payment_blocked" and "one-click charge on " + auth_id in m) == 1
    ok(shop.execute_one_click_payment(auth_id, 3_000_000, []))  # 30 cents: under the cap
    ok(shop.execute_one_click_payment(auth_id, 4_500_000, []))  # over it, but no longer new here
    assert alice_ledger.balance() == before - 7_500_000 - 2 * FEE
    factory.advance(61)
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 2 and network["one_click_volume_usd_cents"] == 75


def test_a_resumed_charge_is_confirmed_at_the_factory(server, deploy, actor, new_identity):
    """The callback of a charge's ledger call traps after the ledger took the money; the
    timer resumes the charge (the ledger answers Duplicate) and records it. The factory's
    reservation made for it must then be confirmed: otherwise it stays open for good, the
    customer's network spend is never recorded and, 100 open ones later, the merchant can
    charge one-click no more."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    before = alice_ledger.balance()
    with server.lock:
        server.network.faults.trap_after_call(Principal.from_str(cid), "icrc2_transfer_from")
    with pytest.raises(Exception):  # ic-py raises on the reject of the trapped message
        shop.execute_one_click_payment(auth_id, 1_000_000, [])
    factory.advance(300 + 60)  # the charge is stale: the maintenance timer resumes it
    assert alice_ledger.balance() == before - 1_000_000 - FEE  # charged once
    (payment,) = ok(shop.list_payments([], []))["payments"]
    assert payment["method"] == "one_click"
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 1
    # confirmed, not still held: 10 + 40 cents fit the 50-cent day only once the hold became spend
    ok(shop.execute_one_click_payment(auth_id, 4_000_000, []))
    # its confirmation is queued at the merchant and goes with the maintenance tick
    assert factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]["one_click_payments"] == 1
    factory.advance(61)
    assert factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]["one_click_payments"] == 2


def test_a_resumed_charge_refused_by_the_ledger_releases_its_reservation(server, deploy, actor, new_identity):
    """The callback of a charge's ledger call traps after the ledger refused it (alice took
    her allowance back); the timer replays it, the ledger refuses again and the journal
    releases the charge: its factory reservation (40 of alice's 50 cents today) is
    released with it, so a new 40-cent charge fits the day. Held, it would not."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    assert "Ok" in alice_ledger.approve(acct(cid), 0)
    before = alice_ledger.balance()
    with server.lock:
        server.network.faults.trap_after_call(Principal.from_str(cid), "icrc2_transfer_from")
    with pytest.raises(Exception):  # ic-py raises on the reject of the trapped message
        shop.execute_one_click_payment(auth_id, 4_000_000, [])
    factory.advance(300 + 60)  # stale: the recovery timer replays it and the ledger refuses
    auth = ok(shop.get_pre_authorization(auth_id))
    assert auth["in_flight"] is False and auth["charges"] == 0 and auth["uses_remaining"] == 10
    assert ok(shop.list_payments([], []))["payments"] == []
    assert "Ok" in alice_ledger.approve(acct(cid), 10**8)
    ok(shop.execute_one_click_payment(auth_id, 4_000_000, []))
    assert alice_ledger.balance() == before - 4_000_000 - 2 * FEE  # the charge and the approval
    factory.advance(61)  # the new charge's confirmation goes with the merchant's next tick
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 1 and network["one_click_volume_usd_cents"] == 40


def test_a_charge_interrupted_after_its_reservation_is_released_and_fails_closed(server, deploy, actor, new_identity):
    """The callback of the factory's reservation traps: the charge never reached the ledger
    and the merchant never learnt the reservation's id. The recovery timer releases the
    charge (the use comes back, nothing is charged); the unknown reservation keeps holding
    its 40 cents of alice's day at the factory (fail closed) until it expires there."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    before = alice_ledger.balance()
    with server.lock:
        server.network.faults.trap_after_call(Principal.from_str(cid), "reserve_one_click_spend")
    with pytest.raises(Exception):
        shop.execute_one_click_payment(auth_id, 4_000_000, [])
    assert code(shop.execute_one_click_payment(auth_id, 1_000_000, [])) == "conflict"  # held meanwhile
    factory.advance(300 + 60)
    auth = ok(shop.get_pre_authorization(auth_id))
    assert auth["in_flight"] is False and auth["charges"] == 0 and auth["uses_remaining"] == 10
    assert alice_ledger.balance() == before
    res = shop.execute_one_click_payment(auth_id, 2_000_000, [])[0]  # 40 held + 20 > 50
    assert res["Err"].startswith("limit_exceeded") and "cross-merchant" in res["Err"], res
    ok(shop.execute_one_click_payment(auth_id, 1_000_000, []))  # 40 held + 10 fit


def test_reservations_left_open_expire_at_the_factory(server, deploy, actor, new_identity):
    """Charges whose message trapped right after the factory reserved never learn the
    reservation's id, so none of them can end it: at 100 open reservations the merchant
    can charge one-click no more. The factory expires each after the next whole UTC day
    (ended as released), and the merchant charges again."""
    factory, alice_text, alice_ledger, [(cid, shop, auth_id, _)] = priced_network(
        server, deploy, actor, new_identity, daily_limit=10_000, duration=5 * 86400
    )
    with server.lock:
        server.network.faults.trap_after_call(Principal.from_str(cid), "reserve_one_click_spend", times=None)
    for i in range(100):
        if i:
            factory.advance(301)  # the held charge is stale: the timer or this retry releases it
        factory.reprice()  # rates older than 15 minutes price nothing
        try:
            res = shop.execute_one_click_payment(auth_id, 100_000, [])  # 1 cent, reserved, then the trap
        except Exception:
            continue
        raise AssertionError((i, res))
    with server.lock:
        server.network.faults.clear(Principal.from_str(cid))
    factory.advance(301)
    factory.reprice()
    res = shop.execute_one_click_payment(auth_id, 100_000, [])[0]
    assert res["Err"].startswith("limit_exceeded") and "100 open reservations" in res["Err"], res
    factory.advance(2 * 86400)  # the factory's reservations timer expires them
    factory.reprice()
    ok(shop.execute_one_click_payment(auth_id, 100_000, []))
    factory.advance(61)  # its confirmation goes with the merchant's next tick
    assert factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]["one_click_payments"] == 1


def test_queued_settlements_survive_an_upgrade_and_ride_on_the_next_charge(server, deploy, actor, new_identity):
    """A charge's confirmation is queued at the merchant (stable), not sent per charge: an
    upgrade of the merchant in between keeps it, and the next charge's reservation carries
    it to the factory (one call for both). Until then the hold counts as before, so the
    limit is as strict; the confirmation only moves it from reserved to spent."""
    factory, alice_text, _, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    ok(shop.execute_one_click_payment(auth_id, 2_000_000, []))  # 20 cents
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 0  # queued, not sent
    assert factory.admin.validate_cross_merchant_limits(alice_text, 31)[0] == {"Ok": False}  # held meanwhile
    factory.upload("v2", padded(build_module(server), 0, b"v2"), "the same code, another version")
    ok(factory.as_(factory.owners[cid]).upgrade_user_canister(cid, "v2"))
    assert factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]["one_click_payments"] == 0
    ok(shop.execute_one_click_payment(auth_id, 1_000_000, []))  # its reservation carries the queued one
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 1 and network["one_click_volume_usd_cents"] == 20
    assert factory.admin.validate_cross_merchant_limits(alice_text, 20)[0] == {"Ok": True}
    assert factory.admin.validate_cross_merchant_limits(alice_text, 21)[0] == {"Ok": False}
    factory.advance(61)  # the second one goes with the maintenance tick
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 2 and network["one_click_volume_usd_cents"] == 30


def test_a_settlement_batch_whose_reply_was_lost_is_sent_again_and_counted_once(server, deploy, actor, new_identity):
    """The callback of the tick's settlement batch traps after the factory applied it: the
    merchant never learnt the answer, so the confirmation stays queued and goes again. The
    factory finds the reservation already ended: the charge is spend once."""
    factory, alice_text, _, [(cid, shop, auth_id, _)] = priced_network(server, deploy, actor, new_identity)
    ok(shop.execute_one_click_payment(auth_id, 2_000_000, []))  # 20 cents, confirmation queued
    assert ok(shop.get_factory_sync_status())["one_click_settlements_queued"] == 1
    with server.lock:
        server.network.faults.trap_after_call(Principal.from_str(cid), "settle_one_click_reservations")
    factory.advance(61)  # the tick's batch: applied at the factory, its answer lost
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 1
    assert ok(shop.get_factory_sync_status())["one_click_settlements_queued"] == 1  # still queued
    factory.advance(181)  # sent again once its lease ran out; the factory answers: already ended
    assert ok(shop.get_factory_sync_status())["one_click_settlements_queued"] == 0
    network = factory.admin.get_global_payment_metrics()[0]["global_spending_insights"]
    assert network["one_click_payments"] == 1 and network["one_click_volume_usd_cents"] == 20
    assert factory.admin.validate_cross_merchant_limits(alice_text, 30)[0] == {"Ok": True}
    assert factory.admin.validate_cross_merchant_limits(alice_text, 31)[0] == {"Ok": False}
