"""Point 7: the system API seen by Kybra code: identity, time, timers, cycles, replies,
candid text, certification, performance counter, logs, guards, inspect_message,
heartbeat and (deterministic / real) randomness."""

import pytest
from helpers import ALICE, BOB, deploy

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected, Network


def test_caller_id_time_and_raw_args(network):
    cid = deploy(network, "sysapi")
    caller, me = network.call(BOB, cid, "ids")
    assert caller.to_str() == BOB.to_str() and me.to_str() == cid.to_str()
    network.set_time(2_000_000_000 * 10**9)
    assert network.call(ALICE, cid, "now") == 2_000_000_000 * 10**9
    network.advance_time(1.5)
    assert network.call(ALICE, cid, "now") == 2_000_000_001_500_000_000
    arg = binary.encode([], [])
    assert network.query_call(ALICE, cid, "raw_args", arg) == binary.encode([T.BLOB], [arg])
    assert network.call(ALICE, cid, "raw_args_size") == len(arg)


def test_timers_fire_in_order_as_separate_messages(network):
    cid = deploy(network, "timers")
    network.call(ALICE, cid, "schedule", 3)
    interval = network.call(ALICE, cid, "schedule_interval", 2)
    trap_id = network.call(ALICE, cid, "schedule_trap", 1)
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == []  # the trapping timer rolled back
    assert "[TRAP]: timer trapped" in network.logs(cid)
    network.advance_time(2)  # t=3: interval(2) and second(3) are due
    assert network.call(ALICE, cid, "fired_order") == ["tick", "second"]
    network.advance_time(2)  # t=5: init's 5 s timer, and the interval again
    assert network.call(ALICE, cid, "fired_order") == ["tick", "second", "first", "tick"]
    network.call(ALICE, cid, "cancel", interval)
    network.advance_time(10)
    assert network.call(ALICE, cid, "count", "tick") == 2
    assert trap_id != interval


def test_generator_timer_makes_calls(network):
    cid = deploy(network, "timers")
    network.call(ALICE, cid, "schedule_generator", 1)
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == ["generator", "generator-after-call"]


def test_generator_timer_errors_are_dropped_as_kybra_does(network):
    # set_timer.rs spawns the generator and ignores its result: no trap, no rollback
    cid = deploy(network, "timers")
    network.call(ALICE, cid, "schedule_generator_error", 1)
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == ["gen-error", "gen-error-after"]
    assert any("lost in a spawned future" in line for line in network.logs(cid))


def test_timers_are_dropped_on_upgrade(network):
    from helpers import ROOT, entry

    cid = deploy(network, "timers")
    network.call(ALICE, cid, "schedule", 10)
    network.install_code(cid, network.build_module(entry("timers"), ROOT), mode="upgrade", sender=ALICE)
    network.advance_time(60)
    assert network.call(ALICE, cid, "count", "second") == 0
    assert network.call(ALICE, cid, "count", "first") == 0  # init does not run on upgrade
    assert network.call(ALICE, cid, "count", "upgraded") == 1


def test_cycles_attach_accept_refund(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    network.run_until_idle()  # Kybra's post-install randomness timers
    before_a, before_b = network.canister(a)["cycles"], network.canister(b)["cycles"]
    refunded = network.call(ALICE, a, "pay", b, 1_000_000)
    assert refunded == 500_000  # b accepted half, the rest came back
    p = network.policy
    arg = binary.encode([T.PRINCIPAL, T.NAT64], [b, 1_000_000])
    call_arg = binary.encode([], [])
    reply = binary.encode([T.NAT64], [0])  # what `receive` answers (a nat64: 15 bytes)
    assert network.canister(b)["cycles"] == before_b + 500_000 - p.execution_cost(0)
    # prepaid then refunded (cycles.py [PREPAY]): a pays the fixed fee for its update and
    # for the callback, the request both ways by their actual bytes, unmetered instructions 0
    assert network.canister(a)["cycles"] == before_a - 500_000 - 2 * p.execution_cost(0) - p.ingress_fee(
        "pay", arg
    ) - p.call_fee("receive", call_arg) - p.xnet_byte_transmission_fee * len(reply)


def test_out_of_cycles(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")', cycles=10**12)
    network.canisters[cid.bytes].cycles = 1_000
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "increment", "x")
    assert e.value.error_code == "IC0207" and "out of cycles" in e.value.message
    assert network.call(ALICE, cid, "get", "x") == 0  # queries are free


def test_manual_replies_and_rejects(network):
    cid = deploy(network, "sysapi")
    assert network.call(ALICE, cid, "manual_raw") == "raw reply"
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "manual_reject")
    assert (e.value.code, e.value.message) == (4, "no thanks")
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "manual_silent")
    assert e.value.error_code == "IC0506"


