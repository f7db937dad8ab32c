"""Two icrc2_transfer_from calls racing for one allowance, through the Network scheduler:
both are submitted before either runs, then the scheduler interleaves them. Exactly one
may spend the allowance; the other must see what is left (InsufficientAllowance)."""

from __future__ import annotations

from ic.candid import decode, encode
from kybra import Principal as KybraPrincipal
from ledger_client import (
    FEE,
    LEDGER_DID,
    LEDGER_ENTRY,
    LedgerClient,
    ledger_init_arg,
    transfer_from_arg,
    unwrap,
)

AMOUNT = 10_000
ALLOWANCE = 2 * AMOUNT + FEE  # enough for one transfer (amount + fee), not for two


def test_two_transfer_from_race_for_one_allowance(server, new_identity, deploy, actor):
    alice, bob, carol, dave = (new_identity() for _ in range(4))
    canister_id = deploy(server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 10**9)]))
    a = LedgerClient(actor(server, canister_id, alice, LEDGER_DID), alice)
    b = LedgerClient(actor(server, canister_id, bob, LEDGER_DID), bob)
    assert "Ok" in a.approve(b.account(), ALLOWANCE)
    method = b.actor.icrc2_transfer_from
    args = [
        encode([{"type": method.args[0], "value": transfer_from_arg(a.account(), to, AMOUNT)}])
        for to in (LedgerClient(None, carol).account(), LedgerClient(None, dave).account())
    ]
    sender = KybraPrincipal.from_str(bob.sender().to_str())
    target = KybraPrincipal.from_str(canister_id)
    with server.lock:
        net = server.network
        ids = [net.submit(sender, target, "icrc2_transfer_from", arg) for arg in args]
        # both are queued before either executes; then run them step by step
        assert [net.status(i).state for i in ids] == ["received", "received"]
        steps = 0
        while any(net.status(i).state in ("received", "processing") for i in ids):
            net.tick()
            steps += 1
            assert steps < 1_000, "messages never completed"
        statuses = [net.status(i) for i in ids]
    assert [s.state for s in statuses] == ["replied", "replied"]
    results = [decode(bytes(s.reply), method.rets)[0]["value"] for s in statuses]
    oks = [r for r in results if "Ok" in r]
    errs = [r["Err"] for r in results if "Err" in r]
    assert len(oks) == 1 and len(errs) == 1, results
    assert errs[0] == {"InsufficientAllowance": {"allowance": ALLOWANCE - AMOUNT - FEE}}
    assert a.allowance(a.account(), b.account()) == (ALLOWANCE - AMOUNT - FEE, None)
    receivers = [unwrap(a.actor.icrc1_balance_of(LedgerClient(None, who).account())) for who in (carol, dave)]
    assert sorted(receivers) == [0, AMOUNT]
    assert a.balance() == 10**9 - FEE - AMOUNT - FEE
