"""Upgrades while a call is in flight, as the IC and Kybra 0.7.1 do them.

The IC delivers a response to the closure `(table index, env)` recorded at `call_new`, in
whatever module the caller runs by then. Kybra 0.7.1's closure is ic-cdk 0.13.5's
`callback::<T>` with a raw pointer into the old Wasm heap: after an upgrade the generator
that waited is gone and the callback traps (docs/kybra.md "Upgrades with calls in flight").
Stopping first is the safe path: `stop_canister` is answered only once every call context
is closed, and the IC gives up on it after five minutes (IC0206)."""

from helpers import ALICE, ROOT, deploy, entry
from kybra import Principal

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime.management import ic_did

AAAAA = Principal.from_str("aaaaa-aa")


def submit_mgmt(network, method: str, value: dict) -> bytes:
    func = ic_did().env.resolve(dict(ic_did().service.methods)[method])
    return network.submit(ALICE, AAAAA, method, binary.encode(list(func.args), [value], ic_did().env))


def ping_in_flight(network):
    """a calls b; b's ping is held back, so a waits with one open call context."""
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    mid = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    held = hold_call_to(b)
    network.run_except(held)
    assert network.canister(a)["open_calls"] == 1 and network.status(mid).state == "processing"
    return a, b, mid, held


def hold_call_to(callee):
    return lambda p: p.kind == "call" and p.canister_id.to_str() == callee.to_str()


def hits(network, cid) -> int:
    return binary.decode(network.query_call(ALICE, cid, "hits", binary.encode([], [])), [T.NAT64])[0]


def test_a_reply_reaching_an_upgraded_module_traps_there(network):
    a, b, mid, _ = ping_in_flight(network)
    before = network.canister(a)["cycles"]
    module = network.build_module(entry("pingpong"), ROOT)
    network.install_code(a, module, mode="upgrade", sender=ALICE)  # not stopped first
    assert network.canister(a)["open_calls"] == 1  # the upgrade keeps the call context open
    network.run_until_idle()
    st = network.status(mid)
    # the generator that awaited b's reply is gone: the caller gets a reject, not 1
    assert st.state == "rejected" and st.reject_code == 5 and st.error_code == "IC0502"
    assert "upgraded" in st.reject_message and "no longer exists" in st.reject_message
    info = network.canister(a)
    assert info["stale_responses"] == 1 and info["open_calls"] == 0
    assert any("[TRAP]: a response to ping made before the canister was upgraded" in r.content for r in info["logs"])
    # the callback ran (as a trap) in the new module: its prepayment came back minus the
    # fixed fee, and the unused 2 MiB of response transmission (cycles.py [PREPAY])
    p = network.policy
    assert (
        before
        < info["cycles"]
        < before
        + p.prepayment_for_response_execution()
        - p.execution_cost(0)
        + p.prepayment_for_response_transmission()
    )
    assert hits(network, a) == 1 and hits(network, b) == 1  # a's bump before the yield stays


def test_stop_waits_for_the_call_then_the_upgrade_is_clean(network):
    a, b, mid, held = ping_in_flight(network)
    stop = submit_mgmt(network, "stop_canister", {"canister_id": a})
    network.run_except(held)
    assert network.canister(a)["status"] == "stopping" and network.status(stop).state == "processing"
    network.run_until_idle()  # b answers; the old generator resumes and finishes
    assert network.status(mid).state == "replied"
    assert binary.decode(network.status(mid).reply, [T.NAT64]) == [1]
    assert network.status(stop).state == "replied" and network.canister(a)["status"] == "stopped"
    network.install_code(a, network.build_module(entry("pingpong"), ROOT), mode="upgrade", sender=ALICE)
    network.await_ingress(submit_mgmt(network, "start_canister", {"canister_id": a}))
    info = network.canister(a)
    assert info["status"] == "running" and info["stale_responses"] == 0
    assert hits(network, a) == 1  # stable state survived the upgrade


def test_a_stop_that_waits_five_minutes_is_rejected_and_the_canister_stays_stopping(network):
    a, b, mid, held = ping_in_flight(network)
    stop = submit_mgmt(network, "stop_canister", {"canister_id": a})
    network.run_except(held)
    network.set_time(network.time_ns + 299 * 10**9)
    network.run_except(held)
    assert network.status(stop).state == "processing"
    network.set_time(network.time_ns + 2 * 10**9)
    network.run_except(held)
    st = network.status(stop)
    assert st.state == "rejected" and st.reject_code == 2 and st.error_code == "IC0206"
    assert st.reject_message == "Stop canister request timed out"
    assert network.canister(a)["status"] == "stopping"  # until someone starts it again
    start = submit_mgmt(network, "start_canister", {"canister_id": a})
    network.run_except(held)
    assert network.status(start).state == "replied" and network.canister(a)["status"] == "running"
    network.run_until_idle()
    assert network.status(mid).state == "replied"


