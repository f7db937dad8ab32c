"""An upgrade keeps the ledger: balances, allowances, the block log and the certified tip
live in stable maps, and the chain continues from the old tip afterwards."""

from __future__ import annotations

from icrc3_verify import map_get, value_hash
from kybra import Principal as KybraPrincipal
from ledger_client import LEDGER_DID, LEDGER_ENTRY, ROOT, LedgerClient, ledger_init_arg, unwrap
from test_icrc3_chain import tip, verify_chain


def test_upgrade_keeps_state_and_chain(server, new_identity, deploy, actor):
    alice, bob = new_identity(), new_identity()
    canister_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 10**9)]))
    a = LedgerClient(actor(server, canister_id, alice, LEDGER_DID), alice)
    assert "Ok" in a.transfer(LedgerClient(None, bob).account(), 123_456)
    assert "Ok" in a.approve(LedgerClient(None, bob).account(), 777_000)
    before = tip(a, server, canister_id)
    supply = unwrap(a.actor.icrc1_total_supply())

    with server.lock:
        net = server.network
        module = net.build_module(LEDGER_ENTRY, ROOT)
        net.install_code(KybraPrincipal.from_str(canister_id), module, mode="upgrade")

    assert a.balance(bob.sender().to_str()) == 123_456
    assert a.allowance(a.account(), LedgerClient(None, bob).account()) == (777_000, None)
    assert unwrap(a.actor.icrc1_total_supply()) == supply
    assert tip(a, server, canister_id) == before
    assert "Ok" in a.transfer(LedgerClient(None, bob).account(), 1)
    after = tip(a, server, canister_id)
    assert after[0] == before[0] + 1
    newest = a.blocks([(after[0], 1)])["blocks"][0]["block"]
    assert bytes(map_get(newest, "phash")["Blob"]) == before[1]
    assert value_hash(newest) == after[1]
    assert verify_chain(a, *after) == after[0] + 1
