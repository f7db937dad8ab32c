"""Multi-token checkout sessions on localnet (session_prices.py): a merchant accepting LTT
(8 decimals, $10 by the factory's rates) and LT2 (6 decimals, $3) gets sessions priced in
both, computed once at creation and rounded up for the merchant; the customer pays in LT2 by
ICRC-1 or ICRC-2, underpays in one token, and two completions in two tokens complete the
session once (the other payment is returnable). Without rates a session has its own token
only. Two real ledgers, the local exchange rate canister and a real factory."""

from __future__ import annotations

import os
import sys

from ic.identity import Identity

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "factory"))

from factory_client import Factory, default_settings  # noqa: E402
from ledger_client import XRC_DID, XRC_ENTRY  # noqa: E402
from merchant_client import (  # noqa: E402
    FEE,
    PRICE,
    SYMBOL,
    Shop,
    acct,
    build_shop,
    code,
    err,
    ledger_init_arg,
    modal_config,
    ok,
    one,
    session_args,
    status,
)

SECOND = "LT2"
LT2_PRICE = 166_667  # 0.05 LTT at $10 = $0.50 = 0.1666.. LT2 at $3, rounded up (6 decimals)


def second_ledger_arg(holders: list) -> str:
    """LT2: the local ledger as a 6-decimal token, for the same (principal, amount) holders."""
    return (
        ledger_init_arg(holders)
        .replace('symbol = "LTT"', f'symbol = "{SECOND}"')
        .replace("decimals = opt (8 : nat8)", "decimals = opt (6 : nat8)")
    )


def feed_rates(server, actor, new_identity, deploy, ledger_id: str, ledger2_id: str) -> Factory:
    """A factory that prices LTT as ICP ($10) and LT2 as ETH ($3) from the local XRC."""
    xrc_admin = new_identity()
    xrc_id = deploy(server, XRC_ENTRY, f'(opt vec {{ principal "{xrc_admin.sender().to_str()}" }})')
    with server.lock:
        now_s = server.network.time_ns // 10**9
    ts = now_s - now_s % 60

    def rate(base: str, usd: float) -> dict:
        return {
            "base_asset": {"symbol": base, "class": {"Cryptocurrency": None}},
            "quote_asset": {"symbol": "USD", "class": {"FiatCurrency": None}},
            "rate": int(usd * 10**9),
            "timestamp": ts,
        }

    assert "Ok" in one(actor(server, xrc_id, xrc_admin, XRC_DID).set_rates([rate("ICP", 10.0), rate("ETH", 3.0)]))
    factory = Factory(server, deploy, actor, new_identity, settings=default_settings(xrc_canister=xrc_id))
    ok(factory.admin.add_market_token(SYMBOL, ledger_id, "ICP"))
    ok(factory.admin.add_market_token(SECOND, ledger2_id, "ETH"))
    ok(factory.admin.update_global_token_rates())
    rates = {r["key"]: r["value"] for r in one(factory.admin.get_real_time_rates())}
    assert rates == {SYMBOL: 10.0, SECOND: 3.0}
    return factory


def two_token_shop(server, new_identity, deploy, actor, with_rates: bool = True) -> Shop:
    """merchant_client.build_shop with a second ledger (LT2) and, `with_rates`, a factory
    with rates for both."""

    def factory(ledger_id: str, ledger2_id: str) -> str:
        return feed_rates(server, actor, new_identity, deploy, ledger_id, ledger2_id).id

    shop = build_shop(
        server,
        new_identity,
        deploy,
        actor,
        Identity(anonymous=True),
        second_ledger=second_ledger_arg,
        factory=factory if with_rates else None,
    )
    token = shop.extra["token2"]
    assert token["symbol"] == SECOND and token["decimals"] == 6 and token["fee"] == FEE
    return shop


def options(session: dict) -> dict:
    return {o["token"]: o for o in (session["price_options"][0] if session["price_options"] else [])}


def send2(shop: Shop, who: str, session: dict, amount: int) -> int:
    res = shop.extra[who].transfer(acct(shop.merchant_id, bytes(session["payment_subaccount"])), amount)
    assert "Ok" in res, res
    return res["Ok"]


