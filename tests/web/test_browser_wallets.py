"""Paying with a real IC signer wallet in a real browser, without any network: the hosted
checkout page and the ckpay.js modal connect the local test wallet (web/test-wallet, built
with the wallet side of @dfinity/oisy-wallet-signer and served from 127.0.0.1 like a wallet's
own origin) as they would OISY; the customer approves the ICRC-25 permissions, shares the
account (ICRC-27), and confirms the ICRC-21 consent messages of `icrc2_approve` (ledger) and
`pay_checkout_session` (the merchant canister's own message); the wallet signs and sends the
calls (ICRC-49) and the page verifies their certified replies. And Internet Identity's
protocol as @icp-sdk/auth speaks it (ICRC-29 + ICRC-34 delegation), against a local identity
provider page that signs a real delegation chain: the hosted page, the dashboard and the
builder sign in through it. The WalletConnect element connects the signer. Screenshots
60-82, 90-99."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading

import pytest
from ic.identity import Identity

sys.path.insert(0, os.path.dirname(__file__))

from webshop import PRICE, WEB, ok, run_flow, shop_page  # noqa: E402

SCREENSHOTS = os.path.join(WEB, "screenshots")
FEE = 10_000


@pytest.fixture(scope="module")
def wallet_site(shop):
    """The test wallet, built and served from its own origin (127.0.0.1:<port>)."""
    proc = subprocess.run(["npm", "run", "test-wallet"], cwd=WEB, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    handler = functools.partial(_QuietHandler, directory=os.path.join(WEB, "dist", "test-wallet"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def funded_wallet(shop, name: str, seed: str) -> str:
    """A customer's wallet key, funded with 1 LTT from alice on the local ledger."""
    shop.identities[name] = Identity(privkey=seed, type="ed25519")
    who = shop.principal(name)
    res = shop.ledger("alice").icrc1_transfer(
        {
            "to": {"owner": who, "subaccount": []},
            "amount": 10**8,
            "fee": [],
            "memo": [],
            "from_subaccount": [],
            "created_at_time": [],
        }
    )
    assert "Ok" in (res[0] if isinstance(res, list) else res)
    return who


def wallet_url(shop, site: str, seed: str) -> str:
    return f"{site}/index.html?seed={seed}&host={shop.server.url}"


WALLET_NAME = "Test wallet"  # the button names the signer (OISY unless configured)


def check_paid(shop, out: dict, sid: str, who: str, before: int, kind: str, label: str) -> None:
    """The page signed in as `who` (`kind`, named `label` on the pay button) and the session
    was paid from that account by ICRC-2, as the canister and the ledger say."""
    assert out["principal"] == who and out["walletKind"] == kind
    assert out["payButton"].startswith("Approve and pay from " + who[:11]) and out["payButton"].endswith(f"({label})")
    assert out["paidTitle"] == "Payment received"
    assert out["redirectedTo"] == f"{shop.site_url}/thanks?session={sid}"
    paid = shop.session(sid)
    assert "complete" in paid["status"] and paid["payment_method"] == ["icrc2"]
    assert paid["payer"][0].to_str() == who
    # the payer paid the price, the approval's fee and transfer_from's fee on the ledger
    assert shop.balance(who) == before - PRICE - 2 * FEE
    payments = ok(shop.merchant("owner").list_payments([], [50]))["payments"]
    mine = [p for p in payments if p["session_id"] == sid]
    assert len(mine) == 1 and mine[0]["amount"] == PRICE and mine[0]["method"] == "icrc2"
    assert mine[0]["payer"][0]["owner"].to_str() == who
    assert out["pageErrors"] == []


def check_signer_paid(shop, out: dict, sid: str, who: str, before: int) -> None:
    """What the customer saw in the wallet: its account, the permissions and both consent
    messages."""
    assert out["walletAccount"] == who
    assert out["signerButton"] == f"{WALLET_NAME} wallet (ICRC signer)" and out["iiButton"] == "Internet Identity"
    assert "icrc27_accounts" in out["permissions"] and "icrc49_call_canister" in out["permissions"]
    # the ledger approval: the local ledger has no ICRC-21, the library words it from metadata
    assert out["approveConsent"]["source"] == "library"
    # the merchant canister's own ICRC-21 message for pay_checkout_session
    assert out["payConsent"]["source"] == "canister"
    assert "Satoshi's Coffee" in out["payConsent"]["text"] and "0.25 LTT" in out["payConsent"]["text"]
    assert sid in out["payConsent"]["text"]
    check_paid(shop, out, sid, who, before, "signer", WALLET_NAME)


