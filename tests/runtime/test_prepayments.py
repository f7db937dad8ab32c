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


# -- storage reservation of install_code and memory_allocation (cycles.py [RESERVE]) -------
FULL = 1000 * GIB  # a subnet above its 750 GiB threshold


def _counter_module(net, tmp_path=None, padding: int = 0) -> bytes:
    """The counter canister, optionally with `padding` more bytes of source (a bigger
    release with the same stable layout)."""
    if not padding:
        return net.build_module(entry("counter"), ROOT)
    with open(entry("counter"), encoding="utf-8") as f:
        source = f.read()
    (tmp_path / "main.py").write_text(source + "\n# " + "x" * padding + "\n")
    return net.build_module(str(tmp_path / "main.py"), str(tmp_path))


def _update_settings(net, cid, **given):
    return mgmt(
        net,
        ALICE,
        "update_settings",
        {"canister_id": cid, "settings": _settings(**given), "sender_canister_version": None},
    )


def test_an_install_that_grows_memory_on_a_full_subnet_reserves_cycles():
    """install_code reserves at its end for what it added (install_code.rs `finish`):
    here the whole new canister, as the module endpoints reserve nothing themselves."""
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=FULL))
    cid = net.create_canister(controllers=[ALICE], cycles=10**13)
    c, p = net.canisters[cid.bytes], net.policy
    assert c.memory_size() == 0
    net.install_code(cid, _counter_module(net), binary.encode([T.PRINCIPAL], [ALICE]), sender=ALICE)
    expected = p.storage_reservation_cycles(c.memory_size(), FULL)
    assert expected > 0 and c.reserved_cycles == expected
    assert net.canister(cid)["reserved_cycles"] == expected
    # the execution costs its fixed fee (metering off: no instructions), the rest is reserved
    assert c.cycles == 10**13 - p.execution_cost(0) - expected


def test_an_upgrade_beyond_reserved_cycles_limit_fails_with_the_ics_error_and_changes_nothing(tmp_path):
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=FULL))
    cid = _counter(net)
    c, p = net.canisters[cid.bytes], net.policy
    _update_settings(net, cid, reserved_cycles_limit=c.reserved_cycles)
    bigger = _counter_module(net, tmp_path, padding=20_000)
    module_hash, size, reserved, balance = c.module_hash, c.memory_size(), c.reserved_cycles, c.cycles
    with pytest.raises(CallRejected) as e:
        net.install_code(cid, bigger, mode="upgrade", sender=ALICE)
    assert e.value.code == 5 and e.value.error_code == "IC0534"
    assert e.value.message.startswith("Canister cannot grow memory by ")
    assert "bytes due to its reserved cycles limit. The current limit (" in e.value.message
    grown = int(e.value.message.split(" by ")[1].split(" ")[0])
    requested = reserved + p.storage_reservation_cycles(grown, FULL)
    assert e.value.message.endswith(f"The current limit ({reserved:_}) would be exceeded by {requested - reserved:_}.")
    # unchanged: the old module runs on (its heap too), stable data, sizes, reserved cycles;
    # only the execution's fixed fee was charged (finish_err refunds the unused instructions)
    assert c.module_hash == module_hash and c.memory_size() == size and c.reserved_cycles == reserved
    assert c.cycles == balance - p.execution_cost(0)
    assert net.call(ALICE, cid, "get", "x") == 1 and net.call(ALICE, cid, "heap_calls") == 1
    _update_settings(net, cid, reserved_cycles_limit=p.default_reserved_balance_limit)
    net.install_code(cid, bigger, mode="upgrade", sender=ALICE)
    assert c.memory_size() - size == grown > 20_000
    assert c.reserved_cycles == requested and net.call(ALICE, cid, "get", "x") == 1


