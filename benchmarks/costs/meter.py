"""One metered call: bytecodes, IC instructions as metered (bytecodes at the calibrated
factor plus Kybra's native work, `localnet/runtime/metering.py`), share of the message
limit, request and reply sizes, and how the call ended.

Metering is switched on for the measured call only (`Network.metering` is read at each
message execution), so filling data stays fast. The IC's instruction limit applies to each
message execution (the code between two `yield`s), so the share of the limit is taken from
the most expensive execution of the call; `bytecodes` and `instructions` are the whole
call on the callee."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from localnet.runtime import metering
from localnet.runtime.execution import Reply
from localnet.runtime.typed import decode_reply, encode_call


@dataclass
class Measurement:
    canister: str
    method: str
    kind: str  # query | update
    bytecodes: int
    max_execution_bytecodes: int
    instructions: int
    max_execution_instructions: int
    limit: int
    limit_share: float  # of the costliest execution, 0..1
    request_bytes: int
    reply_bytes: int
    outcome: str  # "ok", "err: <code>", or "reject: <IC error code>"
    note: str = ""
    value: Any = field(default=None, repr=False)  # the decoded reply (not in the JSON)

    def to_json(self) -> dict:
        out = asdict(self)
        del out["value"]
        return out


def outcome_of(value) -> str:
    """`ok` or `err: <stable code>` for a `variant { Ok; Err }` reply, `ok` otherwise."""
    if isinstance(value, dict) and len(value) == 1 and "Err" in value:
        err = value["Err"]
        text = err if isinstance(err, str) else next(iter(err)) if isinstance(err, dict) else str(err)
        return "err: " + text.split(":", 1)[0][:60]
    return "ok"


def _executions(net, canister_bytes: bytes) -> list:
    """(bytecodes, instructions) of each execution on the callee since `net.stats` was
    cleared."""
    return [(s.bytecodes, s.instructions) for s in list(net.stats) if s.canister_id == canister_bytes]


def measure(net, canister_name: str, canister_id, sender, method: str, args: list, note: str = "") -> Measurement:
    """Call `method` once with metering on (a query is first run once unmetered, so lazy
    one-time work of the runtime is not counted) and return its Measurement."""
    sig = net.canisters[canister_id.bytes].interface.methods[method]
    kind = "query" if sig.kind == "query" else "update"
    arg = encode_call(net, canister_id, method, args)
    if kind == "query":
        net.query(sender, canister_id, method, arg)
    net.stats.clear()
    net.metering = True
    try:
        if kind == "query":
            result = net.query(sender, canister_id, method, arg)
            reply: Optional[bytes] = result.data if isinstance(result, Reply) else None
            reject = None if reply is not None else result.error_code or str(result.code)
            total = None
        else:
            st = net.await_ingress(net.submit(sender, canister_id, method, arg))
            reply = st.reply if st.state == "replied" else None
            reject = None if reply is not None else st.error_code or str(st.reject_code)
            total = (st.bytecodes, st.instructions)
    finally:
        net.metering = False
    per_execution = _executions(net, canister_id.bytes)
    if total is None:
        total = (sum(b for b, _ in per_execution), sum(i for _, i in per_execution))
    peak_bytecodes = max((b for b, _ in per_execution), default=total[0])
    peak = max((i for _, i in per_execution), default=total[1])
    limit = metering.LIMITS[kind]
    value = None
    if reply is not None:
        value = decode_reply(net, canister_id, method, reply)
        outcome = outcome_of(value)
    else:
        outcome = "reject: " + str(reject)
    return Measurement(
        canister=canister_name,
        method=method,
        kind=kind,
        bytecodes=total[0],
        max_execution_bytecodes=peak_bytecodes,
        instructions=total[1],
        max_execution_instructions=peak,
        limit=limit,
        limit_share=peak / limit,
        request_bytes=len(arg),
        reply_bytes=0 if reply is None else len(reply),
        outcome=outcome,
        note=note,
        value=value,
    )
