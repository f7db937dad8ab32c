"""Message execution: runs calls, callbacks and timers on canisters with IC semantics.

A message executes in *segments*: from its start (or a response arriving) to its next
commit point (a `yield` of an inter-canister call) or its end. Each segment is atomic:
the heap (module globals), stable memory, timers, certified data and cycles are snapshotted
at its start and restored if it traps. Query executions are always rolled back.
`Network` (network.py) owns the queue these steps come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import kybra

from localnet.candid import binary
from localnet.candid import types as T
from localnet.candid.principals import principal_bytes, principal_to_text
from localnet.runtime import errors as E
from localnet.runtime import limits, metering
from localnet.runtime.canister import MANAGEMENT_ID, Canister
from localnet.runtime.cycles import REJECT_CODE_BYTES
from localnet.runtime.execution import DEFERRED, CallMessage, Execution, Reject, Reply, drive, is_generator
from localnet.runtime.pyvalues import to_candid, to_python
from localnet.runtime.system_api import KybraIc

LIMIT_KIND = {
    "update": "update",
    "timer": "update",
    "heartbeat": "update",
    "guard": "update",
    "query": "query",
    "composite": "query",
    "inspect": "query",
    "init": "install",
    "post_upgrade": "install",
    "pre_upgrade": "install",
}
UPDATE_MODES = ("update", "timer", "heartbeat")


def text_id(raw: bytes) -> str:
    return principal_to_text(raw)


@dataclass
class Outgoing:
    """An inter-canister call a segment asked for."""

    callee: bytes
    method: str
    arg: bytes
    payment: int
    rets: Optional[Tuple[T.Type, ...]]  # None: a raw call (the reply is returned as bytes)
    fail: Optional[Reject] = None  # sent, then rejected by the system (a CallResult Err later)
    unsent: Optional[Reject] = None  # ic0.call_perform failed: Err at once, no commit point
    prepaid_transmission: int = 0  # the largest response's transmission (cycles.py [PREPAY])
    prepaid_execution: int = 0  # the callback at the full instruction limit


@dataclass
class Step:
    """A unit of work in the scheduler's queue."""

    kind: str  # call | response | timer | heartbeat
    canister_id: bytes
    message: Optional[CallMessage] = None
    execution: Optional[Execution] = None
    result: Any = None
    refund: int = 0
    timer: Any = None

    def describe(self) -> str:
        who = text_id(self.canister_id) if self.canister_id else "aaaaa-aa"
        if self.kind == "call":
            return f"call {self.message.method} on {who} ({self.message.kind})"
        if self.kind == "response":
            return f"response to {self.execution.method_name} on {who}"
        return f"{self.kind} on {who}"


