"""One call being executed by a canister, and the driving of Kybra generators.

Kybra's `async_result_handler` (kybra_generate/src/body/async_result_handler.rs) drives a
method's generator: it sends a value in; a yielded generator is driven to completion first
and its return value sent back; a yielded `AsyncInfo` performs an inter-canister call whose
`CallResult` is sent back; `StopIteration` carries the method's result. An exception inside
a nested generator is not thrown into the outer one: it ends the message (a trap). Here the
chain of generators is an explicit stack, so a call suspends the whole execution between
messages (the commit point) and other messages can run on the canister meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

from localnet.runtime.errors import Trap


@dataclass
class Reply:
    data: bytes


@dataclass
class Reject:
    code: int
    message: str
    error_code: Optional[str] = None


class _Deferred:
    """The outcome of a management call that is answered later (stop_canister is
    answered once the canister is stopped)."""

    def __repr__(self):
        return "DEFERRED"


DEFERRED = _Deferred()


@dataclass
class CallMessage:
    """An incoming call: from a user (ingress), a canister, a timer or the system."""

    caller: bytes
    callee: bytes
    method: str
    arg: bytes
    cycles: int = 0
    kind: str = "ingress"  # ingress | call | timer | heartbeat | system
    ingress_id: Optional[bytes] = None
    reply_to: Any = None  # the caller's Execution waiting for the response (kind == call)
    caller_types: Optional[Tuple] = None  # the Func the caller used (to decode the reply)
    prepaid_transmission: int = 0  # a notify's prepayments, settled when it is answered
    prepaid_execution: int = 0


class Execution:
    """State of one call context on a canister (the message and its callbacks)."""

    def __init__(self, canister, message: CallMessage, mode: str, method_name: str, sig=None):
        self.canister = canister
        self.message = message
        self.mode = mode  # update | query | composite | init | post_upgrade | pre_upgrade |
        #                   inspect | heartbeat | timer | guard
        self.method_name = method_name
        self.sig = sig
        self.stack: List[Any] = []
        self.entry_name = method_name  # the function Kybra's ic.reply attributes a reply to
        self.result: Optional[Any] = None  # Reply | Reject once answered
        self.cycles_available = message.cycles
        self.cycles_refunded = 0
        self.last_reject: Tuple[int, str] = (0, "")
        self.accepted_message = False
        self.bytecodes = 0  # this message execution (segment), for performance_counter(0)
        self.call_bytecodes = 0  # the whole call context, for performance_counter(1)
        self.instructions = 0  # metered instructions (bytecodes and native work) likewise
        self.call_instructions = 0
        self.pending_native = 0  # native work done before the next segment's meter starts
        self.trap: Optional[Trap] = None
        self.pending_call = None  # the outgoing call while suspended
        self.answered = None  # the call whose response the current segment handles
        self.finished = False
        self.swallow_errors = False  # Kybra's timers ignore errors of generator timers
        self.segments = 0
        self.outbox: List[Any] = []  # one-way calls (notify) sent if the segment commits
        self.non_replicated = False  # a query call's execution: its reply may be 3 MiB
        self.prepaid = 0  # execution cycles withdrawn before the current segment (cycles.py)
        self.instruction_limit = 0  # the limit they were prepaid for

    @property
    def replied(self) -> bool:
        return self.result is not None

    def mark_trap(self, trap: Trap) -> Trap:
        if self.trap is None:
            self.trap = trap
        return self.trap


def is_generator(obj) -> bool:
    """Kybra's test (`is_generator` in async_result_handler.rs): has a `send` attribute."""
    return hasattr(obj, "send")


def drive(ex: Execution, value) -> Tuple[str, Any]:
    """Run the generator stack until it yields an AsyncInfo ('call', info) or finishes
    ('done', value). Exceptions propagate (the caller turns them into a trap)."""
    stack = ex.stack
    while stack:
        gen = stack[-1]
        ex.entry_name = _code_name(gen)
        try:
            yielded = gen.send(value)
        except StopIteration as stop:
            stack.pop()
            value = stop.value
            continue
        if is_generator(yielded):
            stack.append(yielded)
            value = None
            continue
        # kybra reads `.name` and `.args` (an AttributeError here is a trap, as in Kybra)
        name = yielded.name
        args = yielded.args
        return "call", (name, list(args))
    return "done", value


def _code_name(gen) -> str:
    code = getattr(gen, "gi_code", None)
    return code.co_name if code is not None else "<generator>"
