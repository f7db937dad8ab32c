"""The fault-injection seam (localnet/runtime/faults.py): traps placed by call boundary roll a
segment back exactly as a trap of the canister's own code there would, fire as often as
asked, and then leave the canister alone."""

import pytest
from helpers import ALICE, deploy

from localnet.runtime import CallRejected
from localnet.runtime.errors import LocalnetError
from localnet.runtime.faults import TIMER


def pair(network):
    return deploy(network, "pingpong"), deploy(network, "pingpong")


def rejected(network, *call) -> str:
    with pytest.raises(CallRejected) as e:
        network.call(*call)
    assert e.value.code == 5 and e.value.error_code == "IC0503"
    return e.value.message


def test_trap_after_call_keeps_the_callee_effects_and_the_callers_commit(network):
    a, b = pair(network)
    fault = network.faults.trap_after_call(a, "ping", callee=b)
    message = rejected(network, ALICE, a, "ping", b, 1)
    assert "in the callback of the call to ping" in message
    assert network.call(ALICE, b, "hits") == 1  # the callee ran
    assert network.call(ALICE, a, "hits") == 1  # written before the yield: committed
    assert fault.fired == 1 and not fault.active and network.faults.rules == []
    assert network.call(ALICE, a, "ping", b, 1) == 1  # used up: the next call is normal
    assert network.call(ALICE, b, "hits") == 2


def test_trap_before_call_sends_nothing_and_undoes_the_segment(network):
    a, b = pair(network)
    fault = network.faults.trap_before_call(a, "ping", times=2)
    for _ in range(2):
        assert "before the call to ping" in rejected(network, ALICE, a, "ping", b, 1)
    assert network.call(ALICE, a, "hits") == 0 and network.call(ALICE, b, "hits") == 0
    assert fault.fired == 2
    assert network.call(ALICE, a, "ping", b, 1) == 1


def test_trap_message_and_its_origin_filter(network):
    a, b = pair(network)
    fault = network.faults.trap_message(b, "ping", origin="ingress", times=None)
    assert network.call(ALICE, a, "ping", b, 1) == 1  # b's ping came from a call: untouched
    for _ in range(3):
        rejected(network, ALICE, b, "ping", a, 0)
    assert fault.fired == 3 and fault.active  # no limit: stays until cleared
    assert network.faults.clear(b) == 1
    assert network.call(ALICE, b, "ping", a, 0) == 0
    assert network.call(ALICE, b, "hits") == 2


def test_rules_match_only_their_callee_and_canister(network):
    a, b = pair(network)
    other = deploy(network, "pingpong")
    fault = network.faults.trap_after_call(a, "ping", callee=other)
    assert network.call(ALICE, a, "ping", b, 1) == 1
    assert network.call(ALICE, b, "ping", other, 1) == 1  # b is not the rule's canister
    assert fault.fired == 0
    rejected(network, ALICE, a, "ping", other, 1)
    assert fault.fired == 1


def test_trap_timer_executions(network):
    cid = deploy(network, "timers")
    network.advance_time(0)  # Kybra's post-init timer (random.seed(raw_rand())) runs first
    fault = network.faults.trap_message(cid, TIMER)
    network.call(ALICE, cid, "schedule", 1)
    network.call(ALICE, cid, "schedule_generator", 2)
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == []  # rolled back
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == ["generator", "generator-after-call"]
    assert fault.fired == 1


def test_trap_in_a_generator_timers_callback_is_a_trap_not_a_dropped_error(network):
    cid = deploy(network, "timers")
    network.faults.trap_after_call(cid, "noop", origin="timer")
    network.call(ALICE, cid, "schedule_generator", 1)
    network.advance_time(1)
    assert network.call(ALICE, cid, "fired_order") == ["generator"]  # the callback rolled back
    assert any("localnet fault injection" in line for line in network.logs(cid))


def test_bad_rules_are_refused(network):
    a, _ = pair(network)
    with pytest.raises(LocalnetError):
        network.faults.add("sometime", a, "ping")
    with pytest.raises(LocalnetError):
        network.faults.trap_message(a, "ping", origin="queue")
    with pytest.raises(LocalnetError):
        network.faults.trap_message(a, "ping", times=0)