class Engine:
    """Mixin of Network: executing steps. Expects `time_ns`, `canisters`, `policy`,
    `metering`, `faults`, `_enqueue`, `_complete_ingress`, `management` on self."""

    # -- candid helpers --------------------------------------------------------------------
    def _encode(self, canister: Canister, types, values) -> bytes:
        """Values from canister code (a reply, call or notify arguments), converted as
        Kybra converts them: a value Kybra refuses is a TypeError (docs/kybra.md)."""
        env = canister.interface.env if canister.interface is not None else None
        try:
            data = binary.encode(list(types), to_candid(types, values, env), env, kybra=True)
        except Exception as e:
            raise TypeError(str(e)) from None
        metering.charge_candid_args(data, list(values))
        return data

    # -- metering ----------------------------------------------------------------------------
    def _live_instructions(self) -> int:
        """Instructions the message being executed has used so far (0 when unmetered)."""
        meter = getattr(self, "_meter", None)
        return 0 if meter is None else meter.instructions

    # -- segments ------------------------------------------------------------------------------
    def _segment(self, ex: Execution, first: bool, send_value=None, snapshot: bool = True):
        """Run one atomic piece of `ex`. Returns ('call', Outgoing) | ('done', None) |
        ('trap', Trap). Rolls back on trap when `snapshot`; commits nothing itself."""
        canister = ex.canister
        ns = canister.namespace
        heap = ns.heap_snapshot() if snapshot else None
        vol = canister.volatile_state() if snapshot else None
        result_before = ex.result
        ex.trap = None
        ex.outbox = []
        ex.segments += 1
        ic = KybraIc(self, canister, ex)
        outcome: Tuple[str, Any]
        meter = None
        memory_before = canister.memory_size()
        try:
            with ns.activate(ic):
                if self.metering:
                    limit = metering.LIMITS[LIMIT_KIND.get(ex.mode, "update")]
                    meter = metering.Meter(limit, ex.mark_trap)
                    self._meter = meter
                    with meter:
                        pending, ex.pending_native = ex.pending_native, 0
                        meter.charge(metering.MESSAGE_ENTRY + pending)
                        outcome = self._segment_body(ex, first, send_value)
                else:
                    outcome = self._segment_body(ex, first, send_value)
            if ex.trap is not None:  # trapped, but canister code caught the exception
                raise ex.trap
            if self.faults:  # a test's injected trap at this boundary (faults.py)
                self.faults.check(ex, first, outcome)
            if ex.mode in UPDATE_MODES:
                self._reserve_for_growth(canister, memory_before, response=not first)
        except E.Trap as t:
            outcome = ("trap", ex.trap or t)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # an uncaught Python exception: Kybra traps with it
            if ex.swallow_errors and ex.trap is None:
                canister.log(
                    self.time_ns,
                    f"[localnet] error in a generator timer, ignored as Kybra 0.7.1 does: {type(e).__name__}: {e}",
                )
                outcome = ("done", None)
            else:
                outcome = ("trap", ex.trap or E.Trap(f"{type(e).__name__}: {e}"))
        finally:
            self._meter = None
            if meter is not None:
                ex.bytecodes = meter.bytecodes
                ex.instructions = meter.instructions
                ex.call_bytecodes += meter.bytecodes
                ex.call_instructions += meter.instructions
                self._record_bytecodes(ex, meter)
        if outcome[0] == "trap":
            ex.result = result_before
            ex.stack.clear()
            if snapshot:
                heap.restore()
                canister.stable.rollback()
                canister.restore_volatile(vol)
            trap = outcome[1]
            canister.log(self.time_ns, f"[TRAP]: {trap.message}")
        return outcome

    def _segment_body(self, ex: Execution, first: bool, send_value):
        if first:
            fn_result = self._invoke(ex)
            if ex.mode == "timer" and is_generator(fn_result):
                ex.swallow_errors = True  # set_timer.rs: the generator's errors are dropped
            if ex.mode in ("guard", "inspect", "init", "post_upgrade", "pre_upgrade"):
                return "done", fn_result
            if is_generator(fn_result):
                ex.stack.append(fn_result)
                kind, value = drive(ex, None)
            else:
                kind, value = "done", fn_result
        else:
            kind, value = drive(ex, send_value)
        while kind == "call":
            out = self._prepare_call(ex, value)
            if out.unsent is None:
                return "call", out
            # ic-cdk 0.13.5 `call_raw`: a non-zero ic0.call_perform is an Err the future
            # returns at once, so the generator resumes in this same execution
            kind, value = drive(ex, self._call_result(ex, out, out.unsent))
        self._make_reply(ex, value)
        return "done", None

    def _invoke(self, ex: Execution):
        """Call the Python function behind `ex` (decoding its Candid arguments)."""
        canister = ex.canister
        if ex.mode == "timer":
            timer = ex.message.arg
            if timer.func is None:  # Kybra's post-init `random.seed(raw_rand())`
                import random

                random.seed(self._raw_rand_bytes())
                return None
            return timer.func()
        fn = canister.namespace.scope.get(ex.method_name)  # Kybra: scope.globals.get_item
        if fn is None:
            raise E.Trap(
                f"KeyError: '{ex.method_name}' (not bound by `from "
                f"{canister.namespace.entry} import *`, where Kybra looks canister "
                "methods and guards up)"
            )
        if ex.mode == "guard":
            return fn()
        sig = ex.sig
        args: List[Any] = []
        if sig is not None and ex.mode in ("update", "query", "composite", "init", "post_upgrade"):
            # ic_cdk decodes the arguments even of a method that takes none
            try:
                types = [t for _, t in sig.params]
                args = to_python(
                    types, binary.decode(ex.message.arg, types, canister.interface.env), canister.interface.env
                )
            except Exception as e:
                raise E.Trap(f"failed to decode call arguments: {e}") from None
            metering.charge_candid_args(ex.message.arg, args)
        return fn(*args)

    def _make_reply(self, ex: Execution, value) -> None:
        if ex.mode not in ("update", "query", "composite"):
            return
        sig = ex.sig
        if sig.is_manual:
            return
        if ex.replied:
            raise E.Trap("ic0.msg_reply: the call is already replied", E.CANISTER_CONTRACT_VIOLATION)
        data = self._encode(ex.canister, sig.rets, [value][: len(sig.rets)])
        limits.check_reply(len(data), ex.non_replicated)
        ex.result = Reply(data)

    # -- inter-canister calls ------------------------------------------------------------
    def _service_func(self, canister: Canister, cls: str, method: str, callee: bytes):
        t = canister.interface.env.types.get(cls)
        if isinstance(t, T.Service):
            for name, func in t.methods:
                if name == method:
                    return canister.interface.env.resolve(func)
        return None

    def _prepare_call(self, ex: Execution, info) -> Outgoing:
        name, args = info
        canister = ex.canister
        if ex.mode == "query":
            raise E.Trap(
                '"ic0_call_new" cannot be executed in non replicated query mode', E.CANISTER_CONTRACT_VIOLATION
            )
        if ex.mode not in ("update", "composite", "timer", "heartbeat"):
            raise E.Trap(f'"ic0_call_new" cannot be executed in {ex.mode} mode', E.CANISTER_CONTRACT_VIOLATION)
        if name in ("call", "call_with_payment", "call_with_payment128"):
            with_payment = name != "call"
            target, qualname = args[0], args[1]
            params = args[2:-1] if with_payment else args[2:]
            payment = args[-1] if with_payment else 0
            callee = principal_bytes(target)
            if not isinstance(qualname, str):
                raise TypeError("the service method name must be a str")
            cls, _, method = qualname.partition(".")
            func = self._service_func(canister, cls, method, callee)
            if func is None:
                raise AttributeError(
                    f"canister '{text_id(callee) if callee else 'aaaaa-aa'}' has no attribute '{qualname}'"
                )
            if len(params) != len(func.args):
                raise TypeError(f"{qualname} takes {len(func.args)} arguments, {len(params)} given")
            arg = self._encode(canister, func.args, params)
            rets = func.rets
            if ex.mode == "composite" and "query" not in func.modes and "composite_query" not in func.modes:
                raise E.Trap(
                    f"composite query {ex.method_name} may only call query methods", E.CANISTER_CONTRACT_VIOLATION
                )
        elif name in ("call_raw", "call_raw128"):
            if len(args) != 4:
                raise TypeError(f"{name} takes 4 arguments")
            target, method, raw, payment = args
            callee = principal_bytes(target)
            if not isinstance(method, str):
                raise TypeError("call_raw: method must be a str")
            if not isinstance(raw, (bytes, bytearray)):
                raise TypeError("call_raw: args_raw must be bytes")
            arg, rets = bytes(raw), None
        else:
            raise SystemError(f"async operation '{name}' not supported")
        if isinstance(payment, bool) or not isinstance(payment, int) or payment < 0:
            raise TypeError("payment must be a non-negative int")
        if ex.mode == "composite":
            payment = 0
        out = Outgoing(callee, method, arg, payment, rets)
        limits.check_request(text_id(callee) if callee else "aaaaa-aa", method, len(arg))
        too_large = limits.remote_request_too_large(text_id(canister.id), method, len(arg))
        if ex.mode != "composite":
            # `withdraw_request_cycles` (cycles.py [PREPAY]): the request's transmission,
            # a 2 MiB response's and the callback's execution at the full limit
            transmission, execution = self.policy.call_prepayment(method, arg)
            fee = transmission + execution
            liquid = canister.cycles - self._freezing_limit(canister)
            if payment > liquid:  # ic0.call_cycles_add traps (interface spec)
                raise E.Trap(
                    f"Canister {text_id(canister.id)} is out of cycles: it cannot "
                    f"attach {payment} cycles above its freezing limit",
                    E.CANISTER_OUT_OF_CYCLES,
                )
            if fee + payment > liquid:  # ic0.call_perform returns non-zero: nothing is sent
                out.unsent = Reject(E.SYS_TRANSIENT, "Couldn't send message")
                return out
            canister.cycles -= fee + (0 if too_large else payment)
            out.prepaid_transmission = self.policy.prepayment_for_response_transmission()
            out.prepaid_execution = execution
        if too_large:  # sent, then rejected by the stream builder (its cycles come back)
            out.fail = Reject(*too_large)
        return out

    def _call_result(self, ex: Execution, out: Outgoing, result) -> Any:
        """kybra's `create_call_result_instance`: CallResult(Ok, None) / (None, Err text)."""
        if isinstance(result, Reject):
            ex.last_reject = (result.code, result.message)
            return kybra.CallResult(None, f"Rejection code {result.code}, {result.message}")
        ex.last_reject = (0, "")
        if out.rets is None:
            return kybra.CallResult(result.data, None)
        try:
            env = ex.canister.interface.env
            values = to_python(out.rets, binary.decode(result.data, list(out.rets), env), env)
        except Exception as e:
            ex.last_reject = (E.CANISTER_ERROR, str(e))
            return kybra.CallResult(None, f"Rejection code {E.CANISTER_ERROR}, failed to decode canister response: {e}")
        # decoded before the callback's meter starts: charged when it does
        ex.pending_native += metering.candid_cost(result.data, sum(metering.count_values(v) for v in values))
        return kybra.CallResult(values[0] if values else None, None)

    # -- one-way calls -------------------------------------------------------------------
    def _notify(self, canister: Canister, ex: Execution, target, method: str, arg: bytes, payment: int) -> dict:
        """ic.notify_raw: queue a call whose response is ignored; {'Ok': None} or
        {'Err': RejectionCode} when it cannot be sent."""
        if ex.mode not in ("update", "timer", "heartbeat"):
            raise E.Trap(f'"ic0_call_new" cannot be executed in {ex.mode} mode', E.CANISTER_CONTRACT_VIOLATION)
        callee = principal_bytes(target)
        limits.check_request(text_id(callee) if callee else "aaaaa-aa", method, len(arg))
        transmission, execution = self.policy.call_prepayment(method, arg)
        if canister.cycles - transmission - execution - payment < self._freezing_limit(canister):
            return {"Err": {"SysTransient": None}}
        too_large = limits.remote_request_too_large(text_id(canister.id), method, len(arg))
        if too_large:  # sent; the stream builder's reject comes back and runs no code
            canister.cycles -= transmission + execution
            canister.cycles += self._unexecuted_response_refund(
                self.policy.prepayment_for_response_transmission(), execution, Reject(*too_large)
            )
            return {"Ok": None}
        canister.cycles -= transmission + execution + payment
        note = CallMessage(canister.id, callee, method, arg, payment, kind="call")
        note.prepaid_transmission = self.policy.prepayment_for_response_transmission()
        note.prepaid_execution = execution
        ex.outbox.append(note)
        return {"Ok": None}

    def _notify_service(self, canister: Canister, ex: Execution, wrapper: str, args: list, with_payment: bool) -> dict:
        """`AsyncInfo.notify()`: args are the AsyncInfo's [canister_id, qualname, *params
        (, cycles)], encoded with the caller's Service declaration."""
        target, qualname = args[0], args[1]
        params = args[2:-1] if with_payment else args[2:]
        payment = args[-1] if with_payment else 0
        cls, _, method = qualname.partition(".")
        func = self._service_func(canister, cls, method, b"")
        if func is None:
            raise AttributeError(f"'ic' object has no attribute 'notify_{wrapper}_wrapper'")
        arg = self._encode(canister, func.args, params)
        return self._notify(canister, ex, target, method, arg, payment)

    # -- freezing ------------------------------------------------------------------------
    def _freezing_limit(self, canister: Canister) -> int:
        """`freeze_threshold_cycles`: reserved cycles count towards it (spec liquid_balance)."""
        return self.policy.freezing_limit(
            canister.allocated_bytes(), canister.freezing_threshold, canister.reserved_cycles
        )

    # -- prepayments (cycles.py [PREPAY]) ---------------------------------------------------
    def _prepay_execution(self, canister: Canister, ex: Execution, mode: str) -> Optional[Reject]:
        """`prepay_execution_cycles`: withdraw the fee of the message's whole instruction
        limit before it runs, or the IC0207 reject when the liquid balance cannot cover it."""
        limit, prepaid = self.policy.execution_prepayment(mode)
        if not self._can_pay(canister, prepaid):
            return self._out_of_cycles(canister, prepaid)
        canister.cycles -= prepaid
        ex.prepaid, ex.instruction_limit = prepaid, limit
        return None

    def _settle_execution(self, ex: Execution, used: int) -> None:
        """`refund_unused_execution_cycles` after a message execution (segment)."""
        prepaid, ex.prepaid = getattr(ex, "prepaid", 0), 0
        if prepaid:
            left = max(0, ex.instruction_limit - used)
            ex.canister.cycles += self.policy.refund_unused_execution(left, prepaid)

    def _response_bytes(self, result) -> int:
        """[TYPES] `Payload::size_bytes`: reply data, or reject message + RejectCode."""
        if isinstance(result, Reply):
            return len(result.data)
        if isinstance(result, Reject):
            return len(result.message.encode()) + REJECT_CODE_BYTES
        return 0

    def _unexecuted_response_refund(self, transmission: int, execution: int, result) -> int:
        """A response whose callback runs no code: the unused transmission comes back and
        the execution prepayment minus the fixed fee
        (`settle_prepayment_for_unexecuted_response`)."""
        p = self.policy
        return p.refund_for_response_transmission(transmission, self._response_bytes(result)) + max(
            0, execution - p.execution_cost(0)
        )

    # -- storage reservation (cycles.py [RESERVE]) ----------------------------------------
    def _reservation_error(self, canister: Canister, reserve: int, limit: Optional[int] = None):
        """`SystemState::can_reserve_cycles`: None when `reserve` cycles can move from the
        balance to the reserved balance, else ('limit', reserved balance after, limit)
        (`ReservedLimitExceed`, checked first) or ('balance', requested, available)
        (`InsufficientCycles`). The freezing limit is not part of it. `limit`: the
        canister's `reserved_cycles_limit` (default 5 T) unless given."""
        if reserve == 0:
            return None
        if limit is None:
            limit = self._reserved_cycles_limit(canister)
        if canister.reserved_cycles + reserve > limit:
            return "limit", canister.reserved_cycles + reserve, limit
        if reserve > canister.cycles:
            return "balance", reserve, canister.cycles
        return None

    def _reserved_cycles_limit(self, canister: Canister) -> int:
        limit = canister.reserved_cycles_limit
        return self.policy.default_reserved_balance_limit if limit is None else limit

    def _reserve_for_growth(self, canister: Canister, memory_before: int, response: bool) -> None:
        """Memory growth on a subnet above its threshold moves cycles to the reserved
        balance; beyond `reserved_cycles_limit` (IC0534) or the balance (IC0532) the
        execution fails. A non-response must also stay above its freezing limit with the
        new memory (spec, message execution: Min_balance). Growth inside the canister's
        memory allocation allocates nothing (system_api.rs `allocate_execution_memory`:
        `allocated_bytes(new usage) - allocated_bytes(old usage)`)."""
        grown = canister.allocated_bytes() - canister.allocated_bytes(memory_before)
        refused = self._reserve_storage(canister, grown, check_freezing=not response)
        if refused is not None:
            raise E.Trap(refused[1], refused[0])

    def _reserve_storage(self, canister: Canister, grown: int, check_freezing: bool):
        """Move `storage_reservation_cycles` of `grown` allocated bytes to the reserved
        balance (`reserve_cycles`), or return (error code, message) and change nothing:
        past the limit IC0534, past the balance IC0532, and with `check_freezing` a balance
        below the freezing limit of the grown canister after the move IC0532. Shared by
        message executions and install_code (management.py `_reserve_for_install`)."""
        if grown <= 0:
            return None
        p = self.policy
        reserve = p.storage_reservation_cycles(grown, p.subnet_memory_usage)
        refused = self._reservation_error(canister, reserve)
        if refused is not None:
            kind, requested, bound = refused
            if kind == "limit":
                return E.RESERVED_CYCLES_LIMIT_EXCEEDED_IN_MEMORY_GROW, E.memory_grow_limit_message(
                    grown, requested, bound
                )
            return E.INSUFFICIENT_CYCLES_IN_MEMORY_GROW, E.memory_grow_cycles_message(grown, requested - bound)
        if check_freezing:
            threshold = p.freezing_limit(
                canister.allocated_bytes(), canister.freezing_threshold, canister.reserved_cycles + reserve
            )
            if canister.cycles - reserve < threshold:
                return E.INSUFFICIENT_CYCLES_IN_MEMORY_GROW, E.memory_grow_cycles_message(
                    grown, threshold - (canister.cycles - reserve)
                )
        canister.cycles -= reserve
        canister.reserved_cycles += reserve
        return None

    def _can_pay(self, canister: Canister, fee: int) -> bool:
        return canister.cycles - fee >= self._freezing_limit(canister)

    def _out_of_cycles(self, canister: Canister, fee: int) -> Reject:
        missing = fee + self._freezing_limit(canister) - canister.cycles
        return Reject(
            E.SYS_TRANSIENT,
            f"Canister {text_id(canister.id)} is out of cycles: please top up the "
            f"canister with at least {missing} additional cycles",
            E.CANISTER_OUT_OF_CYCLES,
        )

    def _trap_reject(self, canister: Canister, trap: E.Trap) -> Reject:
        cid = text_id(canister.id)
        if trap.error_code == E.CANISTER_INSTRUCTION_LIMIT_EXCEEDED:
            text = f"Canister {cid} exceeded the instruction limit for single message execution."
        elif trap.error_code == E.CANISTER_TRAPPED:
            text = f"Canister {cid} trapped: {trap.message}"
        elif trap.error_code in (
            E.CANISTER_OUT_OF_CYCLES,
            E.INSUFFICIENT_CYCLES_IN_MEMORY_GROW,
            E.RESERVED_CYCLES_LIMIT_EXCEEDED_IN_MEMORY_GROW,
        ):
            text = trap.message if trap.error_code == E.CANISTER_OUT_OF_CYCLES else f"Canister {cid}: {trap.message}"
        elif trap.error_code == E.CANISTER_CONTRACT_VIOLATION:  # HypervisorError's Display
            text = f"Canister {cid} violated contract: {trap.message}"
        else:
            text = f"Canister {cid} trapped explicitly: {trap.message}"
        return Reject(E.CANISTER_ERROR, text, trap.error_code)

    # -- calls -----------------------------------------------------------------------------
    def _method_for(self, canister: Canister, method: str, replicated: bool):
        """(sig, mode) of a public method or a Reject."""
        if canister.is_empty:
            cid = text_id(canister.id)
            return Reject(
                E.DESTINATION_INVALID,
                f"Canister {cid} is empty: it has no Wasm module installed",
                E.CANISTER_WASM_MODULE_NOT_FOUND,
            )
        sig = canister.interface.methods.get(method)
        cid = None if sig is not None else text_id(canister.id)
        if sig is None or sig.kind not in ("query", "update") or method.startswith("_"):
            cid = text_id(canister.id)
            kind = "update" if replicated else "query"
            return Reject(
                E.DESTINATION_INVALID, f"Canister {cid} has no {kind} method '{method}'", E.CANISTER_METHOD_NOT_FOUND
            )
        if sig.kind == "update":
            if not replicated:
                cid = text_id(canister.id)
                return Reject(
                    E.DESTINATION_INVALID, f"Canister {cid} has no query method '{method}'", E.CANISTER_METHOD_NOT_FOUND
                )
            return sig, "update"
        if sig.is_async:
            if replicated:
                cid = text_id(canister.id)
                return Reject(
                    E.CANISTER_ERROR,
                    f"Canister {cid}: composite query '{method}' cannot be called in replicated mode",
                    E.COMPOSITE_QUERY_CALLED_IN_REPLICATED_MODE,
                )
            return sig, "composite"
        return sig, "query"

    def _guard_segment(self, guard: Execution, method: Optional[Execution] = None):
        """Run a method's guard. It is part of the method's message on the IC: metered
        (against the method's limit), its instructions are charged to `method`."""
        canister = guard.canister
        heap = canister.namespace.heap_snapshot()
        vol = canister.volatile_state()
        ic = KybraIc(self, canister, guard)
        meter = None
        try:
            with canister.namespace.activate(ic):
                if self.metering and method is not None:
                    meter = metering.Meter(metering.LIMITS[LIMIT_KIND.get(method.mode, "update")], guard.mark_trap)
                    self._meter = meter
                    try:
                        with meter:
                            result = self._invoke(guard)
                    finally:
                        self._meter = None
                        method.pending_native += meter.instructions
                else:
                    result = self._invoke(guard)
            if guard.trap is not None:
                raise guard.trap
        except E.Trap as t:
            heap.restore()
            canister.stable.rollback()
            canister.restore_volatile(vol)
            return "trap", guard.trap or t
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            heap.restore()
            canister.stable.rollback()
            canister.restore_volatile(vol)
            return "trap", E.Trap(f"{type(e).__name__}: {e}")
        if isinstance(result, dict) and "Ok" in result:
            return "ok", None
        if isinstance(result, dict) and "Err" in result:
            return "reject", Reject(E.CANISTER_REJECT, str(result["Err"]), E.CANISTER_REJECTED_MESSAGE)
        return "trap", E.Trap(
            f"TypeError: guard function {guard.method_name} must return GuardResult, got {type(result).__name__}"
        )

    def _start_call(self, msg: CallMessage) -> None:
        """Begin executing an incoming call (ingress or inter-canister)."""
        if msg.callee == MANAGEMENT_ID:
            result = self.management.handle(msg)
            if result is DEFERRED:  # answered by settle_stopping / start_canister
                return
            self._complete(msg, result, None, refund=msg.cycles)  # unaccepted cycles back
            return
        canister = self.canisters.get(msg.callee)
        if canister is None:
            self._complete(
                msg,
                Reject(E.DESTINATION_INVALID, f"Canister {text_id(msg.callee)} not found", E.CANISTER_NOT_FOUND),
                None,
            )
            return
        if canister.status != "running":
            code = E.CANISTER_STOPPED if canister.status == "stopped" else E.CANISTER_STOPPING
            self._complete(
                msg, Reject(E.CANISTER_ERROR, f"Canister {text_id(canister.id)} is {canister.status}", code), canister
            )
            return
        found = self._method_for(canister, msg.method, replicated=True)
        if isinstance(found, Reject):
            # an update call to a query method executes it as a query (state discarded)
            sig = canister.interface.methods.get(msg.method) if canister.interface else None
            if sig is not None and sig.kind == "query" and not sig.is_async:
                found = (sig, "query")
            else:
                self._complete(msg, found, canister)
                return
        sig, mode = found
        if msg.kind == "ingress":  # the induction cost, paid by the receiver
            fee = self.policy.ingress_fee(msg.method, msg.arg)
            if not self._can_pay(canister, fee):
                self._complete(msg, self._out_of_cycles(canister, fee), canister)
                return
            canister.cycles -= fee
        ex = Execution(canister, msg, mode, msg.method, sig)
        # an update, or an update call to a query method (a replicated query), is prepaid
        # at its instruction limit (call_or_task.rs, replicated_query.rs): nothing runs
        # when the canister cannot afford that
        rejected = self._prepay_execution(canister, ex, mode)
        if rejected is not None:
            self._complete(msg, rejected, canister)
            return
        ex.generation = canister.install_count
        canister.open_calls += 1
        if sig.guard is not None:
            kind, value = self._guard_segment(Execution(canister, msg, "guard", sig.guard), ex)
            if kind in ("reject", "trap"):
                self._settle_execution(ex, ex.pending_native)
                ex.result = value if kind == "reject" else self._trap_reject(canister, value)
                self._finish(ex)
                return
        if mode == "query":
            heap = canister.namespace.heap_snapshot()
            vol = canister.volatile_state()
            outcome = self._segment(ex, True, snapshot=False)
            heap.restore()
            canister.stable.rollback()
            canister.restore_volatile(vol)
            self._after_segment(ex, outcome)
            return
        self._after_segment(ex, self._segment(ex, True))

    def _after_segment(self, ex: Execution, outcome) -> None:
        canister = ex.canister
        kind, value = outcome
        self._settle_execution(ex, ex.instructions)  # the unused instructions come back
        if kind == "trap":
            if not ex.replied:
                ex.result = self._trap_reject(canister, value)
            self._finish(ex)
            return
        canister.stable.commit()
        for note in ex.outbox:  # one-way calls leave with the commit
            self._enqueue(Step("call", note.callee, message=note))
        ex.outbox = []
        if kind == "call":
            out: Outgoing = value
            ex.pending_call = out
            canister.awaiting[id(ex)] = ex
            if out.fail is not None:
                self._enqueue(Step("response", canister.id, execution=ex, result=out.fail, refund=out.payment))
                return
            callee_msg = CallMessage(
                canister.id, out.callee, out.method, out.arg, out.payment, kind="call", reply_to=ex
            )
            self._enqueue(Step("call", out.callee, message=callee_msg))
            return
        if ex.mode in ("update", "query", "composite") and ex.sig.is_manual and not ex.replied:
            ex.result = Reject(
                E.CANISTER_ERROR, f"Canister {text_id(canister.id)} did not reply to the call", E.CANISTER_DID_NOT_REPLY
            )
        self._finish(ex)

    def _finish(self, ex: Execution) -> None:
        ex.finished = True
        if ex.message.kind == "ingress":
            st = self.ingress.get(ex.message.ingress_id)
            if st is not None:
                st.bytecodes = ex.call_bytecodes
                st.instructions = ex.call_instructions
        ex.canister.open_calls = max(0, ex.canister.open_calls - 1)
        self._complete(ex.message, ex.result, ex.canister, refund=ex.cycles_available)
        self.settle_stopping(ex.canister)

    def delete_call_contexts(self, canister: Canister) -> None:
        """uninstall_code: every call context of the canister is deleted; a caller not yet
        answered gets the IC's reject (CANISTER_REJECT, IC0406, "Canister has been
        uninstalled."), a reply already given is delivered; later responses run nothing."""
        waiting, canister.awaiting = list(canister.awaiting.values()), {}
        for ex in waiting:
            ex.finished = True
            result = (
                ex.result
                if ex.replied
                else Reject(E.CANISTER_REJECT, "Canister has been uninstalled.", E.CANISTER_REJECTED_MESSAGE)
            )
            self._complete(ex.message, result, canister, refund=ex.cycles_available)
        canister.open_calls = 0
        canister.deleted_below = canister.install_count

    def settle_stopping(self, canister: Canister) -> None:
        """A `stopping` canister without open call contexts becomes `stopped`, and the
        stop_canister calls waiting for that are answered (interface spec, stop_canister)."""
        if canister.status != "stopping" or canister.open_calls:
            return
        canister.status = "stopped"
        waiting, canister.stop_requests = canister.stop_requests, []
        for msg in waiting:
            self._complete(msg, Reply(b"DIDL\x00\x00"), None, refund=msg.cycles)

    def _complete(self, msg: CallMessage, result, canister: Optional[Canister], refund: Optional[int] = None) -> None:
        """Deliver the outcome of a call to whoever is waiting for it."""
        if refund is None:
            refund = msg.cycles if result is None or isinstance(result, Reject) else 0
        if msg.kind == "ingress":
            self._complete_ingress(msg.ingress_id, result)
        elif msg.kind == "call" and msg.reply_to is None:  # a notify: only refunds return
            caller = self.canisters.get(msg.caller)
            if caller is not None:  # ic-cdk's notify has no callback to run
                caller.cycles += refund + self._unexecuted_response_refund(
                    msg.prepaid_transmission, msg.prepaid_execution, result
                )
        elif msg.kind == "call":
            caller_ex: Execution = msg.reply_to
            self._enqueue(Step("response", msg.caller, execution=caller_ex, result=result, refund=refund))
        if self.on_message is not None and canister is not None:
            self.on_message(canister, msg, result)

    def _resume(self, step: Step) -> None:
        ex: Execution = step.execution
        canister = ex.canister
        out: Outgoing = ex.pending_call
        ex.pending_call = None
        canister.awaiting.pop(id(ex), None)
        gone = self.canisters.get(canister.id) is not canister
        if gone or getattr(ex, "generation", canister.install_count) != canister.install_count:
            self._stale_response(ex, out, step, gone)
            return
        canister.cycles += step.refund
        ex.cycles_refunded = step.refund
        result = (
            step.result
            if step.result is not None
            else Reject(E.CANISTER_ERROR, "the callee produced no response", E.CANISTER_DID_NOT_REPLY)
        )
        # response.rs: the unused response transmission comes back before the callback runs,
        # which executes on the cycles prepaid when the call was made
        canister.cycles += self.policy.refund_for_response_transmission(
            out.prepaid_transmission, self._response_bytes(result)
        )
        ex.prepaid, ex.instruction_limit = out.prepaid_execution, self.policy.max_instructions_per_message
        call_result = self._call_result(ex, out, result)
        ex.answered = out  # the call whose callback this segment is (faults.py)
        self._after_segment(ex, self._segment(ex, False, call_result))

    def _stale_response(self, ex: Execution, out: Optional[Outgoing], step: Step, gone: bool) -> None:
        """A response to a call made by an earlier module of the caller.

        Uninstalled since (spec, callback invocation): the call context was deleted and its
        caller answered then (`delete_call_contexts`); only the refund is credited, no code
        runs. Upgraded or reinstalled since: the IC runs the
        closure recorded at `call_new`, `(table index, env)`, in the *new* module. For a
        Kybra 0.7.1 canister that is ic-cdk 0.13.5's `callback::<T>`, whose env is a raw
        pointer (`Weak::into_raw`) into the old Wasm heap, which the upgrade replaced: the
        RustPython generator that waited is gone and the callback reads and writes
        whatever the new heap holds there (undefined behaviour: in practice a trap). localnet
        runs it as that trap: the code after the `yield` never runs, what the caller
        committed before it stays (locks included), and the call context, still open
        until now (stop_canister waited for it), closes with a reject to its caller.

        Cycles, as dfinity/ic rs/execution_environment/src/execution/response.rs (stored
        version, id 2740732194) settles them: the unaccepted cycles and the transmission
        the response's bytes did not use come back first (`ResponseHelper::new`,
        `apply_initial_refunds`). A deleted context (uninstall) ends in `early_finish`,
        i.e. `finish` with every instruction left: the callback's prepayment comes back but
        the fixed fee. An upgraded caller's context is not deleted and the module exists,
        so the callback executes and traps; the cleanup callback that ic-cdk 0.13.5
        registers (`ic0::call_on_cleanup(cleanup::<T>, state_ptr)`, dfinity/cdk-rs
        src/ic-cdk/src/api/call.rs at 09d5fc5f, the 0.13.5 release) runs next on the same
        pointer, and `finish` refunds `refund_unused_execution_cycles` of the instructions
        left: the caller pays the fixed fee plus what that trapped execution used. Those
        instructions are undefined here; localnet charges the metered entry of an
        execution (`metering.MESSAGE_ENTRY`, what each segment's meter starts with), 0 when
        metering is off (like every execution's instructions)."""
        canister = ex.canister
        deleted = gone or getattr(ex, "generation", 0) < canister.deleted_below
        if not gone:
            canister.cycles += step.refund
            if out is not None:
                response_bytes = self._response_bytes(step.result)
                canister.cycles += self.policy.refund_for_response_transmission(
                    out.prepaid_transmission, response_bytes
                )
                used = 0 if deleted or not self.metering else metering.MESSAGE_ENTRY
                ex.instructions = used
                ex.call_instructions += used
                canister.cycles += self.policy.refund_unused_execution(
                    self.policy.max_instructions_per_message - used, out.prepaid_execution
                )
        if deleted:
            return  # its caller was answered when the context was deleted (uninstall)
        canister.stale_responses += 1
        method = out.method if out is not None else "a call"
        text = (
            f"a response to {method} made before the canister was "
            f"upgraded reached the new module: ic-cdk 0.13.5's callback dereferences a "
            f"pointer into the old Wasm heap (undefined behaviour); the Kybra generator "
            f"of {ex.method_name} that awaited it no longer exists"
        )
        canister.log(self.time_ns, f"[TRAP]: {text}")
        if not ex.replied:
            ex.result = Reject(E.CANISTER_ERROR, f"Canister {text_id(canister.id)} trapped: {text}", E.CANISTER_TRAPPED)
        self._finish(ex)

    # -- timers and heartbeats --------------------------------------------------------------
    def _run_timer(self, step: Step) -> None:
        canister = self.canisters.get(step.canister_id)
        if canister is None or canister.is_empty or canister.status != "running":
            return
        timer = step.timer
        msg = CallMessage(canister.id, canister.id, "<timer>", timer, 0, kind="timer")
        ex = Execution(canister, msg, "timer", "<timer>")
        if self._prepay_execution(canister, ex, "update") is not None:
            canister.log(
                self.time_ns, "[localnet] timer skipped: the canister cannot prepay its execution (out of cycles)"
            )
            return
        ex.generation = canister.install_count
        canister.open_calls += 1
        self._after_segment(ex, self._segment(ex, True))

    def _run_heartbeat(self, step: Step) -> None:
        canister = self.canisters.get(step.canister_id)
        if canister is None or canister.is_empty or canister.status != "running":
            return
        sig = canister.interface.system_method("heartbeat")
        if sig is None:
            return
        msg = CallMessage(canister.id, canister.id, sig.name, b"", 0, kind="heartbeat")
        ex = Execution(canister, msg, "heartbeat", sig.name, sig)
        if self._prepay_execution(canister, ex, "update") is not None:
            return
        ex.generation = canister.install_count
        canister.open_calls += 1
        self._after_segment(ex, self._segment(ex, True))
