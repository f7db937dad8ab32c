"""Point 5: message semantics: atomic segments between commit points, trap rollback of
stable memory and heap, callee failures as CallResult Err, re-entrancy, and a scheduler
that exposes a double-spend under an interleaving."""

import pytest
from helpers import ALICE, deploy

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected


def test_trap_rolls_back_stable_and_heap(network):
    cid = deploy(network, "trapper")
    for method in ("write_then_trap", "write_then_raise"):
        with pytest.raises(CallRejected) as e:
            network.call(ALICE, cid, method, "k", 7)
        assert e.value.code == 5 and e.value.error_code == "IC0503"
    assert "refusing after the write" in network.status(list(network.ingress)[0]).reject_message
    assert network.call(ALICE, cid, "get", "k") == 0
    assert network.call(ALICE, cid, "journal_entries") == []
    assert network.call(ALICE, cid, "mode") == "initial"  # in-place dict change undone


def test_trap_keeps_what_was_committed_before_the_yield(network):
    cid = deploy(network, "trapper")
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "write_commit_then_trap", "k", 5)
    assert "trap after the commit point" in e.value.message
    assert network.call(ALICE, cid, "get", "k") == 5
    assert network.call(ALICE, cid, "get", "k-after") == 0
    assert network.call(ALICE, cid, "journal_entries") == ["k"]


def test_catching_a_trap_does_not_undo_it(network):
    cid = deploy(network, "trapper")
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "swallow_trap", "s")
    assert "cannot be caught" in e.value.message
    assert network.call(ALICE, cid, "get", "s") == 0


def test_callee_trap_and_missing_method_become_call_result_err(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    err = network.call(ALICE, a, "call_boom", b)
    assert err.startswith("Rejection code 5, Canister ")
    assert "trapped explicitly: RuntimeError: callee failed" in err
    assert network.call(ALICE, b, "hits") == 0  # the callee's write was rolled back
    err = network.call(ALICE, a, "call_missing", b)
    assert err.startswith("Rejection code 3, ") and "has no update method 'missing'" in err


def test_reentrancy_other_messages_run_while_a_caller_waits(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    m1 = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.step()  # a: ping starts and yields its call to b (commit point)
    assert network.status(m1).state == "processing"
    assert network.call(ALICE, a, "hits") == 1  # the write before the yield is visible
    m2 = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 0]))
    # m2 runs to completion on `a` while m1 still waits for b
    pending = [p.description for p in network.pending()]
    assert pending[0].startswith("call ping on") and "(call)" in pending[0]
    network.step(1)
    assert network.status(m2).state == "replied"
    assert network.status(m1).state == "processing"
    assert network.await_ingress(m1).state == "replied"
    assert binary.decode(network.status(m1).reply, [T.NAT64]) == [1]


def test_forget_ingress_prunes_only_finished_messages(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    waiting = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.step()  # waits for b
    assert not network.forget_ingress(waiting)  # still running: its status is kept
    done = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 0]))
    network.step(1)
    assert network.status(done).state == "replied"
    assert network.forget_ingress(done) and network.status(done) is None
    assert not network.forget_ingress(done)
    assert network.await_ingress(waiting).state == "replied"
    assert network.forget_ingress(waiting)


def _bank(network, variant):
    ledger = deploy(network, "payout_ledger")
    bank = deploy(network, variant, f'(principal "{ledger.to_str()}")')
    network.call(ALICE, bank, "deposit", 100)
    return ledger, bank


def _race(network, bank, order):
    arg = binary.encode([T.NAT], [100])
    ids = [network.submit(ALICE, bank, "withdraw", arg) for _ in range(2)]
    if order is None:
        network.run_until_idle()
    else:
        network.run_interleaved(order)
    return [network.status(i) for i in ids]


def test_naive_bank_double_spends_under_interleaving(network):
    ledger, bank = _bank(network, "bank_naive")
    statuses = _race(network, bank, None)  # both withdrawals pass the check before a yield
    assert [s.state for s in statuses] == ["replied", "replied"]
    assert network.call(ALICE, ledger, "paid_to", ALICE.to_str()) == 200  # paid twice
    assert network.call(ALICE, bank, "balance_of", ALICE) == 0  # for 100 deposited


def test_locked_bank_is_safe_under_every_interleaving(network):
    from localnet.runtime import Network

    for seed in [None] + list(range(8)):
        net = Network(seed=seed or 0)
        ledger, bank = _bank(net, "bank_locked")
        statuses = _race(net, bank, seed)
        assert net.call(ALICE, ledger, "paid_to", ALICE.to_str()) == 100
        assert net.call(ALICE, bank, "balance_of", ALICE) == 0
        results = sorted(
            binary.decode(s.reply, [T.Variant((T.Field.named("Ok", T.NAT), T.Field.named("Err", T.TEXT)))])[
                0
            ].popitem()[0]
            for s in statuses
        )
        assert results == ["Err", "Ok"]