def test_hosted_page_paid_from_a_signer_wallet(shop, chromium, wallet_site):
    seed = "0a" * 32
    who = funded_wallet(shop, "carol", seed)
    before = shop.balance(who)
    session = shop.create_session()
    sid = session["session_id"]
    url = session["url"][0] + f"?factory={shop.factory_id}&signer=" + _quote(wallet_url(shop, wallet_site, seed))
    url += "&signer_name=" + _quote(WALLET_NAME)
    out = run_flow(
        "hosted", {"chromium": chromium, "screenshots": SCREENSHOTS, "hostedUrl": url}, script_name="wallet_flows.mjs"
    )
    assert out["walletOrigin"] == wallet_site
    check_signer_paid(shop, out, sid, who, before)


@pytest.mark.parametrize(
    "tamper, error",
    [
        # the relying-party library compares the content map with the request first
        ("arg", "The response does not contain the request arguments."),
        ("certificate", "The wallet's answer carries no valid certificate of the Internet Computer"),
    ],
)
def test_hosted_page_refuses_a_wallet_answer_it_cannot_verify(shop, chromium, wallet_site, tamper, error):
    """ICRC-49's response verification: a wallet that answers with another call's content or
    an uncertified reply gets no payment recorded from the page's side."""
    seed = {"arg": "0d", "certificate": "0e"}[tamper] * 32
    funded_wallet(shop, "mallory-" + tamper, seed)
    session = shop.create_session()
    url = (
        session["url"][0]
        + f"?factory={shop.factory_id}&signer="
        + _quote(wallet_url(shop, wallet_site, seed) + "&tamper=" + tamper)
    )
    out = run_flow(
        "tampered",
        {"chromium": chromium, "screenshots": SCREENSHOTS, "hostedUrl": url, "tamper": tamper},
        script_name="wallet_flows.mjs",
    )
    assert any(line.startswith("tampered:") for line in out["walletLog"])
    assert error in out["error"], out["error"]
    assert out["status"] == "Payment not completed"
    # the page stopped at the approval: the merchant was never asked to take the payment
    assert "open" in shop.session(session["session_id"])["status"]
    assert out["pageErrors"] == []


def test_modal_paid_from_a_signer_wallet(shop, chromium, wallet_site):
    seed = "0b" * 32
    who = funded_wallet(shop, "dave", seed)
    before = shop.balance(who)
    merchant = shop.merchant("owner")
    modal_id = ok(merchant.create_modal_config(shop.modal_config("Wallet modal", "Pay with a wallet", "#4f46e5")))
    snippet = ok(merchant.generate_modal_embed_code(modal_id))
    # the merchant names the signer on the mount element (mainnet: OISY, the default)
    attr = (
        f'data-signer-url="{wallet_url(shop, wallet_site, seed).replace("&", "&amp;")}" '
        f'data-signer-name="{WALLET_NAME}" '
    )
    shop.pages["/wallet-shop.html"] = shop_page(snippet.replace("<div ", "<div " + attr, 1))
    out = run_flow(
        "modal",
        {"chromium": chromium, "screenshots": SCREENSHOTS, "shopUrl": f"{shop.site_url}/wallet-shop.html"},
        script_name="wallet_flows.mjs",
    )
    sid = out["redirectedTo"].split("session=")[1]
    check_signer_paid(shop, out, sid, who, before)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_hosted_page_paid_after_signing_in_with_internet_identity(shop, chromium, wallet_site):
    seed = "0c" * 32
    who = funded_wallet(shop, "erin", seed)  # the provider's key: the delegation's principal
    before = shop.balance(who)
    session = shop.create_session()
    sid = session["session_id"]
    provider = f"{wallet_site}/ii.html?seed={seed}"
    url = session["url"][0] + f"?factory={shop.factory_id}&ii=" + _quote(provider)
    out = run_flow(
        "ii", {"chromium": chromium, "screenshots": SCREENSHOTS, "hostedUrl": url}, script_name="wallet_flows.mjs"
    )
    assert out["providerOrigin"] == wallet_site and out["providerPrincipal"] == who
    assert out["signInPrompt"].startswith("Sign in to http://")
    # the page holds a session key delegated by the provider: it signs as the provider's principal
    check_paid(shop, out, sid, who, before, "ii", "Internet Identity")


