"""The SDK end to end on localnet over HTTP: the factory's chunked module store, a merchant
deployed through it, checkout sessions paid by ICRC-2 and ICRC-1, refunds, payouts, signed
webhooks verified by `verify_webhook`, events, one-click charges, analytics, and the
errors a caller sees (canister `Err` codes, rejects, transport and certificate failures)."""

from __future__ import annotations

import hashlib
import time

import pytest
from sdk_env import FEE, SYMBOL

from ckpayment import (
    CallRejectedError,
    CkPaymentError,
    FactoryClient,
    IcAgent,
    LedgerClient,
    MerchantClient,
    TransportError,
    load_identity,
)
from ckpayment.receiver import WebhookReceiver

URLS = {"success_url": "https://shop.example.com/ok", "cancel_url": "https://shop.example.com/no"}


def clients(env, role):
    agent = env.agents[role]
    return MerchantClient(agent, env.merchant_id), LedgerClient(agent, env.ledger_id)


def status(session) -> str:
    (name,) = session["status"]
    return name


def test_chunked_upload_and_deploy_through_the_factory(env):
    total = len(env.module)
    assert env.progress and env.progress[-1] == (total, total)
    assert [p[0] for p in env.progress] == sorted(p[0] for p in env.progress)
    admin = FactoryClient(env.agents["admin"], env.factory_id)
    info = admin.get_version(env.version)
    assert bytes(info["sha256"]) == hashlib.sha256(env.module).digest()
    assert info["size"] == total and "ready" in info["state"]
    assert admin.default_version() == "v1"  # the first version stored (run.sh, deploy-dfx.sh)
    record = admin.get_merchant(env.merchant_id)
    assert "active" in record["status"] and record["owner"].to_str() == env.principal("owner")
    mine = list(FactoryClient(env.agents["owner"], env.factory_id).iter_merchants_by_owner(env.principal("owner")))
    assert [r["canister_id"].to_str() for r in mine] == [env.merchant_id]
    with pytest.raises(CkPaymentError) as exc:
        admin.upload_module(env.version, env.module)
    assert exc.value.code == "already_exists"
    stranger = FactoryClient(env.agents["stranger"], env.factory_id)
    with pytest.raises(CkPaymentError) as exc:
        stranger.upload_module("v9", env.module)
    assert exc.value.code == "unauthorized"
    with pytest.raises(ValueError, match="empty"):
        admin.upload_module("v2", b"")
    # a failing chunk aborts the upload: the version can be begun again afterwards
    with pytest.raises(CkPaymentError) as exc:
        admin.upload_module("junk", b"not wasm")
    assert exc.value.code == "invalid_module"
    with pytest.raises(CkPaymentError) as exc:
        admin.get_version("junk")
    assert exc.value.code == "not_found"


