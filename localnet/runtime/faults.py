"""Fault injection at call boundaries: make a canister trap where the IC can make it trap.

Tests name the place of a trap by what the IC sees (a message starting, an outgoing call, the
callback of a call), never by a canister's internal functions. A trap rolls the segment back
to its last commit point, exactly as a trap of the canister's own code there would (an
exhausted instruction budget, a bug in a hook): the boundaries are

- `trap_message(C, M)`: the next execution of C's method `M` (`TIMER` for C's timers) traps at
  the end of its first segment (before its first call, or before its reply).
- `trap_before_call(C, M)`: the segment of C that ends by calling method `M` traps instead:
  the call is not sent and what C did since its last commit point is undone.
- `trap_after_call(C, M)`: C's call to `M` runs on the callee (its effects stay) and the
  callback that handles the response traps at the end of its segment: "the ledger took the
  money, then the caller trapped".

Every rule may be narrowed to one callee (`callee=`) and to call contexts begun by one kind of
message (`origin=` 'ingress' | 'call' | 'timer' | 'heartbeat'). A rule fires `times` times
(None: until cleared), is removed when used up, and counts its firings in `fired`. Rules are
test-time settings: not part of snapshots or saved state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from localnet.candid.principals import principal_bytes, principal_to_text
from localnet.runtime.errors import LocalnetError, Trap

TIMER = "<timer>"  # the method name of a canister's timer executions
BOUNDARIES = ("message", "before_call", "after_call")
ORIGINS = ("ingress", "call", "timer", "heartbeat")


@dataclass
class Fault:
    """One rule; `fired` counts the traps it caused, `times` the ones left (None: no limit)."""

    id: int
    boundary: str
    canister: bytes
    method: str
    callee: Optional[bytes] = None
    origin: Optional[str] = None
    times: Optional[int] = 1
    fired: int = 0

    @property
    def active(self) -> bool:
        return self.times is None or self.times > 0

    def describe(self) -> dict:
        return {
            "fault_id": self.id,
            "boundary": self.boundary,
            "canister_id": principal_to_text(self.canister),
            "method": self.method,
            "callee": None if self.callee is None else principal_to_text(self.callee),
            "origin": self.origin,
            "times": self.times,
            "fired": self.fired,
        }


def _raw(principal) -> bytes:
    return bytes(principal) if isinstance(principal, (bytes, bytearray)) else principal_bytes(principal)


class Faults:
    """The rules of one Network (`network.faults`)."""

    def __init__(self):
        self.rules: List[Fault] = []
        self._next_id = 0

    def __bool__(self) -> bool:
        return bool(self.rules)

    # -- setting rules ---------------------------------------------------------------------
    def add(
        self, boundary: str, canister, method: str, callee=None, origin: Optional[str] = None, times: Optional[int] = 1
    ) -> Fault:
        if boundary not in BOUNDARIES:
            raise LocalnetError(f"unknown fault boundary {boundary!r} (one of {', '.join(BOUNDARIES)})")
        if origin is not None and origin not in ORIGINS:
            raise LocalnetError(f"unknown origin {origin!r} (one of {', '.join(ORIGINS)})")
        if not isinstance(method, str) or not method:
            raise LocalnetError("a fault needs a method name")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise LocalnetError("times must be a positive integer or None")
        self._next_id += 1
        rule = Fault(
            self._next_id, boundary, _raw(canister), method, None if callee is None else _raw(callee), origin, times
        )
        self.rules.append(rule)
        return rule

    def trap_message(self, canister, method: str, origin: Optional[str] = None, times: Optional[int] = 1) -> Fault:
        return self.add("message", canister, method, origin=origin, times=times)

    def trap_before_call(
        self, canister, method: str, callee=None, origin: Optional[str] = None, times: Optional[int] = 1
    ) -> Fault:
        return self.add("before_call", canister, method, callee, origin, times)

    def trap_after_call(
        self, canister, method: str, callee=None, origin: Optional[str] = None, times: Optional[int] = 1
    ) -> Fault:
        return self.add("after_call", canister, method, callee, origin, times)

    def clear(self, canister=None) -> int:
        """Remove every rule (of `canister` only, if given); returns how many were removed."""
        keep = [] if canister is None else [r for r in self.rules if r.canister != _raw(canister)]
        removed = len(self.rules) - len(keep)
        self.rules = keep
        return removed

    # -- the engine's hook -----------------------------------------------------------------
    def check(self, ex, first: bool, outcome) -> None:
        """Called at the end of each segment of `ex` (before its commit); raises the trap of
        the first matching rule."""
        kind, value = outcome
        for rule in self.rules:
            if rule.canister != ex.canister.id:
                continue
            if rule.origin is not None and rule.origin != ex.message.kind:
                continue
            if rule.boundary == "message":
                hit = first and ex.method_name == rule.method
                where = f"in {rule.method}"
            else:
                call = (
                    value
                    if rule.boundary == "before_call" and kind == "call"
                    else (getattr(ex, "answered", None) if rule.boundary == "after_call" and not first else None)
                )
                hit = (
                    call is not None
                    and call.method == rule.method
                    and (rule.callee is None or rule.callee == call.callee)
                )
                where = (
                    "before the call to " if rule.boundary == "before_call" else "in the callback of the call to "
                ) + rule.method
            if not hit:
                continue
            rule.fired += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
            raise Trap(f"localnet fault injection: trap {where} (fault {rule.id})")