def test_session_is_priced_in_every_accepted_token(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor)
    s = shop.create_session()
    opts = options(s)
    assert list(opts) == [SYMBOL, SECOND]  # the session's own token first
    assert opts[SYMBOL]["amount"] == PRICE and opts[SYMBOL]["decimals"] == 8
    assert opts[SECOND]["amount"] == LT2_PRICE and opts[SECOND]["decimals"] == 6
    assert opts[SECOND]["usd_rate"] == 3.0 and opts[SECOND]["ledger_canister_id"].to_str() == shop.extra["ledger2"]
    # computed once: the stored session keeps the same prices
    assert options(shop.session(s["session_id"]))[SECOND]["amount"] == LT2_PRICE
    assert s["currency_token"] == SYMBOL and s["amount"] == PRICE

    # ICRC-1 in LT2: an underpayment in LT2 leaves the session open and shows what arrived
    send2(shop, "alice2", s, LT2_PRICE - 1)
    res = shop.complete(shop.bob, s)
    assert code(res) == "insufficient_payment" and f"{LT2_PRICE - 1} of {LT2_PRICE} {SECOND}" in err(res)
    assert options(shop.session(s["session_id"]))[SECOND]["amount_received"] == LT2_PRICE - 1
    # an LTT payment worth less than the LTT price does not add up with the LT2 one
    half = shop.send_to_session(shop.alice, s, PRICE // 2)
    assert code(shop.complete(shop.bob, s)) == "insufficient_payment"
    assert status(shop.session(s["session_id"])) == "open"
    block = send2(shop, "alice2", s, 1)  # now the LT2 subaccount holds the LT2 price
    assert ok(shop.complete(shop.bob, s)) is None
    paid = shop.session(s["session_id"])
    assert status(paid) == "complete" and paid["currency_token"] == SECOND and paid["amount"] == LT2_PRICE
    assert paid["ledger_canister_id"].to_str() == shop.extra["ledger2"] and paid["amount_received"] == LT2_PRICE
    assert paid["payer"][0].to_str() == shop.alice.principal
    payment = ok(shop.owner.merchant.get_payment(paid["payment_intent_id"][0]))
    assert payment["token_symbol"] == SECOND and payment["ledger_canister_id"].to_str() == shop.extra["ledger2"]
    assert payment["expected_amount"] == LT2_PRICE and payment["amount"] == LT2_PRICE
    assert payment["fee"] == FEE and payment["net_amount"] == LT2_PRICE - FEE and payment["method"] == "icrc1"
    # swept to the merchant's main account on the LT2 ledger
    assert shop.extra["alice2"].balance(shop.merchant_id) == LT2_PRICE - FEE
    volumes = {v["symbol"]: v for v in ok(shop.owner.merchant.get_merchant_metrics())["volume"]}
    assert volumes[SECOND]["payments"] == 1 and volumes[SYMBOL]["payments"] == 0
    assert code(shop.complete(shop.bob, s)) == "conflict"
    assert paid["ledger_block"][0] < block  # the payer's first LT2 block, not the top-up
    # the LTT half-payment stays in the subaccount and goes back to its sender, on LTT
    before = shop.alice.ledger.balance()
    back = ok(shop.alice.merchant.refund_session_funds_with_token(s["session_id"], SYMBOL, str(half)))
    assert back["token_symbol"] == SYMBOL and back["amount"] == PRICE // 2 - FEE
    assert shop.alice.ledger.balance() == before + PRICE // 2 - FEE


def test_icrc2_pays_in_the_chosen_token(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor)
    s = shop.create_session()
    sid = s["session_id"]
    assert code(shop.alice.merchant.pay_checkout_session_with_token(sid, "NOPE")) == "unsupported_token"
    assert code(shop.anon.merchant.pay_checkout_session_with_token(sid, SECOND)) == "unauthorized"
    before = shop.extra["bob2"].balance()
    assert "Ok" in shop.extra["bob2"].approve(acct(shop.merchant_id), LT2_PRICE + FEE)
    paid = ok(shop.bob.merchant.pay_checkout_session_with_token(sid, SECOND))
    assert status(paid) == "complete" and paid["payment_method"] == ["icrc2"]
    assert paid["currency_token"] == SECOND and paid["amount"] == LT2_PRICE and paid["amount_received"] == LT2_PRICE
    assert shop.extra["bob2"].balance() == before - LT2_PRICE - 2 * FEE
    assert shop.extra["bob2"].balance(shop.merchant_id) == LT2_PRICE
    payment = ok(shop.owner.merchant.get_payment(paid["payment_intent_id"][0]))
    assert payment["token_symbol"] == SECOND and payment["amount"] == LT2_PRICE and payment["fee"] == 0
    # once complete, no token pays it again
    assert "Ok" in shop.bob.ledger.approve(acct(shop.merchant_id), PRICE + FEE)
    assert code(shop.bob.merchant.pay_checkout_session(sid)) == "conflict"
    assert code(shop.bob.merchant.pay_checkout_session_with_token(sid, SECOND)) == "conflict"
    assert shop.bob.ledger.balance(shop.merchant_id) == 0
    # a refund goes back on the ledger the payment was made on
    refund = ok(shop.owner.merchant.refund_payment(payment["payment_id"], [100_000], []))
    assert refund["token_symbol"] == SECOND
    assert shop.extra["bob2"].balance() == before - LT2_PRICE - 2 * FEE + 100_000


def test_paid_in_two_tokens_completes_once(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor)
    s = shop.create_session()
    sid = s["session_id"]
    ltt_block = shop.send_to_session(shop.alice, s, PRICE)
    lt2_block = send2(shop, "bob2", s, LT2_PRICE)
    # each token names its own ledger: both complete attempts, one completion
    first = shop.complete(shop.alice, s)
    second = one(shop.bob.merchant.complete_checkout_session_with_token(sid, SECOND, str(lt2_block)))
    assert first == {"Ok": None} and code(second) == "conflict"
    paid = shop.session(sid)
    assert status(paid) == "complete" and paid["currency_token"] == SYMBOL and paid["amount_received"] == PRICE
    page = ok(shop.owner.merchant.list_payments([], [10]))["payments"]
    assert [p["session_id"] for p in page] == [sid] and page[0]["token_symbol"] == SYMBOL
    # ICRC-2 in LT2 after the LTT completion is refused too
    assert "Ok" in shop.extra["bob2"].approve(acct(shop.merchant_id), LT2_PRICE + FEE)
    assert code(shop.bob.merchant.pay_checkout_session_with_token(sid, SECOND)) == "conflict"
    # the LT2 transfer that did not pay the session goes back to its sender, once
    before = shop.extra["bob2"].balance()
    assert code(shop.stranger.merchant.refund_session_funds_with_token(sid, SECOND, str(lt2_block))) == "unauthorized"
    back = ok(shop.bob.merchant.refund_session_funds_with_token(sid, SECOND, str(lt2_block)))
    assert back["token_symbol"] == SECOND and back["amount"] == LT2_PRICE - FEE
    assert shop.extra["bob2"].balance() == before + LT2_PRICE - FEE
    assert code(shop.bob.merchant.refund_session_funds_with_token(sid, SECOND, str(lt2_block))) == "conflict"
    # the LTT block paid the session: it is not returnable
    assert code(shop.alice.merchant.refund_session_funds(sid, str(ltt_block))) == "conflict"


def test_choosing_a_token_for_icrc1_completion(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor)
    s = shop.create_session()
    sid = s["session_id"]
    block = send2(shop, "alice2", s, LT2_PRICE + 5_000)  # an overpayment in LT2
    # the customer's hint names LTT: only that ledger is read, nothing there yet
    res = one(shop.alice.merchant.complete_checkout_session_with_token(sid, SYMBOL, ""))
    assert code(res) == "insufficient_payment" and f"0 of {PRICE}" in err(res)
    assert code(shop.alice.merchant.complete_checkout_session_with_token(sid, "", "")) == "invalid_argument"
    assert ok(shop.alice.merchant.complete_checkout_session_with_token(sid, SECOND, str(block))) is None
    paid = shop.session(sid)
    assert paid["currency_token"] == SECOND and paid["amount_overpaid"] == 5_000
    assert paid["ledger_block"] == [block]


def test_without_rates_a_session_has_its_own_token_only(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor, with_rates=False)
    s = shop.create_session()
    assert s["price_options"] == []
    sid = s["session_id"]
    assert code(shop.alice.merchant.pay_checkout_session_with_token(sid, SECOND)) == "unsupported_token"
    # LT2 sent to the session does not pay it; the LTT price does
    lt2_block = send2(shop, "alice2", s, 10**6)
    assert code(shop.complete(shop.alice, s)) == "insufficient_payment"
    assert code(shop.alice.merchant.complete_checkout_session_with_token(sid, SECOND, "")) == "unsupported_token"
    paid = ok(shop.pay_icrc2(shop.alice, s))
    assert paid["currency_token"] == SYMBOL and paid["amount"] == PRICE
    assert code(shop.alice.merchant.refund_session_funds_with_token(sid, SECOND, str(lt2_block))) == "unsupported_token"


def test_modal_settings_limit_the_options(server, new_identity, deploy, actor):
    shop = two_token_shop(server, new_identity, deploy, actor)
    api = shop.api.merchant

    def modal_session(**payment_options) -> dict:
        opts = {
            "accepted_tokens": [],
            "allow_token_selection": True,
            "show_fiat_equivalent": True,
            "collect_email": False,
        }
        opts.update(payment_options)
        modal_id = ok(api.create_modal_config(modal_config(payment_options=opts)))
        return shop.create_session(modal_config_id=[modal_id])

    assert list(options(modal_session())) == [SYMBOL, SECOND]
    assert list(options(modal_session(accepted_tokens=[SYMBOL, SECOND]))) == [SYMBOL, SECOND]
    assert modal_session(accepted_tokens=[SYMBOL])["price_options"] == []
    assert modal_session(allow_token_selection=False)["price_options"] == []
    # the merchant's minimum for LT2 above its price leaves LT2 out; its priority orders them
    prefs = {
        "preferred_tokens": [],
        "token_priorities": [],
        "minimum_amounts": [{"key": SECOND, "value": LT2_PRICE + 1}],
        "merchant_fee_overrides": [],
        "auto_convert_to": [],
    }
    ok(shop.owner.merchant.update_merchant_token_preferences(prefs))
    assert shop.create_session()["price_options"] == []
    # priced in LT2, the session offers LTT second (rounded up: 166_667 LT2 units ≥ $0.50)
    s = shop.create_session(amount=LT2_PRICE + 1, token=SECOND)
    assert list(options(s)) == [SECOND, SYMBOL]
    assert options(s)[SYMBOL]["amount"] == -(-(LT2_PRICE + 1) * 3 * 100 // 10)  # ceil(units × $3 / $10 × 10^2)


def test_stale_rates_refuse_multi_token_pricing(server, new_identity, deploy, actor):
    """Issue 16 #8: a multi-token session needs fresh rates. Once the factory's rates are
    older than the merchant's bound (900 s) a new session is refused with `stale_rate`
    instead of being silently offered in its own token only, and an older session's LT2
    price is no longer charged by ICRC-2 (its own token still is)."""
    shop = two_token_shop(server, new_identity, deploy, actor)
    s = shop.create_session()
    assert set(options(s)) == {SYMBOL, SECOND}
    shop.advance(1000)  # the XRC has nothing newer: the factory keeps the old rates and their time
    res = one(shop.api.merchant.create_checkout_session_with_options(session_args()))
    assert res["Err"].startswith("stale_rate: ") and "900 s" in res["Err"], res
    sid = s["session_id"]
    assert "Ok" in shop.extra["bob2"].approve(acct(shop.merchant_id), LT2_PRICE + FEE)
    before = shop.extra["bob2"].balance()
    res = one(shop.bob.merchant.pay_checkout_session_with_token(sid, SECOND))
    assert res["Err"].startswith("stale_rate: ") and SECOND in res["Err"] and SYMBOL in res["Err"], res
    assert shop.extra["bob2"].balance() == before and status(shop.session(sid)) == "open"
    paid = ok(shop.pay_icrc2(shop.bob, s))  # its own token needs no rate
    assert status(paid) == "complete" and paid["currency_token"] == SYMBOL