def test_icrc2_checkout_refund_and_signed_webhooks(env):
    shop, _ = clients(env, "owner")
    customer_shop, customer_ledger = clients(env, "customer")
    assert shop.refresh_token(SYMBOL)["verified"]
    with WebhookReceiver() as receiver:
        webhook_id = shop.configure_webhook(receiver.url, ["*"])
        receiver.secrets.append(shop.get_webhook(webhook_id)["secret"])
        session = shop.create_session(
            5_000_000, SYMBOL, metadata={"order": "42"}, client_reference_id="order-42", **URLS
        )
        assert session["session_id"].startswith("cs_") and status(session) == "open"
        assert session["metadata"] == [{"key": "order", "value": "42"}]
        # the hosted page's URL, under the merchant's hosted page origin (default until set)
        assert session["url"] == "https://checkout.ckpayment.io/pay/" + session["session_id"]
        customer_ledger.approve(env.merchant_id, 5_000_000 + FEE)
        paid = customer_shop.pay_session(session["session_id"])
        assert status(paid) == "complete" and paid["payer"].to_str() == env.principal("customer")

        delivery = receiver.wait_for("checkout.session.completed", 30)
        assert delivery is not None, receiver.deliveries
        assert delivery["event"]["data"]["object_id"] == session["session_id"]
        assert delivery["headers"]["idempotency-key"] == delivery["event"]["id"]

        payment = next(p for p in shop.iter_payments(5) if p["session_id"] == session["session_id"])
        assert payment["amount"] == 5_000_000 and payment["method"] == "icrc2"
        refund = shop.refund_payment(payment["payment_id"], 1_000_000, "partial")
        assert refund["amount"] == 1_000_000 and refund["to"]["owner"].to_str() == env.principal("customer")
        assert refund["refund_id"] in [r["refund_id"] for r in shop.list_refunds()["refunds"]]
        assert shop.get_payment(payment["payment_id"])["refunded"] == 1_000_000
        assert receiver.wait_for("payment.refunded", 30) is not None

        result = shop.test_webhook(webhook_id)
        assert result["success"] and result["status_code"] == 200
        assert receiver.wait_for("webhook.test", 5)["event"]["id"] == result["event_id"]
        # a receiver that does not know the secret refuses the canister's signature
        receiver.secrets[:] = ["whsec_" + "0" * 64]
        refused = shop.test_webhook(webhook_id)
        assert not refused["success"] and refused["status_code"] == 401
        assert not receiver.deliveries[-1]["verified"]
        assert "no v1 signature matches" in receiver.deliveries[-1]["error"]
    stats = shop.webhook_stats(webhook_id)
    assert stats["successful_deliveries"] >= 2
    shop.delete_webhook(webhook_id)  # a merchant keeps at most 10 (shared remote replicas)
    with pytest.raises(CkPaymentError) as exc:
        shop.get_webhook(webhook_id)
    assert exc.value.code == "not_found"

    events = shop.list_events(None, 20)["events"]
    types = [e["event_type"] for e in events]
    assert "checkout.session.completed" in types and "payment.refunded" in types
    assert shop.get_event(events[0]["event_id"])["seq"] == events[0]["seq"]
    tailed = [e["seq"] for e in shop.tail_events(interval=0.05, since_seq=0, stop=lambda: True)]
    assert tailed == sorted(tailed) and {e["seq"] for e in events} <= set(tailed)
    completed = list(shop.tail_events("checkout.session.completed", 0.05, 0, lambda: True))
    assert completed and all(e["event_type"] == "checkout.session.completed" for e in completed)


def test_icrc1_payment_payout_and_analytics(env):
    shop, owner_ledger = clients(env, "owner")
    customer_shop, customer_ledger = clients(env, "customer")
    shop.refresh_token(SYMBOL)
    shop.set_hosted_page_base_url("http://checkout.localhost:4943")
    assert shop.public_profile()["hosted_page_base_url"] == "http://checkout.localhost:4943"
    session = shop.create_session(3_000_000, SYMBOL, **URLS)
    assert session["url"] == "http://checkout.localhost:4943/pay/" + session["session_id"]
    with pytest.raises(CkPaymentError, match="^invalid_argument"):
        shop.set_hosted_page_base_url("https://checkout.example.com/path")
    with pytest.raises(CkPaymentError, match="^unauthorized"):
        customer_shop.set_hosted_page_base_url("https://evil.example.com")
    block = customer_ledger.transfer(env.merchant_id, 3_000_000, to_subaccount=bytes(session["payment_subaccount"]))
    customer_shop.complete_session(session["session_id"], block)
    done = shop.get_session(session["session_id"])
    assert status(done) == "complete" and done["amount_received"] == 3_000_000
    assert session["session_id"] in [s["session_id"] for s in shop.iter_sessions(2)]
    assert (
        FactoryClient(env.agents["stranger"], env.factory_id).resolve_session(session["session_id"]).to_str()
        == env.merchant_id
    )

    before = owner_ledger.balance(env.principal("owner"))
    payout = shop.create_payout(SYMBOL, 100_000, None, "sdk test")
    assert payout["amount"] == 100_000
    assert owner_ledger.balance(env.principal("owner")) == before + 100_000
    assert payout["payout_id"] in [p["payout_id"] for p in shop.list_payouts()["payouts"]]

    metrics = shop.metrics()
    assert metrics["completed_sessions"] >= 1 and metrics["payments"] >= 1
    analytics = shop.payment_analytics()
    assert analytics["transaction_count"] >= 1
    assert shop.conversion_metrics()["sessions_completed"] >= 1
    breakdown = shop.revenue_breakdown("Day", time.time_ns() - 86400 * 10**9)
    assert breakdown["total_transactions"] >= 1
    assert shop.session_analytics()["completed_sessions"] >= 1
    with pytest.raises(ValueError, match="Day, Week or Month"):
        shop.revenue_breakdown("Year")


