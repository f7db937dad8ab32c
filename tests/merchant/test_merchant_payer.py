"""Refunds never pay a sender more than it sent: the payer of an ICRC-1 session is the first
sender whose own transfers pay the price; only those are swept into the payment (so a full
refund returns exactly them, to that payer); what anybody else sent to the deposit account
stays there, returnable to its sender. Two payer identities on the real ledger canister."""

from __future__ import annotations

import json

from merchant_client import FEE, PRICE, code, ok, status


def fee_payment(shop) -> None:
    """Another paid session, whose funds pay the refund's ledger fee."""
    ok(shop.pay_icrc2(shop.bob, shop.create_session()))


def test_second_sender_before_completion_does_not_become_the_payer(shop):
    fee_payment(shop)
    s = shop.create_session()
    alice_start, bob_start = shop.alice.ledger.balance(), shop.bob.ledger.balance()
    paid = shop.send_to_session(shop.alice, s, PRICE)  # the customer pays exactly the price
    extra = shop.send_to_session(shop.bob, s, 2 * PRICE)  # then someone else sends more
    ok(shop.complete(shop.alice, s, paid))
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["payer"][0].to_str() == shop.alice.principal
    assert done["amount_received"] == PRICE and done["amount_overpaid"] == 0
    payment = ok(shop.owner.merchant.get_payment(done["payment_intent_id"][0]))
    assert payment["amount"] == PRICE and payment["payer"][0]["owner"].to_str() == shop.alice.principal
    (event,) = ok(shop.owner.merchant.list_events([], [], ["checkout.session.completed"]))["events"][:1]
    data = json.loads(event["data_json"])
    assert data["payer"] == shop.alice.principal and data["amount"] == data["payer_amount"] == PRICE  # who paid what
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 2 * PRICE  # Bob's money stays

    # a full refund returns the customer's price to the customer, nothing more to anybody
    assert code(shop.owner.merchant.refund_payment(payment["payment_id"], [PRICE + 1], [])) == "invalid_argument"
    refund = ok(shop.owner.merchant.refund_payment(payment["payment_id"], [], []))
    assert refund["amount"] == PRICE and refund["to"]["owner"].to_str() == shop.alice.principal
    assert shop.alice.ledger.balance() == alice_start - FEE  # only her transfer's fee is gone
    assert code(shop.owner.merchant.refund_payment(payment["payment_id"], [], [])) == "invalid_argument"

    # Bob gets his own transfer back (minus the return's fee), and only Bob may ask for it
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(extra))) == "unauthorized"
    assert code(shop.bob.merchant.refund_session_funds(s["session_id"], str(paid))) == "conflict"
    back = ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(extra)))
    assert back["amount"] == 2 * PRICE - FEE and back["to"]["owner"].to_str() == shop.bob.principal
    assert shop.bob.ledger.balance() == bob_start - 2 * FEE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == 0
    (row,) = ok(shop.owner.merchant.reconcile_balances())
    assert row["matches"]


def test_the_first_sender_to_cover_the_price_is_the_payer(shop):
    """Bob sends a part first, Alice the whole price, then Bob the rest: Alice covered the
    price first, so she is the payer and Bob's two transfers stay returnable."""
    s = shop.create_session()
    early = shop.send_to_session(shop.bob, s, PRICE // 2)
    paid = shop.send_to_session(shop.alice, s, PRICE)
    late = shop.send_to_session(shop.bob, s, PRICE - PRICE // 2)
    ok(shop.complete(shop.bob, s, early))
    done = shop.session(s["session_id"])
    assert done["payer"][0].to_str() == shop.alice.principal and done["amount_received"] == PRICE
    assert shop.merchant_balance(bytes(s["payment_subaccount"])) == PRICE
    for block, amount in ((early, PRICE // 2), (late, PRICE - PRICE // 2)):
        assert ok(shop.bob.merchant.refund_session_funds(s["session_id"], str(block)))["amount"] == amount - FEE
    assert code(shop.alice.merchant.refund_session_funds(s["session_id"], str(paid))) == "conflict"


def test_shares_of_several_senders_still_pay_a_session(shop):
    """Nobody alone paid the price: the shares together complete the session; the largest
    contributor is the payer, and a refund gives it back at most its own share."""
    fee_payment(shop)
    s = shop.create_session()
    shop.send_to_session(shop.alice, s, PRICE // 4)
    shop.send_to_session(shop.bob, s, PRICE - PRICE // 4)
    ok(shop.complete(shop.alice, s))
    done = shop.session(s["session_id"])
    assert status(done) == "complete" and done["amount_received"] == PRICE
    assert done["payer"][0].to_str() == shop.bob.principal
    payment_id = done["payment_intent_id"][0]
    (event,) = ok(shop.owner.merchant.list_events([], [], ["checkout.session.completed"]))["events"][:1]
    data = json.loads(event["data_json"])
    assert (
        data["payer"] == shop.bob.principal and data["amount"] == PRICE and data["payer_amount"] == PRICE - PRICE // 4
    )
    bob_before = shop.bob.ledger.balance()
    assert code(shop.owner.merchant.refund_payment(payment_id, [PRICE], [])) == "invalid_argument"
    refund = ok(shop.owner.merchant.refund_payment(payment_id, [], []))
    assert refund["amount"] == PRICE - PRICE // 4 and refund["to"]["owner"].to_str() == shop.bob.principal
    assert shop.bob.ledger.balance() == bob_before + PRICE - PRICE // 4
    assert code(shop.owner.merchant.refund_payment(payment_id, [1], [])) == "invalid_argument"
