"""Double completion under interleaving: several payment messages for one session are
submitted together and the localnet scheduler runs their steps (including the ledger calls
in between) in seeded random orders. Whatever the order, the session completes exactly once,
the customer pays once and the book matches the ledger."""

from __future__ import annotations

import pytest
from kybra import Principal
from merchant_client import FEE, PRICE, SYMBOL, acct, ok, status

from localnet.runtime.typed import decode_reply, encode_call


def submit(shop, party, method: str, *values) -> bytes:
    net = shop.server.network
    arg = encode_call(net, Principal.from_str(shop.merchant_id), method, list(values))
    return net.submit(Principal.from_str(party.principal), Principal.from_str(shop.merchant_id), method, arg)


def outcome(shop, method: str, message_id: bytes):
    st = shop.server.network.status(message_id)
    assert st.state == "replied", (st.state, st.reject_message)
    return decode_reply(shop.server.network, Principal.from_str(shop.merchant_id), method, st.reply)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_interleaved_icrc1_completions(shop, seed):
    s = shop.create_session()
    block = shop.send_to_session(shop.alice, s, PRICE)
    with shop.server.lock:
        ids = [
            submit(shop, p, "complete_checkout_session", s["session_id"], hint)
            for p, hint in ((shop.alice, str(block)), (shop.bob, ""), (shop.stranger, str(block)))
        ]
        shop.server.network.run_interleaved(seed)
        results = [outcome(shop, "complete_checkout_session", m) for m in ids]
    assert sum(1 for r in results if "Ok" in r) == 1, results
    assert all(r["Err"].startswith("conflict:") for r in results if "Err" in r), results
    assert status(shop.session(s["session_id"])) == "complete"
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
    assert shop.merchant_balance() == PRICE - FEE
    row = [r for r in ok(shop.owner.merchant.reconcile_balances()) if r["symbol"] == SYMBOL][0]
    assert row["matches"]


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_interleaved_icrc2_and_icrc1(shop, seed):
    """The same session paid both ways at once: one path completes it; the ICRC-2 path, if
    it lost, charged nothing, and ICRC-1 funds that lost can be returned."""
    s = shop.create_session()
    block = shop.send_to_session(shop.bob, s, PRICE)
    assert "Ok" in shop.alice.ledger.approve(acct(shop.merchant_id), 2 * (PRICE + FEE))
    alice_before = shop.alice.ledger.balance()
    with shop.server.lock:
        ids = [
            submit(shop, shop.alice, "pay_checkout_session", s["session_id"]),
            submit(shop, shop.alice, "pay_checkout_session", s["session_id"]),
            submit(shop, shop.bob, "complete_checkout_session", s["session_id"], str(block)),
        ]
        shop.server.network.run_interleaved(seed)
        pays = [outcome(shop, "pay_checkout_session", m) for m in ids[:2]]
        completion = outcome(shop, "complete_checkout_session", ids[2])
    winners = [r for r in pays + [completion] if "Ok" in r]
    assert len(winners) == 1, (pays, completion)
    done = shop.session(s["session_id"])
    assert status(done) == "complete"
    charged = alice_before - shop.alice.ledger.balance()
    if done["payment_method"] == ["icrc2"]:
        assert charged == PRICE + FEE
        refund = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(block)))
        assert refund["amount"] == PRICE - FEE
    else:
        assert charged == 0
    assert len(ok(shop.owner.merchant.list_payments([], []))["payments"]) == 1