def test_candid_text_roundtrip(network):
    cid = deploy(network, "sysapi")
    text = network.call(ALICE, cid, "roundtrip", '(record { a = 1; b = "x" }, vec { 1 : nat8 })')
    # as candid's IDLArgs: field names are lost on the wire (ids 97/98), vec nat8 is a blob
    assert text == '(record { 97 = 1 : int; 98 = "x" }, blob "\\01")'


def test_certified_data_and_certificate(network):
    cid = deploy(network, "sysapi")
    network.call(ALICE, cid, "certify", b"\x01" * 32)
    assert network.certified_data(cid) == b"\x01" * 32
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "certify", b"\x01" * 33)
    assert "no larger than 32 bytes" in e.value.message
    assert network.call(ALICE, cid, "certificate_in_update") is None
    network.certificate_hook = lambda canister_id: b"cert:" + canister_id
    assert network.call(ALICE, cid, "certificate") == b"cert:" + cid.bytes


def test_print_goes_to_canister_logs(network):
    cid = deploy(network, "sysapi")
    network.call(ALICE, cid, "say", "hello")
    record = network.canister(cid)["logs"][-1]
    assert record.content == "hello" and record.timestamp_nanos == network.time_ns


def test_guards(network):
    cid = deploy(network, "sysapi")
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "admin_only")
    assert e.value.code == 4 and e.value.message == "not an admin: " + ALICE.to_str()
    with pytest.raises(CallRejected):
        network.call(ALICE, cid, "admin_query")
    network.call(ALICE, cid, "become_admin")
    assert network.call(ALICE, cid, "admin_only") == "welcome"
    assert network.call(ALICE, cid, "admin_query") == "welcome"


def test_inspect_message_filters_ingress(network):
    cid = deploy(network, "sysapi")
    with pytest.raises(CallRejected) as e:
        network.submit(ALICE, cid, "refused_by_inspect", binary.encode([], []))
    assert e.value.error_code == "IC0406"
    assert network.call(ALICE, cid, "now") == network.time_ns  # queries skip inspect


def test_heartbeat_runs_each_tick(network):
    cid = deploy(network, "sysapi")
    network.tick()
    network.tick()
    assert network.call(ALICE, cid, "beat_count") == 2


def test_randomness_is_deterministic_but_raw_rand_is_real():
    def run(seed):
        net = Network(seed=seed, time_ns=10**18)
        cid = deploy(net, "sysapi")
        return net.call(ALICE, cid, "pseudo_random"), net.call(ALICE, cid, "real_random")

    first, rand1 = run(1)
    second, rand2 = run(1)
    assert first[:3] == second[:3]  # os.urandom, secrets, uuid4: deterministic per seed
    assert run(2)[0][:3] != first[:3]
    assert len(rand1) == 32 and rand1 != rand2  # raw_rand: real randomness


def test_seeded_raw_rand_replays():
    """`seed_raw_rand(seed)`: the same answers on every run with that seed (seeded test
    runs replay exactly); None gives host randomness back."""

    def run(seed):
        net = Network(time_ns=10**18)
        net.seed_raw_rand(seed)
        cid = deploy(net, "sysapi")
        values = [net.call(ALICE, cid, "real_random") for _ in range(2)]
        net.seed_raw_rand(None)
        return values, net.call(ALICE, cid, "real_random")

    (a, b), free1 = run(5)
    (c, d), free2 = run(5)
    assert (a, b) == (c, d) and a != b and len(a) == 32
    assert run(6)[0][0] != a
    assert free1 != free2


def test_reject_code_and_message_after_a_failed_call(network):
    a = deploy(network, "sysapi")
    b = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    text = network.call(ALICE, a, "reject_code_after", b)
    assert text.startswith("{'DestinationInvalid': None} Canister ")


def test_a_call_it_cannot_pay_for_is_an_err_at_once(network):
    """ic0.call_perform fails when the call fee would take the balance below the freezing
    limit: ic-cdk answers Err("Couldn't send message") without a commit point, so the trap
    that follows rolls back what ran before the `yield` (interface spec, ic0.call_perform)."""
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    c = network.canisters[a.bytes]
    p = network.policy  # enough for the ingress message and its execution's prepayment,
    # not for the call's: its 2 MiB response and its callback at 40 B instructions
    fee = p.execution_prepayment("update")[1] + p.ingress_message_reception_fee + p.ingress_byte_reception_fee * 100
    c.cycles = fee + network._freezing_limit(c) + p.call_prepayment("ping", b"")[1] // 2
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, a, "ping", b, 1)
    assert "Rejection code 2, Couldn't send message" in e.value.message
    assert network.call(ALICE, b, "hits") == 0  # nothing was sent
    c.cycles = 10**12
    assert network.call(ALICE, a, "hits") == 0  # bump() before the yield was rolled back
    assert network.call(ALICE, a, "ping", b, 1) == 1