def test_raising_memory_allocation_on_a_full_subnet_reserves_cycles():
    """update_settings reserves for the bytes a larger allocation adds above the usage
    (canister_manager.rs `validate_canister_settings`, `do_update_settings`)."""
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=FULL))
    cid = _counter(net)
    c, p = net.canisters[cid.bytes], net.policy
    usage, reserved, balance = c.memory_size(), c.reserved_cycles, c.cycles
    allocation = usage + 8 * 1024 * 1024
    _update_settings(net, cid, memory_allocation=allocation)
    expected = p.storage_reservation_cycles(allocation - usage, FULL)
    assert expected > 0 and c.memory_allocation == allocation
    assert c.reserved_cycles == reserved + expected and c.cycles == balance - expected
    status = mgmt(net, ALICE, "canister_status", {"canister_id": cid})
    assert status["reserved_cycles"] == c.reserved_cycles
    assert status["idle_cycles_burned_per_day"] == p.gib_storage_per_second_fee * allocation * 86400 // GIB
    # growing inside the allocation allocates nothing: no reservation for it
    net.call(ALICE, cid, "increment", "a-new-key")
    assert c.memory_size() > usage and c.reserved_cycles == reserved + expected
    # lowering it reserves nothing and returns nothing (the reserved balance only grows)
    _update_settings(net, cid, memory_allocation=allocation // 2)
    assert c.reserved_cycles == reserved + expected


def test_a_memory_allocation_beyond_reserved_cycles_limit_is_refused_with_the_ics_errors():
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=FULL))
    cid = _counter(net)
    c, p = net.canisters[cid.bytes], net.policy
    reserved, balance = c.reserved_cycles, c.cycles
    allocation = 3 * GIB // 2
    with pytest.raises(CallRejected) as e:
        _update_settings(net, cid, memory_allocation=allocation, reserved_cycles_limit=reserved)
    requested = reserved + p.storage_reservation_cycles(allocation - c.memory_size(), FULL)
    assert e.value.code == 5 and e.value.error_code == "IC0533"
    assert e.value.message == (
        f"Cannot increase memory allocation to 1.50 GiB due to its reserved cycles limit. "
        f"The current limit ({reserved:_}) would be exceeded by {requested - reserved:_}."
    )
    assert c.memory_allocation == 0 and c.reserved_cycles_limit is None  # nothing applied
    assert c.reserved_cycles == reserved and c.cycles == balance
    with pytest.raises(CallRejected) as e:  # a limit below what is reserved already
        _update_settings(net, cid, reserved_cycles_limit=reserved - 1)
    assert e.value.error_code == "IC0540" and e.value.message == (
        f"Cannot set the reserved cycles limit {reserved - 1:_} below the reserved cycles "
        f"balance of the canister {reserved:_}."
    )
    smaller = c.memory_size() + 8 * 1024 * 1024  # within the limit, not the balance
    reserve = p.storage_reservation_cycles(8 * 1024 * 1024, FULL)
    c.cycles = reserve - 1  # still above the freezing limit with the allocation
    with pytest.raises(CallRejected) as e:
        _update_settings(net, cid, memory_allocation=smaller)
    assert e.value.error_code == "IC0531" and e.value.message.endswith(
        "due to insufficient cycles. At least 1 additional cycles are required."
    )
    assert c.memory_allocation == 0 and c.reserved_cycles == reserved


def test_install_and_memory_allocation_reserve_nothing_below_the_subnet_threshold():
    net = Network()
    cid = _counter(net)
    c = net.canisters[cid.bytes]
    assert c.memory_size() > 0 and c.reserved_cycles == 0
    balance = c.cycles
    _update_settings(net, cid, memory_allocation=c.memory_size() + 8 * 1024 * 1024)
    assert c.reserved_cycles == 0 and c.cycles == balance
    net.install_code(cid, _counter_module(net), binary.encode([T.PRINCIPAL], [ALICE]), mode="reinstall", sender=ALICE)
    assert c.reserved_cycles == 0


def test_an_install_that_would_leave_the_canister_frozen_fails_even_below_the_threshold(tmp_path):
    """install_code's end checks the freezing limit of the grown canister whenever it
    allocated memory (install_code.rs `finish`), with or without a reservation."""
    net = Network()
    cid = net.create_canister(controllers=[ALICE], cycles=10**12)
    c, p = net.canisters[cid.bytes], net.policy
    _update_settings(net, cid, freezing_threshold=10**12)  # an empty canister burns nothing
    module = _counter_module(net, tmp_path, padding=20_000)
    with pytest.raises(CallRejected) as e:
        net.install_code(cid, module, binary.encode([T.PRINCIPAL], [ALICE]), sender=ALICE)
    assert e.value.error_code == "IC0532" and "due to insufficient cycles. At least " in e.value.message
    assert c.module_hash is None and c.cycles == 10**12 - p.execution_cost(0)


def test_a_memory_allocation_given_at_creation_reserves_or_creates_nothing():
    """create_canister validates its settings on the empty canister first
    (`validate_settings_for_canister_creation`): a refused one creates no canister."""
    net = Network(cycles_policy=CyclesPolicy(subnet_memory_usage=FULL))
    p, allocation = net.policy, 8 * 1024 * 1024
    expected = p.storage_reservation_cycles(allocation, FULL)
    count = len(net.canisters)
    with pytest.raises(CallRejected) as e:
        mgmt(
            net,
            ALICE,
            "provisional_create_canister_with_cycles",
            {"amount": 10**13, "settings": _settings(memory_allocation=allocation, reserved_cycles_limit=0)},
        )
    assert e.value.error_code == "IC0533" and "8.00 MiB due to its reserved cycles limit" in e.value.message
    assert len(net.canisters) == count
    created = mgmt(
        net,
        ALICE,
        "provisional_create_canister_with_cycles",
        {"amount": 10**13, "settings": _settings(memory_allocation=allocation)},
    )
    c = net.canisters[created["canister_id"].bytes]
    assert c.memory_allocation == allocation and c.reserved_cycles == expected and c.cycles == 10**13 - expected
