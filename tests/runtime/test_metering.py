"""Point 10: instruction metering (switchable): bytecodes counted per message,
performance_counter through the documented factor, IC limits enforced with IC0522."""
import pytest

from localnet.runtime import CallRejected, Network
from localnet.runtime import metering
from localnet.runtime.typed import encode_call

from helpers import ALICE, deploy


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
    assert status.instructions == big.bytecodes * metering.INSTRUCTIONS_PER_BYTECODE
    assert big.bytecodes > small.bytecodes * 20  # grows with the loop
    # the per-iteration cost is a handful of bytecodes
    assert 3 <= (big.bytecodes - small.bytecodes) / 990 <= 30


def test_performance_counter_uses_the_conversion_factor():
    net = Network(metering=True)
    cid = deploy(net, "sysapi")
    before, after = net.call(ALICE, cid, "work", 500)
    assert after > before > 0
    assert (after - before) % metering.INSTRUCTIONS_PER_BYTECODE == 0
    plain = Network()  # metering off: nothing is counted
    cid2 = deploy(plain, "sysapi")
    assert plain.call(ALICE, cid2, "work", 500) == [0, 0]


def test_instruction_limit_traps(monkeypatch):
    monkeypatch.setitem(metering.LIMITS, "update", 200_000 * metering.INSTRUCTIONS_PER_BYTECODE)
    net = Network(metering=True)
    cid = deploy(net, "trapper")
    assert net.call(ALICE, cid, "spin", 100) == 4950
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, cid, "spin", 10 ** 6)
    assert e.value.error_code == "IC0522"
    assert "exceeded the instruction limit for single message execution" in e.value.message
