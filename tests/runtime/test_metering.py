"""Instruction metering (switchable): bytecodes and native work counted per message,
performance_counter reports the metered count, IC limits enforced with IC0522; the meter
counts on every Python the project allows (3.11 settrace, 3.12+ sys.monitoring)."""

import pytest
from helpers import ALICE, deploy

from localnet.runtime import CallRejected, Network, metering
from localnet.runtime.typed import encode_call


def test_the_meter_counts_bytecodes_on_this_python():
    """Python 3.12 and 3.13 reported 0 through settrace opcode events: this must fail then."""
    assert 300 <= metering.self_test() <= 3_000
    with metering.Meter(metering.LIMITS["update"]) as meter:
        exec(compile("t = 0\nfor i in range(1000):\n    t += i\n", "<canister>", "exec"), {})
    assert 3_000 <= meter.bytecodes <= 30_000
    assert meter.instructions == meter.bytecodes * metering.INSTRUCTIONS_PER_BYTECODE
    with metering.Meter(metering.LIMITS["update"]) as again:  # a later message counts too
        exec(compile("t = 0\nfor i in range(1000):\n    t += i\n", "<canister>", "exec"), {})
    assert again.bytecodes == meter.bytecodes


def test_host_code_is_not_metered_and_native_work_is_charged():
    with metering.Meter(metering.LIMITS["update"]) as meter:
        metering.btree_depth(10**6)  # localnet's own code: free
        metering.charge(1_234)
    assert meter.native == 1_234
    assert meter.instructions == meter.bytecodes * metering.INSTRUCTIONS_PER_BYTECODE + 1_234


def test_metering_counts_bytecodes_per_message():
    net = Network(metering=True)
    cid = deploy(net, "trapper")
    net.run_until_idle()
    net.call(ALICE, cid, "spin", 10)
    small = net.stats[-1]
    big_id = net.submit(ALICE, cid, "spin", encode_call(net, cid, "spin", [1000]))
    status = net.await_ingress(big_id)
    big = net.stats[-1]
    assert small.method == big.method == "spin" and small.mode == "update"
    assert status.bytecodes == big.bytecodes  # reported per call
    assert status.instructions == big.instructions
    # bytecodes at the calibrated factor plus native work: entry, arguments, reply
    native = big.instructions - big.bytecodes * metering.INSTRUCTIONS_PER_BYTECODE
    assert native >= metering.MESSAGE_ENTRY + 2 * metering.CANDID_DECODE
    assert big.bytecodes > small.bytecodes * 20  # grows with the loop
    # the per-iteration cost is a handful of bytecodes
    assert 3 <= (big.bytecodes - small.bytecodes) / 990 <= 30


def test_performance_counter_is_the_metered_count_of_the_message():
    net = Network(metering=True)
    cid = deploy(net, "sysapi")
    before, after = net.call(ALICE, cid, "work", 500)
    stat = [s for s in net.stats if s.method == "work"][-1]
    assert after > before > 0
    assert after - before >= 500 * 3 * metering.INSTRUCTIONS_PER_BYTECODE + metering.IC_CALL
    assert after < stat.instructions  # the reply's encoding comes after the last read
    plain = Network()  # metering off: nothing is counted
    cid2 = deploy(plain, "sysapi")
    assert plain.call(ALICE, cid2, "work", 500) == [0, 0]


def test_instruction_limit_traps(monkeypatch):
    monkeypatch.setitem(metering.LIMITS, "update", 200_000 * metering.INSTRUCTIONS_PER_BYTECODE)
    net = Network(metering=True)
    cid = deploy(net, "trapper")
    assert net.call(ALICE, cid, "spin", 100) == 4950
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, cid, "spin", 10**6)
    assert e.value.error_code == "IC0522"
    assert "exceeded the instruction limit for single message execution" in e.value.message


def test_native_work_alone_reaches_the_limit(monkeypatch):
    """A limit is on instructions, not bytecodes: ic.* calls count toward it."""
    monkeypatch.setitem(metering.LIMITS, "update", 100 * metering.IC_CALL)
    net = Network(metering=True)
    cid = deploy(net, "calibration")
    net.call(ALICE, cid, "read_time", 10)
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, cid, "read_time", 100)
    assert e.value.error_code == "IC0522"


def test_a_generator_started_unmetered_is_metered_when_resumed():
    """Benchmarks switch metering on for one call: a generator begun before must count."""
    namespace = {}
    exec(
        compile(
            "def gen():\n    yield 1\n    t = 0\n    for i in range(500):\n        t += i\n    yield t\n",
            "<canister>",
            "exec",
        ),
        namespace,
    )
    g = namespace["gen"]()
    next(g)  # started with no meter
    with metering.Meter(metering.LIMITS["update"]) as meter:
        assert next(g) == 124_750
    assert meter.bytecodes >= 1_500


def test_a_guard_is_metered_as_part_of_its_message():
    """Kybra runs the guard inside the method's message: its work counts toward the limit."""
    net = Network(metering=True)
    cid = deploy(net, "calibration")
    guarded = net.call(ALICE, cid, "after_guard")  # performance_counter(0) after the guard
    assert guarded >= 20_000 * 3 * metering.INSTRUCTIONS_PER_BYTECODE
    assert net.call(ALICE, cid, "method_overhead") < guarded / 50