def test_dashboard_signed_in_with_internet_identity(shop, chromium, wallet_site):
    """A merchant adds an Internet Identity principal as co-owner (ic-py, the real API); the
    dashboard signed in through the identity provider shows the merchant's payments and
    refunds one (on the ledger); the builder signs in the same way; a stranger's Internet
    Identity is refused. Screenshots 97-99."""
    from test_browser_dashboard import pay_by_icrc2

    seed, stranger_seed = "1a" * 32, "1b" * 32
    co_owner = Identity(privkey=seed, type="ed25519").sender().to_str()
    stranger = Identity(privkey=stranger_seed, type="ed25519").sender().to_str()
    owner = shop.merchant("owner")
    ok(owner.add_owner(co_owner))
    sid = pay_by_icrc2(shop, "alice")["session_id"]
    payment = [p for p in ok(owner.list_payments([], [100]))["payments"] if p["session_id"] == sid][0]
    alice_before = shop.balance(shop.principal("alice"))

    def url(provider_seed: str, canister: str = shop.dashboard_id) -> str:
        provider = f"{wallet_site}/ii.html?seed={provider_seed}"
        return shop.asset_url(
            canister, f"/?merchant={shop.merchant_id}&factory={shop.factory_id}&ii={_quote(provider)}"
        )

    out = run_flow(
        "dashboard-ii",
        {
            "chromium": chromium,
            "screenshots": SCREENSHOTS,
            "dashboardUrl": url(seed),
            "builderUrl": url(seed, shop.builder_id),
            "strangerUrl": url(stranger_seed),
            "paymentId": payment["payment_id"],
            "refundAmount": "0.02",
            "refundReason": "signed in with II",
        },
        timeout=300,
    )
    assert out["iiButton"] == "Sign in with Internet Identity"
    assert out["providerPrincipal"] == out["signedInAs"] == out["afterReload"] == co_owner
    assert out["builderProvider"] == out["builderAs"] == co_owner  # the builder's editor opened
    # real data: the overview's count and the payments list are the canister's
    payments = ok(owner.list_payments([], [100]))["payments"]
    assert payment["payment_id"] in out["paymentIds"] and len(out["paymentIds"]) == min(20, len(payments))
    # the owner action: a refund, recorded and paid to alice on the ledger
    refunds = [r for r in ok(owner.list_refunds([], [50]))["refunds"] if r["payment_id"] == [payment["payment_id"]]]
    assert len(refunds) == 1 and refunds[0]["amount"] == 2_000_000 and refunds[0]["reason"] == ["signed in with II"]
    assert out["refundFlash"] == f"Refunded 0.02 LTT in ledger block {refunds[0]['ledger_block']}."
    assert shop.balance(shop.principal("alice")) == alice_before + 2_000_000
    # a stranger: a clear refusal, no dashboard, and signed out again
    assert out["strangerPrincipal"] == stranger
    assert out["strangerError"].startswith(
        f"The Internet Identity {stranger} is not an owner or co-owner of {shop.merchant_id}"
    ), out["strangerError"]
    assert out["strangerSignedIn"] is False and out["strangerErrorAfterReload"] == 0
    assert out["pageErrors"] == []


def test_wallet_connect_element_connects_a_signer_the_page_pays_from(shop, chromium, wallet_site):
    """The WalletConnect element offers the checkout's wallet choice; connecting the signer
    wallet shows its account, and a PaymentButton on the page pays from it. Screenshots 90-96."""
    seed = "1c" * 32
    who = funded_wallet(shop, "frank", seed)
    before = shop.balance(who)
    merchant = shop.merchant("owner")
    branding = {
        "company_name": "Satoshi's Coffee",
        "logo_url": [],
        "accent_color": "#334155",
        "button_text": "Pay 0.25 LTT",
        "support_url": [],
    }

    def element(kind):
        return ok(
            merchant.configure_payment_element(
                {
                    "element_id": "",
                    "component_type": kind,
                    "is_active": True,
                    "theme_overrides": [],
                    "validation_rules": [],
                    "merchant_branding": branding,
                }
            )
        )

    connect, button = element("WalletConnect"), element("PaymentButton")
    attr = (
        f'data-signer-url="{wallet_url(shop, wallet_site, seed).replace("&", "&amp;")}" '
        f'data-signer-name="{WALLET_NAME}" '
    )
    html = ok(merchant.generate_element_embed_code(connect)).replace("<div ", "<div " + attr, 1) + ok(
        merchant.generate_element_embed_code(button)
    )
    shop.pages["/connect-shop.html"] = shop_page(html)
    out = run_flow(
        "walletconnect",
        {"chromium": chromium, "screenshots": SCREENSHOTS, "shopUrl": f"{shop.site_url}/connect-shop.html"},
        script_name="wallet_flows.mjs",
    )
    # connecting showed the wallet's account, and the checkout opened already paying from it
    assert out["connectedPrincipal"] == out["overlayPrincipal"] == who
    sid = out["redirectedTo"].split("session=")[1]
    check_signer_paid(shop, out, sid, who, before)
    metrics = ok(merchant.get_element_metrics(connect))
    assert (metrics["total_renders"], metrics["clicks"], metrics["successful_interactions"]) == (1, 1, 1)
