"""Recording what an operation uses on every canister it touches, as localnet runs it, per
canister that pays for it on the IC: message executions and their metered instructions
(`Network.stats`, paid by the executing canister), ingress messages and their bytes (paid
by the receiving canister, `Network.on_message`), inter-canister calls with their request
and response bytes and HTTPS outcalls (paid by the caller: noted where localnet prices
them, through the network's CyclesPolicy wrapped for the recording).
benchmarks/costs/cycles.py turns each Usage into cycles with the IC's fee table."""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Callable, Dict

from benchmarks.costs.cycles import Usage
from localnet.runtime.cycles import CyclesPolicy
from localnet.runtime.execution import Reply

CHARGED_MODES = ("update", "timer", "heartbeat", "query")  # a query here ran replicated
TRANSFORMS = ("webhook_transform",)  # outcall transforms run on each replica, not charged


class Recorder:
    """Per-canister usage of what runs while installed on a Network."""

    def __init__(self, names: Dict[bytes, str]):
        self.names = names
        self.by_payer: Dict[str, Usage] = {}
        self.by_method: Dict[str, dict] = {}  # "canister.method": executions, instructions
        self.current = None  # id of the canister whose segment is running
        self.outcall_payer = None  # the canister that called http_request last

    def of(self, canister_id) -> Usage:
        name = self.names.get(bytes(canister_id) if canister_id is not None else b"", "other")
        return self.by_payer.setdefault(name, Usage())

    def total(self) -> Usage:
        out = Usage()
        for u in self.by_payer.values():
            out = out.plus(u)
        return out


class RecordingPolicy(CyclesPolicy):
    """The network's fees, unchanged, noting every outgoing call and outcall it prices
    against the canister whose code is running."""

    def __init__(self, base: CyclesPolicy, recorder: Recorder):
        super().__init__(**dataclasses.asdict(base))
        self._recorder = recorder

    def call_fee(self, method: str, arg: bytes) -> int:
        rec = self._recorder
        if method == "http_request":  # the outcall itself runs later, outside the caller's code
            rec.outcall_payer = rec.current
        u = rec.of(rec.current)
        u.calls += 1
        u.call_bytes += len(method.encode()) + len(arg)
        return super().call_fee(method, arg)

    def http_request_fee(self, request_bytes: int, max_response_bytes: int) -> int:
        u = self._recorder.of(self._recorder.outcall_payer)
        u.outcalls += 1
        u.outcall_request_bytes += request_bytes
        u.outcall_max_response_bytes += max_response_bytes
        return super().http_request_fee(request_bytes, max_response_bytes)


@contextlib.contextmanager
def recording(net, names: Dict[bytes, str]):
    """Meter everything run inside the block; yields the Recorder, filled when it exits.
    `names` maps canister ids to the names used as payers."""
    rec = Recorder(names)
    policy, observer, segment = net.policy, net.on_message, net._segment

    def on_message(canister, msg, result):
        if msg.kind == "ingress":
            u = rec.of(canister.id)
            u.ingress_messages += 1
            u.ingress_bytes += len(msg.method.encode()) + len(msg.arg)
        elif msg.kind == "call" and msg.reply_to is not None and isinstance(result, Reply):
            rec.of(msg.caller).call_bytes += len(result.data)  # the response; the request is in call_fee
        if observer is not None:
            observer(canister, msg, result)

    def tracked_segment(ex, *args, **kwargs):
        outer, rec.current = rec.current, ex.canister.id
        try:
            return segment(ex, *args, **kwargs)
        finally:
            rec.current = outer

    net.stats.clear()
    net.policy, net.on_message, net.metering = RecordingPolicy(policy, rec), on_message, True
    net._segment = tracked_segment
    try:
        yield rec
    finally:
        net.policy, net.on_message, net.metering = policy, observer, False
        del net._segment  # back to the class's method
        for stat in list(net.stats):
            if stat.mode not in CHARGED_MODES or stat.method in TRANSFORMS:
                continue
            u = rec.of(stat.canister_id)
            n = stat.instructions  # bytecodes at the calibrated factor + Kybra's native work
            u.executions += 1
            u.instructions += n
            key = rec.names.get(stat.canister_id, "other") + "." + stat.method
            row = rec.by_method.setdefault(key, {"executions": 0, "instructions": 0})
            row["executions"] += 1
            row["instructions"] += n


def record(net, names: Dict[bytes, str], action: Callable[[], object]):
    """(Recorder, action's result) of running `action` metered."""
    with recording(net, names) as rec:
        result = action()
    return rec, result
