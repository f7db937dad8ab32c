"""The merchant dashboard in a real browser (Playwright + Debian's Chromium) on localnet,
against a merchant with real payments (ICRC-2 and ICRC-1), a webhook endpoint receiving
signed deliveries on 127.0.0.1, and the owner's dfx-style identity.pem: every page is
visited and screenshotted; the overview's figures equal the canister's; a refund made from
the dashboard is in the ledger's ICRC-3 log; a test session is created and its hosted page
link copied; a payout, a test webhook event and a secret rotation are made; a co-owner
signs in with a secp256k1 PEM on a 375 px wide phone and no page is wider than the screen
(screenshots 40-54)."""

from __future__ import annotations

import base64
import os
import sys
import time

from ic.identity import Identity

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ledger"))

from icrc3_verify import map_get  # noqa: E402
from test_browser import SCREENSHOTS, base_config  # noqa: E402
from webshop import PRICE, SEEDS, ed25519_pem, ok, run_flow  # noqa: E402

FEE = 10_000
DAY_NS = 86_400 * 10**9


def pay_by_icrc2(shop, who: str) -> dict:
    session = shop.create_session()
    ok(
        shop.ledger(who).icrc2_approve(
            {
                "spender": {"owner": shop.merchant_id, "subaccount": []},
                "amount": PRICE + FEE,
                "fee": [],
                "memo": [],
                "from_subaccount": [],
                "created_at_time": [],
                "expected_allowance": [],
                "expires_at": [],
            }
        )
    )
    return ok(shop.merchant(who).pay_checkout_session(session["session_id"]))


def pay_by_icrc1(shop, who: str) -> dict:
    session = shop.create_session(2 * PRICE)
    ok(
        shop.ledger(who).icrc1_transfer(
            {
                "to": {"owner": shop.merchant_id, "subaccount": [list(bytes(session["payment_subaccount"]))]},
                "amount": 2 * PRICE,
                "fee": [],
                "memo": [],
                "from_subaccount": [],
                "created_at_time": [],
            }
        )
    )
    ok(shop.merchant(who).complete_checkout_session(session["session_id"], ""))
    return shop.session(session["session_id"])


