"""A ledger that fails mid-payment (stopped by its controller) leaves every session payable:
the lock is released, nothing is recorded, and the same call succeeds once the ledger is
back. Both payment paths."""

from __future__ import annotations

from ic.agent import Agent
from ic.client import Client
from ic.common.management import Management
from ledger_client import LEDGER_DID, LEDGER_ENTRY, LedgerClient, ledger_init_arg
from merchant_client import (
    FEE,
    MERCHANT_DID,
    MERCHANT_ENTRY,
    PRICE,
    SYMBOL,
    acct,
    code,
    distinct,
    merchant_init_arg,
    ok,
    session_args,
    status,
)


def controlled_shop(shop, deploy, actor):
    """A merchant whose ledger the shop owner controls (so the test can stop it)."""
    ledger_id = deploy(
        shop.server, LEDGER_ENTRY, ledger_init_arg([(shop.alice.principal, 10**9)]), controllers=[shop.owner.identity]
    )
    merchant_id = deploy(
        shop.server, MERCHANT_ENTRY, merchant_init_arg(shop.owner.principal, ledger_id, routing_key="shop9")
    )
    owner = distinct(actor(shop.server, merchant_id, shop.owner.identity, MERCHANT_DID))
    alice = distinct(actor(shop.server, merchant_id, shop.alice.identity, MERCHANT_DID))
    ledger = LedgerClient(distinct(actor(shop.server, ledger_id, shop.alice.identity, LEDGER_DID)), shop.alice.identity)
    ok(owner.refresh_token(SYMBOL))
    agent = Agent(shop.owner.identity, Client(url=shop.server.url))
    if hasattr(shop.server, "root_key"):
        agent.root_key = shop.server.root_key
    return merchant_id, ledger_id, owner, alice, ledger, Management(agent)


def test_ledger_outage_leaves_sessions_payable(shop, deploy, actor):
    merchant_id, ledger_id, owner, alice, ledger, management = controlled_shop(shop, deploy, actor)
    s1 = ok(owner.create_checkout_session_with_options(session_args()))
    s2 = ok(owner.create_checkout_session_with_options(session_args(amount=PRICE + 1)))
    assert "Ok" in ledger.transfer(acct(merchant_id, bytes(s1["payment_subaccount"])), PRICE)
    assert "Ok" in ledger.approve(acct(merchant_id), PRICE + 1 + FEE)
    management.stop_canister({"canister_id": ledger_id})
    assert code(alice.complete_checkout_session(s1["session_id"], "")) == "ledger_error"
    assert code(alice.complete_checkout_session(s1["session_id"], "")) == "ledger_error"  # not "conflict": unlocked
    assert code(alice.pay_checkout_session(s2["session_id"])) == "ledger_error"
    for s in (s1, s2):
        again = ok(owner.get_checkout_session(s["session_id"]))
        assert status(again) == "open" and again["payment_intent_id"] == []
    assert ok(owner.list_payments([], []))["payments"] == []
    management.start_canister({"canister_id": ledger_id})
    assert ok(alice.complete_checkout_session(s1["session_id"], "")) is None
    assert status(ok(alice.pay_checkout_session(s2["session_id"]))) == "complete"
    assert len(ok(owner.list_payments([], []))["payments"]) == 2
    (row,) = ok(owner.reconcile_balances())
    assert row["matches"] and row["ledger_balance"] == PRICE - FEE + PRICE + 1
