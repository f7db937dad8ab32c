"""The IC's cycle prepayments and reserved cycles (localnet/runtime/cycles.py [PREPAY],
[RESERVE]): an execution is prepaid at its instruction limit, a call at its largest response
and its callback's limit, and the unused part comes back; memory growth on a full subnet
moves cycles to the reserved balance, up to `reserved_cycles_limit`."""

import pytest
from helpers import ALICE, ROOT, deploy, entry
from test_management import mgmt

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected, Network
from localnet.runtime.cycles import CyclesPolicy
from localnet.runtime.typed import encode_call

GIB = 1024**3


def _settings(**given):
    fields = (
        "controllers",
        "compute_allocation",
        "memory_allocation",
        "freezing_threshold",
        "reserved_cycles_limit",
        "log_visibility",
        "wasm_memory_limit",
    )
    return {name: given.get(name) for name in fields}


def _counter(net):
    cid = deploy(net, "counter", f'(principal "{ALICE.to_str()}")', cycles=10**13)
    net.run_until_idle()  # Kybra's post-install randomness timer
    net.call(ALICE, cid, "increment", "x")  # the map's memory exists from here on
    return cid


def test_an_update_above_the_freezing_limit_but_short_of_its_prepayment_does_not_run():
    """Enough for the old flat 5 M fee and the ingress cost, not for 40 B instructions."""
    net = Network(metering=True)
    cid = _counter(net)
    c, p = net.canisters[cid.bytes], net.policy
    arg = encode_call(net, cid, "increment", ["x"])
    needed = net._freezing_limit(c) + p.ingress_fee("increment", arg) + p.execution_prepayment("update")[1]
    assert p.execution_prepayment("update") == (40 * 10**9, 5_000_000 + 40 * 10**9)
    c.cycles = needed - 1
    with pytest.raises(CallRejected) as e:  # the ingress filter refuses it
        net.call(ALICE, cid, "increment", "x")
    assert e.value.error_code == "IC0207" and "out of cycles" in e.value.message
    assert c.cycles == needed - 1 and net.call(ALICE, cid, "get", "x") == 1  # nothing ran
    c.cycles = needed
    mid = net.submit(ALICE, cid, "increment", arg)
    st = net.await_ingress(mid)
    assert st.state == "replied" and st.instructions > 0
    # prepaid, then the unused instructions refunded: the fixed fee + what it executed
    assert c.cycles == needed - p.ingress_fee("increment", arg) - p.execution_cost(st.instructions)
    assert c.cycles == net._freezing_limit(c) + p.execution_prepayment("update")[1] - p.execution_cost(st.instructions)


def test_a_call_to_a_canister_that_cannot_prepay_is_rejected_and_runs_nothing():
    net = Network()
    a, b = deploy(net, "pingpong"), deploy(net, "pingpong")
    net.run_until_idle()
    cb = net.canisters[b.bytes]
    cb.cycles = net._freezing_limit(cb) + net.policy.execution_prepayment("update")[1] - 1
    with pytest.raises(CallRejected) as e:  # a traps with the CallResult's Err
        net.call(ALICE, a, "ping", b, 1)
    assert "Rejection code 2" in e.value.message and "out of cycles" in e.value.message
    cb.cycles = 10**13
    assert net.call(ALICE, b, "hits") == 0  # b's ping never ran


def test_a_call_that_cannot_prepay_its_largest_response_fails_synchronously():
    """The caller can pay the request (260 K + its bytes) and even the callback's 40 B,
    but not the transmission of a 2 MiB response on top: ic0.call_perform fails."""
    net = Network()
    a, b = deploy(net, "pingpong"), deploy(net, "pingpong")
    net.run_until_idle()
    c, p = net.canisters[a.bytes], net.policy
    arg = encode_call(net, a, "ping", [b, 1])
    assert p.prepayment_for_response_transmission() == 1_000 * 2 * 1024 * 1024
    c.cycles = (
        net._freezing_limit(c)
        + p.ingress_fee("ping", arg)
        + p.execution_prepayment("update")[1]
        + p.prepayment_for_response_execution()
        + 10**6
    )
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, a, "ping", b, 1)
    assert "Rejection code 2, Couldn't send message" in e.value.message
    assert net.call(ALICE, b, "hits") == 0
    c.cycles += p.prepayment_for_response_transmission() + 10**8  # the failed try cost fees
    assert net.call(ALICE, a, "ping", b, 1) == 1


