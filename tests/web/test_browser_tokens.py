"""The hosted checkout page in a real browser (Playwright + Debian's Chromium), for what
test_browser.py does not cover: a session priced in two tokens (the merchant accepts LTT and
LT2; the factory prices LTT at $10 and LT2 at $3), where the customer picks LT2 on the page
and pays it by ICRC-1 and by ICRC-2; and a session the merchant expired, which gets the
expired page. Screenshots go to web/screenshots/ (21-26)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from ledger_client import LEDGER_DID, LEDGER_ENTRY  # noqa: E402
from test_browser import SCREENSHOTS, base_config  # noqa: E402
from webshop import (  # noqa: E402
    CRYPTO,
    FIAT,
    FUNDS,
    PRICE,
    SEEDS,
    XRC_DID,
    XRC_ENTRY,
    _deploy,
    asset,
    default_settings,
    ledger_init_arg,
    ok,
    run_flow,
)

SECOND = "LT2"
LT2_PRICE = 833_334  # 0.25 LTT at $10 = $2.50 = 0.8333.. LT2 at $3, rounded up (6 decimals)


@pytest.fixture(scope="module")
def shop(shop):
    """The shop of conftest.py with a second token."""
    add_second_token(shop)
    return shop


def add_second_token(shop) -> None:
    """A second ledger (LT2, 6 decimals) the merchant accepts, priced by the factory from a
    local exchange rate canister that quotes ICP (LTT) at $10 and ETH (LT2) at $3."""
    holders = [(shop.principal(who), FUNDS) for who in ("alice", "bob")]
    arg = (
        ledger_init_arg(holders)
        .replace('symbol = "LTT"', f'symbol = "{SECOND}"')
        .replace("decimals = opt (8 : nat8)", "decimals = opt (6 : nat8)")
    )
    shop.ledger2_id = _deploy(shop.server, LEDGER_ENTRY, arg)
    admin = shop.factory("admin")
    xrc_id = _deploy(shop.server, XRC_ENTRY, f'(opt vec {{ principal "{shop.principal("admin")}" }})')
    with shop.server.lock:
        now_s = shop.server.network.time_ns // 10**9
    ok(
        shop.actor(xrc_id, "admin", XRC_DID).set_rates(
            [
                {
                    "base_asset": asset(base, CRYPTO),
                    "quote_asset": asset("USD", FIAT),
                    "rate": usd * 10**9,
                    "timestamp": now_s - now_s % 60,
                }
                for base, usd in (("ICP", 10), ("ETH", 3))
            ]
        )
    )
    ok(admin.update_factory_settings(default_settings(xrc_canister=[xrc_id])))
    ok(admin.add_market_token(SECOND, shop.ledger2_id, "ETH"))
    ok(admin.update_global_token_rates())
    token = ok(shop.merchant("owner").add_token(shop.ledger2_id))
    assert token["symbol"] == SECOND and token["decimals"] == 6


def lt2_balance(shop, owner: str) -> int:
    res = shop.actor(shop.ledger2_id, "owner", LEDGER_DID).icrc1_balance_of({"owner": owner, "subaccount": []})
    return res[0] if isinstance(res, list) else res


def hosted_url(shop, sid: str) -> str:
    return shop.asset_url(shop.checkout_id, f"/?session={sid}&factory={shop.factory_id}")


def test_hosted_page_pays_in_the_chosen_token(shop, chromium):
    first = shop.create_session()
    second = shop.create_session()
    prices = {o["token"]: o["amount"] for o in first["price_options"][0]}
    assert prices == {"LTT": PRICE, SECOND: LT2_PRICE}
    alice = shop.principal("alice")
    before = lt2_balance(shop, alice)
    out = run_flow(
        "tokens",
        dict(
            base_config(shop, chromium),
            hostedUrl=hosted_url(shop, first["session_id"]),
            icrc2Url=hosted_url(shop, second["session_id"]),
            token=SECOND,
            tokenDecimals=6,
            tokenLedgerId=shop.ledger2_id,
            payerSeed=SEEDS["alice"],
        ),
        timeout=300,
    )
    assert out["options"] == ["LTT · 0.25", f"{SECOND} · 0.833334"]
    assert out["firstAmount"] == "0.25 LTT" and out["firstFiat"] == "≈ $2.50"
    # choosing LT2 changes the amount, its fiat value and the fee; not the deposit account
    assert out["amountText"] == f"0.833334 {SECOND}" and out["fiatText"] == "≈ $2.50"
    assert out["feeText"] == f"The ledger fee (0.01 {SECOND}) is paid by the sender on top."
    assert out["account"] == out["accountAfter"] == first["payment_account"]
    # ICRC-1 on the LT2 ledger to the page's account: the canister found it on that ledger
    assert out["paidAmount"] == f"0.833334 {SECOND}"
    assert out["redirectedTo"] == f"{shop.site_url}/thanks?session={first['session_id']}"
    paid = shop.session(first["session_id"])
    assert "complete" in paid["status"] and paid["currency_token"] == SECOND and paid["amount"] == LT2_PRICE
    assert paid["ledger_block"] == [int(out["block"])] and paid["payment_method"] == ["icrc1"]
    # ICRC-2 in LT2: approve on the LT2 ledger, then pay_checkout_session_with_token
    assert out["icrc2Amount"] == f"0.833334 {SECOND}" and out["icrc2PaidAmount"] == f"0.833334 {SECOND}"
    paid2 = shop.session(second["session_id"])
    assert "complete" in paid2["status"] and paid2["payment_method"] == ["icrc2"]
    assert paid2["currency_token"] == SECOND and paid2["payer"][0].to_str() == alice
    # two payments of the LT2 price; the ICRC-1 transfer, the approval and transfer_from each cost a fee
    assert lt2_balance(shop, alice) == before - 2 * LT2_PRICE - 3 * 10_000
    assert out["pageErrors"] == []


def test_hosted_page_shows_an_expired_session(shop, chromium):
    session = shop.create_session()
    sid = session["session_id"]
    expired = ok(shop.merchant("api").expire_checkout_session(sid))
    assert "expired" in expired["status"]
    out = run_flow("expired", dict(base_config(shop, chromium), hostedUrl=hosted_url(shop, sid)))
    assert out["title"] == "This checkout session has expired"
    assert out["state"] == "expired"
    assert out["backHref"] == f"{shop.site_url}/cart"  # the session's cancel URL
    assert out["hasAccount"] == 0 and out["hasPayButton"] == 0  # nothing left to pay
    assert out["walletVisible"] is False  # the ICRC-2 sign-in bar only helps to pay
    assert os.path.exists(os.path.join(SCREENSHOTS, "26-hosted-expired.png"))
    assert out["pageErrors"] == []