def test_one_click_charge(env):
    shop, _ = clients(env, "owner")
    customer_shop, customer_ledger = clients(env, "customer")
    customer = env.principal("customer")
    customer_ledger.approve(env.merchant_id, 5_000_000, expires_at_ns=time.time_ns() + 7200 * 10**9)
    auth_id = customer_shop.create_pre_authorization(customer, 2_000_000, SYMBOL, 3600, uses=2)
    assert shop.get_pre_authorization(auth_id)["uses_remaining"] == 2
    payment_id = shop.charge_one_click(auth_id, 1_500_000, {"order": "oc-1"})
    assert shop.get_payment(payment_id)["method"] == "one_click"
    assert shop.get_payment_metadata(payment_id) == {"order": "oc-1"}
    with pytest.raises(CkPaymentError) as exc:
        shop.charge_one_click(auth_id, 2_000_001)  # over the pre-authorized maximum
    assert exc.value.code == "limit_exceeded"
    shop.charge_one_click(auth_id, 100_000)
    with pytest.raises(CkPaymentError) as exc:
        shop.charge_one_click(auth_id, 1)  # no uses left
    assert exc.value.code == "limit_exceeded"
    assert shop.one_click_analytics()["successful_charges"] >= 2
    second = customer_shop.create_pre_authorization(customer, 1_000_000, SYMBOL, 3600)
    customer_shop.revoke_pre_authorization(second)
    with pytest.raises(CkPaymentError):
        shop.charge_one_click(second, 1)


def test_errors_callers_see(env):
    stranger_shop, _ = clients(env, "stranger")
    shop, _ = clients(env, "owner")
    with pytest.raises(CkPaymentError) as exc:
        stranger_shop.list_payments()
    assert exc.value.code == "unauthorized" and exc.value.method == "list_payments"
    with pytest.raises(CkPaymentError) as exc:
        shop.get_session("cs_nope")
    assert exc.value.code == "not_found" and str(exc.value).startswith("not_found: ")
    with pytest.raises(TypeError, match="invalid argument"):
        shop.call("get_checkout_session", 42)
    with pytest.raises(TypeError, match="takes 1 argument"):
        shop.call("get_checkout_session")
    with pytest.raises(AttributeError, match="no method 'nope'"):
        shop.call("nope")
    with pytest.raises(CallRejectedError) as rej:
        MerchantClient(env.agents["owner"], "aaaaa-aa").get_session("cs_x")
    assert rej.value.reject_code in (3, 4, 5)
    with pytest.raises(TransportError, match="invalid canister id"):
        MerchantClient(env.agents["owner"], "not-a-principal")
    with pytest.raises(TransportError, match="invalid network URL"):
        IcAgent("localhost:4943")
    with pytest.raises(TransportError, match="cannot reach"):
        MerchantClient(IcAgent("http://127.0.0.1:9"), env.merchant_id).get_session("cs_x")


def test_certificates_are_verified(env):
    from localnet.http.keys import ReplicaKeys

    agent = IcAgent(env.url, load_identity(env.pems["owner"]))
    agent.root_key = ReplicaKeys(bytes(32)).root_der  # not this replica's key
    with pytest.raises(TransportError, match="certificate signature does not verify"):
        MerchantClient(agent, env.merchant_id).refresh_token(SYMBOL)
    agent.close()