def test_dashboard_pages_against_a_real_merchant(shop, chromium):
    from ckpayment.receiver import WebhookReceiver

    owner = shop.merchant("owner")
    co_owner = Identity(type="secp256k1")
    co_pem = co_owner.sk.to_pem().decode()  # "EC PRIVATE KEY", as dfx writes secp256k1 keys
    assert "BEGIN EC PRIVATE KEY" in co_pem
    ok(owner.add_owner(co_owner.sender().to_str()))
    with WebhookReceiver() as receiver:
        webhook = ok(
            owner.configure_webhook(
                {
                    "webhook_id": "",
                    "url": receiver.url,
                    "events": ["*"],
                    "secret": "",
                    "active": True,
                    "delivery_stats": {
                        "failed_attempts": 0,
                        "failed_deliveries": 0,
                        "total_deliveries": 0,
                        "successful_deliveries": 0,
                        "last_success_at": [],
                        "last_attempt_at": [],
                        "pending_deliveries": 0,
                        "last_status_code": [],
                        "total_attempts": 0,
                    },
                    "previous_secret": [],
                    "previous_secret_expires_at": [],
                    "created_at": 0,
                    "updated_at": 0,
                }
            )
        )
        receiver.secrets.append(ok(owner.get_webhook(webhook))["secret"])
        icrc2 = pay_by_icrc2(shop, "alice")
        pay_by_icrc1(shop, "bob")
        assert receiver.wait_for("checkout.session.completed", 30) is not None
        deadline = time.time() + 30
        while time.time() < deadline and len(ok(owner.list_webhook_attempts(webhook, [50]))) < 2:
            time.sleep(0.5)
        attempts_before = len(ok(owner.list_webhook_attempts(webhook, [50])))
        # bob pre-authorizes one-click payments (approval first), for the dashboard to revoke
        ok(
            shop.ledger("bob").icrc2_approve(
                {
                    "spender": {"owner": shop.merchant_id, "subaccount": []},
                    "amount": PRICE + FEE,
                    "fee": [],
                    "memo": [],
                    "from_subaccount": [],
                    "created_at_time": [],
                    "expected_allowance": [],
                    "expires_at": [],
                }
            )
        )
        auth_id = ok(shop.merchant("bob").create_pre_authorization(shop.principal("bob"), PRICE, "LTT", 3600))
        alice_before = shop.balance(shop.principal("alice"))
        owner_before = shop.balance(shop.principal("owner"))
        before_resend = len(receiver.deliveries)
        out = run_flow(
            "dashboard",
            dict(
                base_config(shop, chromium),
                ownerPem=ed25519_pem(SEEDS["owner"]),
                coOwnerPem=co_pem,
                refundAmount="0.05",
                refundReason="damaged beans",
                payoutAmount="0.01",
                dashboardUrl=shop.asset_url(
                    shop.dashboard_id, f"/?merchant={shop.merchant_id}&factory={shop.factory_id}"
                ),
            ),
            timeout=400,
        )
        # the event resent from the dashboard arrives again, signed
        deadline = time.time() + 30
        while time.time() < deadline and not [
            d for d in receiver.deliveries[before_resend:] if d["event"] and d["event"]["id"] == out["resentEvent"]
        ]:
            time.sleep(0.5)
        resent = [d for d in receiver.deliveries if d["event"] and d["event"]["id"] == out["resentEvent"]]

    assert out["signedInAs"] == shop.principal("owner")
    assert out["merchantName"] == "Satoshi's Coffee"
    # the overview's figures are the canister's (last 30 days)
    end = (time.time_ns() // DAY_NS + 1) * DAY_NS
    analytics = ok(owner.get_payment_analytics({"start": end - 30 * DAY_NS, "end": end}))
    assert out["overview"]["payments"] == str(analytics["transaction_count"]) == "2"
    assert out["overview"]["volume"] == "0.75 LTT"  # 0.25 by ICRC-2, 0.5 by ICRC-1
    assert out["overview"]["volume_usd"] == "$7.50"  # at the factory's $10 per LTT
    funnel = analytics["conversion_funnel"]
    assert out["overview"]["sessions_completed"] == str(funnel["sessions_completed"])
    # when the page opened: 2 sessions, both paid (the test session made later is the 3rd)
    assert out["overview"]["conversion"] == "100.0 %" and funnel["sessions_created"] == 3
    assert out["charts"] == 2 and out["buckets"] == 30

    # payments: both listed, the filter keeps the ICRC-2 one; its detail shows its ledger block
    assert out["paymentRows"] == 2 and out["icrc2Rows"] == 1
    payment = ok(owner.get_payment(out["paymentId"]))
    assert payment["method"] == "icrc2" and out["paymentBlock"] == str(icrc2["ledger_block"][0])
    # the refund made from the dashboard: recorded, paid to alice, and in the ledger's log
    refunds = [r for r in ok(owner.list_refunds([], [10]))["refunds"] if r["payment_id"] == [out["paymentId"]]]
    assert len(refunds) == 1 and refunds[0]["amount"] == 5_000_000 and refunds[0]["reason"] == ["damaged beans"]
    block = refunds[0]["ledger_block"]
    assert out["refundFlash"] == f"Refunded 0.05 LTT in ledger block {block}."
    assert out["refundBlocks"] == [str(block)] and out["refundedText"] == "0.05 LTT"
    assert shop.balance(shop.principal("alice")) == alice_before + 5_000_000
    logged = shop.ledger("owner").icrc3_get_blocks([{"start": block, "length": 1}])[0]["blocks"][0]["block"]
    tx = map_get(logged, "tx")
    assert map_get(tx, "amt")["Nat"] == 5_000_000
    assert bytes(map_get(tx, "to")["Array"][0]["Blob"]) == shop.identities["alice"].sender().bytes

    # a test session made in the dashboard; its link is the session's hosted page url
    assert out["newSessionUrl"].startswith(shop.asset_url(shop.checkout_id, "/pay/cs_"))
    assert out["copiedUrl"] == out["newSessionUrl"]
    sid = out["newSessionUrl"].rsplit("/", 1)[1]
    assert shop.session(sid)["amount"] == 10_000_000
    # a payout of 0.01 LTT to the owner
    assert out["payoutFlash"].startswith("Paid out 0.01 LTT in ledger block ")
    assert shop.balance(shop.principal("owner")) == owner_before + 1_000_000
    # webhooks: the endpoint, its attempts, a test event and a rotated secret
    # (deliveries of the refund's and payout's events keep arriving meanwhile)
    assert out["webhookRows"] == 1 and out["attemptRows"] >= attempts_before >= 2
    assert out["testFlash"].startswith("Test event ") and out["attemptRowsAfter"] >= out["attemptRows"]
    assert len(ok(owner.list_webhook_attempts(webhook, [50]))) >= out["attemptRowsAfter"]
    assert out["resendFlash"].startswith(f"Resent {out['resentEvent']} (delivery dlv_")
    assert len(resent) >= 2 and all(d["verified"] for d in resent)
    assert out["secretAfter"] != out["secretBefore"] == receiver.secrets[0]
    assert out["secretAfter"] == ok(owner.get_webhook(webhook))["secret"]
    # one-click: bob's pre-authorization, revoked from the dashboard
    assert out["revokable"] == [auth_id] and out["revokeFlash"] == f"Revoked {auth_id}."
    assert out["revokableAfter"] == 0 and ok(owner.get_pre_authorization(auth_id))["status"] == "revoked"
    # team: both owners and the shop's server key
    assert sorted(out["owners"]) == sorted([shop.principal("owner"), co_owner.sender().to_str()])
    assert out["servers"] == [shop.principal("api")]
    # the co-owner on a phone (secp256k1 PEM); no page is wider than its 375 px
    assert out["coOwner"] == co_owner.sender().to_str()
    assert all(w <= 375 for w in out["mobileWidths"].values()), out["mobileWidths"]
    assert out["menuVisible"] is True
    assert out["pageErrors"] == [] and "mobileErrors" not in out
    for n in (40, 41, 43, 46, 51, 54):
        assert any(f.startswith(f"{n}-") for f in os.listdir(SCREENSHOTS)), n


def dev_link(url: str, pem: str) -> str:
    """run.sh's dashboard link: the PEM rides in the URL fragment (never sent to a server)."""
    return url + "#dev-identity=" + base64.urlsafe_b64encode(pem.encode()).decode()


def test_dashboard_dev_link_signs_in_on_localnet(shop, chromium):
    from ckpayment.identity import identity_from_pem, new_identity_pem

    url = shop.asset_url(shop.dashboard_id, f"/?merchant={shop.merchant_id}")
    stranger = new_identity_pem("secp256k1").decode()
    out = run_flow(
        "devlink",
        dict(
            base_config(shop, chromium),
            linkUrl=dev_link(url, ed25519_pem(SEEDS["owner"])),
            strangerUrl=dev_link(url, stranger),
        ),
    )
    assert out["signedInAs"] == shop.principal("owner")
    # the key left the address bar (and the entry it was in): only the route is there
    assert "dev-identity" not in out["href"] and out["href"].startswith(url)
    assert "dev-identity" not in out["strangerHref"]
    who = identity_from_pem(stranger.encode()).sender().to_str()
    assert out["strangerError"].startswith("unauthorized: ") and who in out["strangerError"]
    assert out["pageErrors"] == []