def test_refunds_leave_exactly_the_fees_of_what_was_used():
    net = Network(metering=True)
    a, b = deploy(net, "pingpong"), deploy(net, "pingpong")
    net.run_until_idle()
    p = net.policy
    ca, cb = net.canisters[a.bytes], net.canisters[b.bytes]
    before_a, before_b = ca.cycles, cb.cycles
    net.stats.clear()
    arg = encode_call(net, a, "pay", [b, 1_000_000])
    assert net.call(ALICE, a, "pay", b, 1_000_000) == 500_000
    ran_a = [s.instructions for s in net.stats if s.canister_id == a.bytes]
    ran_b = [s.instructions for s in net.stats if s.canister_id == b.bytes]
    assert len(ran_a) == 2 and len(ran_b) == 1  # the update and its callback; b's receive
    reply = binary.encode([T.NAT64], [0])  # receive's nat64 reply
    assert cb.cycles == before_b + 500_000 - p.execution_cost(ran_b[0])
    assert ca.cycles == before_a - 500_000 - p.ingress_fee("pay", arg) - p.execution_cost(ran_a[0]) - p.execution_cost(
        ran_a[1]
    ) - p.call_fee("receive", b"DIDL\x00\x00") - p.xnet_byte_transmission_fee * len(reply)


def test_install_code_is_prepaid_at_its_300_b_limit():
    net = Network()
    factory = deploy(net, "factory")
    child = net.call(ALICE, factory, "create_child", net.policy.canister_creation_fee + 10**11)
    module = net.build_module(entry("counter"), ROOT)
    arg = binary.encode([T.PRINCIPAL], [ALICE])
    err = net.call(ALICE, factory, "install_child", child, module, arg, "install")
    assert err.startswith("Rejection code 2,") and "out of cycles" in err
    assert net.canister(child)["module_hash"] is None
    net.canisters[child.bytes].cycles = 10**12
    assert net.call(ALICE, factory, "install_child", child, module, arg, "install") == "ok"


def test_memory_growth_reserves_nothing_below_the_subnet_threshold():
    net = Network()
    cid = _counter(net)
    c = net.canisters[cid.bytes]
    grown = c.memory_size()
    net.call(ALICE, cid, "increment", "a-new-key")
    assert c.memory_size() > grown and c.reserved_cycles == 0
    assert net.canister(cid)["reserved_cycles"] == 0


def test_memory_growth_above_the_threshold_moves_cycles_to_the_reserved_balance():
    usage = 1000 * GIB  # above the 750 GiB threshold of an application subnet
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=usage))
    cid = _counter(net)
    c, p = net.canisters[cid.bytes], net.policy
    reserved, size = c.reserved_cycles, c.memory_size()
    balance = c.cycles
    arg = encode_call(net, cid, "increment", ["a-new-key"])
    net.call(ALICE, cid, "increment", "a-new-key")
    grown = c.memory_size() - size
    expected = p.storage_reservation_cycles(grown, usage)
    assert grown > 0 and expected > 0
    assert c.reserved_cycles == reserved + expected
    assert net.canister(cid)["reserved_cycles"] == c.reserved_cycles
    assert c.cycles == balance - expected - p.ingress_fee("increment", arg) - p.execution_cost(0)


def test_memory_growth_beyond_reserved_cycles_limit_fails_and_rolls_back():
    usage = 1000 * GIB
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=usage))
    cid = _counter(net)
    c = net.canisters[cid.bytes]
    mgmt(
        net,
        ALICE,
        "update_settings",
        {
            "canister_id": cid,
            "settings": _settings(reserved_cycles_limit=c.reserved_cycles),
            "sender_canister_version": None,
        },
    )
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, cid, "increment", "a-new-key")
    assert e.value.error_code == "IC0534" and "reserved cycles limit" in e.value.message
    assert net.call(ALICE, cid, "get", "a-new-key") == 0  # the execution was rolled back
    assert net.call(ALICE, cid, "increment", "x") == 2  # no growth: no reservation needed