def test_uninstall_deletes_the_call_context_without_running_code(network):
    """Unlike an upgrade, uninstall_code marks the contexts deleted: the late response runs
    nothing and does not close a context opened after the reinstall."""
    a, b, mid, held = ping_in_flight(network)
    network.management.uninstall(network.canisters[a.bytes])
    assert network.status(mid).state == "rejected"  # at once, before b's reply
    network.install_code(a, network.build_module(entry("pingpong"), ROOT), mode="install", sender=ALICE)
    second = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.run_except(held)
    old_call = [p for p in network.pending() if held(p)][0]  # queued first
    network.step(old_call.index)
    network.run_except(held)  # b replies to the old call; a's deleted context gets it
    assert network.status(mid).reject_message == "Canister has been uninstalled."
    info = network.canister(a)
    assert info["open_calls"] == 1 and info["stale_responses"] == 0  # the second ping still waits
    stop = submit_mgmt(network, "stop_canister", {"canister_id": a})
    network.run_except(held)
    assert network.canister(a)["status"] == "stopping"
    network.run_until_idle()
    assert network.status(second).state == "replied" and network.status(stop).state == "replied"


def test_a_failed_upgrade_leaves_the_waiting_generator_alive(network, tmp_path):
    """install_code is atomic: when post_upgrade (here the module top level) traps, the old
    module and its heap stay, so the reply still reaches the generator that waits for it."""
    from localnet.runtime import CallRejected

    a, b, mid, held = ping_in_flight(network)
    (tmp_path / "main.py").write_text(
        "from kybra import query\n\nraise RuntimeError('broken release')\n\n\n"
        "@query\ndef hits() -> int:\n    return 0\n"
    )
    broken = network.build_module(str(tmp_path / "main.py"), str(tmp_path))
    try:
        network.install_code(a, broken, mode="upgrade", sender=ALICE)
        raise AssertionError("the broken upgrade was installed")
    except CallRejected as e:
        assert "broken release" in e.message
    network.run_until_idle()
    assert network.status(mid).state == "replied"
    assert binary.decode(network.status(mid).reply, [T.NAT64]) == [1]
    assert network.canister(a)["stale_responses"] == 0


def test_the_trapped_stale_callback_pays_the_fixed_fee_and_its_instructions():
    """The IC executes the callback of an upgraded caller (its context is not deleted):
    response.rs `finish` refunds the prepaid execution minus the fee of what the trapped
    callback used, after the unused response transmission came back. localnet meters that
    trap as an execution's entry (metering.MESSAGE_ENTRY): the fixed fee alone would
    make localnet cheaper than the IC."""
    from localnet.runtime import Network, metering

    network = Network(metering=True)
    a, b, mid, held = ping_in_flight(network)
    network.install_code(a, network.build_module(entry("pingpong"), ROOT), mode="upgrade", sender=ALICE)
    network.run_except(held)  # the new module's post-upgrade timer runs first
    c, p = network.canisters[a.bytes], network.policy
    before = c.cycles
    network.run_until_idle()  # b replies; the reply reaches a's new module
    assert network.status(mid).error_code == "IC0502" and network.canister(a)["stale_responses"] == 1
    reply = binary.encode([T.NAT64], [0])  # b's ping(a, 0)
    transmission_back = p.prepayment_for_response_transmission() - p.scale(p.xnet_byte_transmission_fee * len(reply))
    execution_back = p.prepayment_for_response_execution() - p.execution_cost(metering.MESSAGE_ENTRY)
    assert c.cycles == before + transmission_back + execution_back


def test_a_late_reply_to_an_uninstalled_caller_pays_the_fixed_fee_and_its_bytes(network):
    """A deleted context runs nothing (response.rs `early_finish`): the execution's
    prepayment comes back but the fixed fee, the transmission but the reply's bytes."""
    a, b, mid, held = ping_in_flight(network)
    network.management.uninstall(network.canisters[a.bytes])
    c, p = network.canisters[a.bytes], network.policy
    before = c.cycles
    network.run_until_idle()
    reply = binary.encode([T.NAT64], [0])
    assert c.cycles == before + (
        p.prepayment_for_response_transmission() - p.scale(p.xnet_byte_transmission_fee * len(reply))
    ) + (p.prepayment_for_response_execution() - p.execution_cost(0))