def test_naive_bank_loses_money_for_some_seeded_interleavings(network):
    outcomes = set()
    for seed in range(8):
        from localnet.runtime import Network

        net = Network(seed=seed)
        ledger, bank = _bank(net, "bank_naive")
        _race(net, bank, seed)
        outcomes.add(net.call(ALICE, ledger, "paid_to", ALICE.to_str()))
    # some interleavings run the withdrawals one after the other (100 paid), others
    # interleave them at the commit point (200 paid): the scheduler exposes both
    assert outcomes == {100, 200}


def test_step_api_rejects_bad_index(network):
    from localnet.runtime import LocalnetError

    with pytest.raises(LocalnetError):
        network.step(0)


def test_notify_is_one_way_and_sent_only_on_commit(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    with pytest.raises(CallRejected):
        network.call(ALICE, a, "notify_ping", b, True)
    network.run_until_idle()
    assert network.call(ALICE, b, "hits") == 0
    network.call(ALICE, a, "notify_ping", b, False)
    network.run_until_idle()
    assert network.call(ALICE, b, "hits") == 1


def test_heap_snapshot_restores_objects_in_place():
    import types as pytypes

    from localnet.runtime.heap import HeapSnapshot

    mod = pytypes.ModuleType("canister_mod")
    exec(
        "class Box:\n    def __init__(self):\n        self.items = [1]\n"
        "box = Box()\nby_name = {'a': [box]}\ncallbacks = [lambda: 1]\ncount = 1\n",
        mod.__dict__,
    )
    box, by_name = mod.box, mod.by_name
    snap = HeapSnapshot({"canister_mod": mod})
    mod.box.items.append(2)
    mod.by_name["b"] = []
    mod.count = 5
    mod.extra = "new"
    snap.restore()
    assert mod.box is box and mod.box.items == [1]  # same object, old contents
    assert mod.by_name is by_name and list(mod.by_name) == ["a"]
    assert isinstance(mod.by_name["a"][0], mod.Box)
    assert mod.count == 1 and not hasattr(mod, "extra")
    assert mod.callbacks[0]() == 1  # a lambda cannot be pickled: deepcopy fallback


def test_heap_snapshot_with_scan_cache_sees_layout_changes():
    """The per-namespace scan cache must notice a code name rebound to data, a state name
    swapped for another and a deleted global, and still restore each of them."""
    import types as pytypes

    from localnet.runtime.heap import HeapSnapshot

    mod = pytypes.ModuleType("canister_mod")
    exec("def handler():\n    return 1\nlimit = 3\nseen = {}\n", mod.__dict__)
    scans: dict = {}
    HeapSnapshot({"canister_mod": mod}, scans)  # fills the cache
    handler = mod.handler
    snap = HeapSnapshot({"canister_mod": mod}, scans)
    assert snap.pickled is not None  # plain data: the fast pickle path, not deepcopy
    mod.handler = {"now": "data"}  # a code name rebound to a value
    mod.seen["k"] = 1
    del mod.limit
    mod.other = 9  # same number of globals as before: a swap of one state name
    assert not snap.unchanged()
    snap.restore()
    assert mod.handler is handler and mod.limit == 3 and mod.seen == {}
    assert not hasattr(mod, "other")
    snap = HeapSnapshot({"canister_mod": mod}, scans)
    assert snap.unchanged()  # a message that changes nothing: restore is skipped
    mod.limit = 4
    assert not snap.unchanged()


def test_uninstalling_a_waiting_caller_rejects_its_call(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    mid = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.step()  # a is now waiting for b
    network.management.uninstall(network.canisters[a.bytes])
    st = network.status(mid)  # answered at once, as the IC does (before b's reply arrives)
    assert st.state == "rejected" and st.reject_code == 4 and st.error_code == "IC0406"
    assert st.reject_message == "Canister has been uninstalled."
    network.run_until_idle()  # b's late reply runs nothing on a
    assert network.status(mid).state == "rejected"


def test_message_size_limits(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    with pytest.raises(CallRejected) as e:  # ingress over 2 MiB is refused at submission
        network.submit(ALICE, a, "hits", b"DIDL\x00\x00" + bytes(2 * 1024 * 1024))
    assert "limit" in e.value.message
    # over 2 MiB (method name + argument) the stream builder rejects it with CANISTER_ERROR
    err = network.call(ALICE, a, "big_call", b, 2 * 1024 * 1024)
    size = len("hits") + 6 + 2 * 1024 * 1024
    assert err == (
        f"Rejection code 5, Canister {a.to_str()} violated contract: attempted to "
        f"send a message of size {size} exceeding the limit 2097152"
    )
    # over 10 MiB (the same-subnet bound) ic0.call_data_append traps
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, a, "big_call", b, 10 * 1024 * 1024)
    assert e.value.error_code == "IC0504" and "exceeds the allowed limit of 10485760" in e.value.message
    # under the limit the call goes out (and the callee rejects the trailing bytes)
    err = network.call(ALICE, a, "big_call", b, 1024)
    assert err.startswith("Rejection code 5,") and "decode" in err
