"""`Network`: the in-process Internet Computer that tests, the HTTP layer, the PocketIC REST
server and the CLI drive (its API is fixed in localnet/ARCHITECTURE.md).

Work is a queue of steps (a call starting, a response resuming a caller, a timer firing).
`tick()` runs every step that was ready when it started (one IC round); steps they produce
run in later rounds, so two calls submitted together interleave at their commit points.
`pending()` lists the ready steps and `step(i)` runs one of them, so a test can force a
precise interleaving; `run_interleaved(seed)` runs them in a seeded random order.
"""

from __future__ import annotations

import collections
import hashlib
import heapq
import random
import time as _time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from kybra import Principal

from localnet.candid.principals import principal_bytes
from localnet.runtime import errors as E
from localnet.runtime import module as wasm_module
from localnet.runtime.canister import MANAGEMENT_ID, Canister, canister_id_bytes
from localnet.runtime.cycles import CyclesPolicy
from localnet.runtime.engine import Engine, Step, text_id
from localnet.runtime.errors import CallRejected, LocalnetError
from localnet.runtime.execution import CallMessage, Execution, Reject, Reply
from localnet.runtime.faults import Faults
from localnet.runtime.limits import MAX_INGRESS_BYTES_PER_MESSAGE

ANONYMOUS = b"\x04"


@dataclass
class IngressStatus:
    state: str  # received | processing | replied | rejected | done
    reply: Optional[bytes] = None
    reject_code: Optional[int] = None
    reject_message: Optional[str] = None
    error_code: Optional[str] = None
    canister_id: bytes = b""
    method: str = ""
    sender: bytes = b""
    time_ns: int = 0
    bytecodes: int = 0  # metered bytecodes of the whole call on its canister (metering on)
    instructions: int = 0  # metered instructions of the whole call (bytecodes + native work)


@dataclass
class PendingStep:
    index: int
    kind: str
    canister_id: Principal
    method: str
    message_id: Optional[bytes]
    description: str


@dataclass
class MessageStat:
    canister_id: bytes
    method: str
    mode: str
    bytecodes: int
    instructions: int = 0  # bytecodes * INSTRUCTIONS_PER_BYTECODE + native charges


def _raw(p) -> bytes:
    if p is None:
        return ANONYMOUS
    if isinstance(p, (bytes, bytearray)):
        return bytes(p)
    return principal_bytes(p)


class Network(Engine):
    """An in-process IC subnet running Kybra canisters from source.

    `seed` fixes every canister's deterministic randomness (os.urandom, secrets, uuid4)
    and nothing else; `time_ns` defaults to the wall clock (agents check certificate
    times); `metering` turns on bytecode counting and the IC's instruction limits;
    `cycles_policy` sets the fees (localnet/runtime/cycles.py)."""

    def __init__(
        self,
        seed: int = 0,
        metering: bool = False,
        time_ns: Optional[int] = None,
        cycles_policy: Optional[CyclesPolicy] = None,
        print_logs: bool = False,
    ):
        from localnet.runtime.management import ManagementCanister

        self.seed = seed
        self.metering = metering
        self.time_ns = _time.time_ns() if time_ns is None else int(time_ns)
        self.policy = cycles_policy or CyclesPolicy()
        self.print_logs = print_logs
        self.canisters: Dict[bytes, Canister] = {}
        self.next_canister_index = 0
        self.queue: List[Step] = []
        self.wakeups: list = []  # heap of (due_ns, canister id): when to look at whose timers
        self._parked: set = set()  # canisters with due timers that were not running
        self.stop_deadlines: list = []  # heap of (deadline_ns, seq, canister id, stop call)
        self.ingress: Dict[bytes, IngressStatus] = {}
        self.stats: collections.deque = collections.deque(maxlen=10_000)
        self._ingress_nonce = 0
        self._rng = random.Random(seed)
        self._raw_rand_rng: Optional[random.Random] = None  # seed_raw_rand()
        self._meter = None
        self.certificate_hook = None  # fn(canister_id: bytes) -> bytes, set by localnet/http
        self.on_message = None  # fn(canister, CallMessage, result) observer (tests, HTTP)
        self.management = ManagementCanister(self)
        self.faults = Faults()  # injected traps at call boundaries (tests; faults.py)

    # -- canisters ----------------------------------------------------------------------
    def _new_canister(self, controllers: List[bytes], cycles: int, specified_id: Optional[bytes] = None) -> Canister:
        if specified_id is not None:
            cid = specified_id
            if cid in self.canisters:
                raise LocalnetError(f"canister {text_id(cid)} already exists")
        else:
            while True:
                cid = canister_id_bytes(self.next_canister_index)
                self.next_canister_index += 1
                if cid not in self.canisters:
                    break
        seed = hashlib.sha256(b"localnet-canister-seed" + self.seed.to_bytes(8, "big", signed=True) + cid).digest()
        c = Canister(
            id=cid,
            controllers=list(controllers),
            cycles=cycles,
            seed=seed,
            freezing_threshold=self.policy.default_freezing_threshold,
            wakeups=self.wakeups,
        )
        self.canisters[cid] = c
        return c

    def create_canister(
        self, controllers=None, cycles: Optional[int] = None, sender=None, specified_id=None
    ) -> Principal:
        """Provisional creation (no fee), controlled by `controllers` or the sender."""
        sender_raw = _raw(sender)
        ctrls = [_raw(c) for c in controllers] if controllers is not None else [sender_raw]
        if len(ctrls) > 10:
            raise LocalnetError("a canister has at most 10 controllers")
        if cycles is not None and (not isinstance(cycles, int) or cycles < 0):
            raise LocalnetError("cycles must be a non-negative int")
        c = self._new_canister(
            ctrls,
            self.policy.default_canister_cycles if cycles is None else int(cycles),
            None if specified_id is None else _raw(specified_id),
        )
        return c.principal

    def build_module(self, entry_path: str, project_root: Optional[str] = None, gzipped: bool = False) -> bytes:
        return wasm_module.build(entry_path, project_root, gzipped)

    def install_code(
        self, canister_id, module: bytes, arg: bytes = b"DIDL\x00\x00", mode: str = "install", sender=None
    ) -> None:
        """Install/reinstall/upgrade as `sender` (a controller; the first controller if
        None). Raises CallRejected on failure, like the management canister would."""
        c = self._canister(canister_id)
        who = _raw(sender) if sender is not None else (c.controllers[0] if c.controllers else ANONYMOUS)
        result = self.management.install(who, c.id, module, arg, mode)
        if isinstance(result, Reject):
            raise CallRejected(result.code, result.message, result.error_code)

    def _canister(self, canister_id) -> Canister:
        c = self.canisters.get(_raw(canister_id))
        if c is None:
            raise LocalnetError(f"canister {canister_id} does not exist")
        return c

    def canister(self, canister_id) -> Dict[str, Any]:
        c = self._canister(canister_id)
        return {
            "id": c.principal,
            "status": c.status,
            "module_hash": c.module_hash,
            "controllers": [Principal(p) for p in c.controllers],
            "cycles": c.cycles,
            "reserved_cycles": c.reserved_cycles,
            "certified_data": c.certified_data,
            "candid": c.candid,
            "logs": list(c.logs),
            "memory_size": c.memory_size(),
            "timers": len(c.timers),
            "freezing_threshold": c.freezing_threshold,
            "open_calls": c.open_calls,
            "stale_responses": c.stale_responses,
        }

    def get_stable_memory(self, canister_id) -> bytes:
        """An image of the canister's whole stable memory (maps included)."""
        from localnet.runtime.state import stable_image

        return stable_image(self._canister(canister_id))

    def set_stable_memory(self, canister_id, data: bytes) -> None:
        """Restore an image from get_stable_memory (or raw bytes as raw stable pages)."""
        from localnet.runtime.state import load_stable_image

        load_stable_image(self._canister(canister_id), bytes(data))

    def canister_ids(self) -> List[Principal]:
        return [Principal(cid) for cid in self.canisters]

    def certified_data(self, canister_id) -> bytes:
        return self._canister(canister_id).certified_data

    def logs(self, canister_id) -> List[str]:
        return [r.content for r in self._canister(canister_id).logs]

    def _data_certificate(self, canister: Canister) -> Optional[bytes]:
        if self.certificate_hook is not None:
            return self.certificate_hook(canister.id)
        # placeholder until localnet/http installs a hook producing real certificates
        return b"localnet-uncertified:" + canister.certified_data

    def _on_print(self, canister: Canister, text: str) -> None:
        if self.print_logs:
            print(f"[{text_id(canister.id)}] {text}")

    def _record_bytecodes(self, ex: Execution, meter) -> None:
        self.stats.append(MessageStat(ex.canister.id, ex.method_name, ex.mode, meter.bytecodes, meter.instructions))

    def _raw_rand_bytes(self) -> bytes:
        if self._raw_rand_rng is not None:
            return self._raw_rand_rng.randbytes(32)
        from localnet.runtime.isolation import host_urandom

        return host_urandom(32)

    def seed_raw_rand(self, seed: Optional[int]) -> None:
        """From now on the management canister's `raw_rand` answers from a generator seeded
        with `seed` (None: host randomness again), so a test run replays exactly. A canister
        cannot tell the difference: on the IC too it is 32 bytes it cannot predict."""
        self._raw_rand_rng = None if seed is None else random.Random(seed)

    # -- ingress --------------------------------------------------------------------------
    def submit(
        self,
        sender,
        canister_id,
        method: str,
        arg: bytes = b"DIDL\x00\x00",
        message_id: Optional[bytes] = None,
        effective_canister_id=None,
    ) -> bytes:
        """Queue an update call; returns its message id. Raises CallRejected when the
        message is refused before entering the queue (size, inspect_message, frozen)."""
        sender_raw, callee = _raw(sender), _raw(canister_id)
        if not isinstance(arg, (bytes, bytearray)):
            raise LocalnetError("arg must be bytes (a Candid message)")
        arg = bytes(arg)
        if len(arg) + len(method.encode()) > MAX_INGRESS_BYTES_PER_MESSAGE:
            # over HTTP the whole signed request is checked first (413, envelope.decode)
            raise CallRejected(
                E.CANISTER_REJECT,
                f"the ingress message is larger than the {MAX_INGRESS_BYTES_PER_MESSAGE} bytes limit",
                E.CANISTER_CONTRACT_VIOLATION,
            )
        if message_id is None:
            self._ingress_nonce += 1
            message_id = hashlib.sha256(
                b"localnet-ingress"
                + self._ingress_nonce.to_bytes(8, "big")
                + sender_raw
                + callee
                + method.encode()
                + arg
            ).digest()
        if message_id in self.ingress:
            return message_id  # a duplicate submission is ignored, as by the IC
        if callee == MANAGEMENT_ID:
            self.management.check_ingress(
                sender_raw, method, arg, None if effective_canister_id is None else _raw(effective_canister_id)
            )
        else:
            self._inspect(sender_raw, callee, method, arg)
        self.ingress[message_id] = IngressStatus(
            "received", canister_id=callee, method=method, sender=sender_raw, time_ns=self.time_ns
        )
        msg = CallMessage(sender_raw, callee, method, arg, 0, kind="ingress", ingress_id=message_id)
        self._enqueue(Step("call", callee, message=msg))
        return message_id

    def _inspect(self, sender: bytes, callee: bytes, method: str, arg: bytes) -> None:
        """Kybra's inspect_message (sync, non-replicated): must call ic.accept_message()."""
        c = self.canisters.get(callee)
        if c is None:
            raise CallRejected(E.DESTINATION_INVALID, f"Canister {text_id(callee)} not found", E.CANISTER_NOT_FOUND)
        if c.is_empty:
            raise CallRejected(
                E.DESTINATION_INVALID, f"Canister {text_id(callee)} is empty", E.CANISTER_WASM_MODULE_NOT_FOUND
            )
        # the ingress filter: the induction cost and the execution's prepayment at its
        # instruction limit must be above the freezing limit (cycles.py [PREPAY])
        target = c.interface.methods.get(method) if c.interface is not None else None
        mode = "query" if target is not None and target.kind == "query" else "update"
        fee = self.policy.ingress_fee(method, arg) + self.policy.execution_prepayment(mode)[1]
        if not self._can_pay(c, fee):
            r = self._out_of_cycles(c, fee)
            raise CallRejected(r.code, r.message, r.error_code)
        sig = c.interface.system_method("inspect_message")
        if sig is None:
            return
        msg = CallMessage(sender, callee, method, arg, 0, kind="system")
        ex = Execution(c, msg, "inspect", sig.name, sig)
        heap = c.namespace.heap_snapshot()
        vol = c.volatile_state()
        kind, value = self._segment(ex, True, snapshot=False)
        heap.restore()
        c.stable.rollback()
        c.restore_volatile(vol)
        if kind == "trap":
            r = self._trap_reject(c, value)
            raise CallRejected(r.code, r.message, r.error_code)
        if not ex.accepted_message:
            raise CallRejected(
                E.CANISTER_REJECT, f"Canister {text_id(callee)} rejected the message", E.CANISTER_REJECTED_MESSAGE
            )

    def _complete_ingress(self, message_id: bytes, result) -> None:
        st = self.ingress.get(message_id)
        if st is None:
            return
        if isinstance(result, Reply):
            st.state, st.reply = "replied", result.data
        else:
            st.state = "rejected"
            st.reject_code, st.reject_message = result.code, result.message
            st.error_code = result.error_code

    def status(self, message_id: bytes) -> Optional[IngressStatus]:
        return self.ingress.get(message_id)

    def forget_ingress(self, message_id: bytes) -> bool:
        """Prune a finished message's status (the HTTP layer does, once its ingress_expiry
        has passed: the spec's `pruned`). A message still running is kept; True if pruned."""
        st = self.ingress.get(message_id)
        if st is None or st.state not in ("replied", "rejected", "done"):
            return False
        del self.ingress[message_id]
        return True

    def await_ingress(self, message_id: bytes, max_rounds: int = 100_000) -> IngressStatus:
        """Run rounds until the message is replied or rejected."""
        st = self.ingress.get(message_id)
        if st is None:
            raise LocalnetError("unknown message id")
        rounds = 0
        while st.state not in ("replied", "rejected", "done"):
            if not self.queue:
                raise LocalnetError(f"message {message_id.hex()} cannot make progress")
            self._round()
            rounds += 1
            if rounds > max_rounds:
                raise LocalnetError("message did not complete within the round limit")
        return st

    def update_call(self, sender, canister_id, method: str, arg: bytes = b"DIDL\x00\x00") -> bytes:
        st = self.await_ingress(self.submit(sender, canister_id, method, arg))
        if st.state == "replied":
            return st.reply
        raise CallRejected(st.reject_code, st.reject_message, st.error_code)

    def query_call(self, sender, canister_id, method: str, arg: bytes = b"DIDL\x00\x00") -> bytes:
        result = self.query(sender, canister_id, method, arg)
        if isinstance(result, Reply):
            return result.data
        raise CallRejected(result.code, result.message, result.error_code)

    def call(self, sender, canister_id, method: str, *values, query: Optional[bool] = None):
        """Call with Python values, typed by the callee's signature; returns the value."""
        from localnet.runtime.typed import call

        return call(self, sender, canister_id, method, *values, query=query)

    def deploy(
        self,
        entry_path: str,
        arg_text: str = "()",
        controllers=None,
        cycles: Optional[int] = None,
        project_root: Optional[str] = None,
        sender=None,
    ) -> Principal:
        """Create a canister and install the Kybra source at `entry_path` (textual init
        argument typed by its @init parameters)."""
        from localnet.kybra_source.bundle import SourceBundle
        from localnet.runtime.typed import init_arg_from_text

        module = self.build_module(entry_path, project_root)
        bundle = SourceBundle.from_bytes(wasm_module.unpack(module)[0])
        arg = init_arg_from_text(bundle, arg_text)
        cid = self.create_canister(controllers=controllers, cycles=cycles, sender=sender)
        self.install_code(
            cid, module, arg, sender=sender if sender is not None else (controllers[0] if controllers else None)
        )
        return cid

    def query(self, sender, canister_id, method: str, arg: bytes = b"DIDL\x00\x00"):
        """A query call (non-replicated, state discarded): Reply or Reject."""
        msg = CallMessage(_raw(sender), _raw(canister_id), method, bytes(arg), 0, kind="query")
        return self._query_sync(msg, frozenset())

    def _query_sync(self, msg: CallMessage, graph: frozenset):
        if msg.callee == MANAGEMENT_ID:
            return Reject(
                E.DESTINATION_INVALID,
                f"the management canister has no query method '{msg.method}'",
                E.CANISTER_METHOD_NOT_FOUND,
            )
        c = self.canisters.get(msg.callee)
        if c is None:
            return Reject(E.DESTINATION_INVALID, f"Canister {text_id(msg.callee)} not found", E.CANISTER_NOT_FOUND)
        if c.status != "running":
            return Reject(E.CANISTER_ERROR, f"Canister {text_id(c.id)} is {c.status}", E.CANISTER_STOPPED)
        if c.id in graph:
            return Reject(
                E.CANISTER_ERROR, "Loop detected.  MonoRail only supports non recursive call graphs.", "IC0517"
            )
        found = self._method_for(c, msg.method, replicated=False)
        if isinstance(found, Reject):
            return found
        sig, mode = found
        ex = Execution(c, msg, mode, msg.method, sig)
        ex.non_replicated = True
        if sig.guard is not None:
            kind, value = self._guard_segment(Execution(c, msg, "guard", sig.guard), ex)
            if kind == "reject":
                return value
            if kind == "trap":
                return self._trap_reject(c, value)
        heap = c.namespace.heap_snapshot()
        vol = c.volatile_state()
        try:
            outcome = self._segment(ex, True, snapshot=False)
            while outcome[0] == "call":
                out = outcome[1]
                if out.fail is not None:
                    result = out.fail
                else:
                    sub = CallMessage(c.id, out.callee, out.method, out.arg, 0, kind="call")
                    result = self._query_sync(sub, graph | {c.id})
                outcome = self._segment(ex, False, self._call_result(ex, out, result), snapshot=False)
        finally:
            heap.restore()
            c.stable.rollback()
            c.restore_volatile(vol)
        if outcome[0] == "trap" and not ex.replied:
            return self._trap_reject(c, outcome[1])
        if not ex.replied:
            return Reject(
                E.CANISTER_ERROR, f"Canister {text_id(c.id)} did not reply to the call", E.CANISTER_DID_NOT_REPLY
            )
        return ex.result

    # -- scheduling -----------------------------------------------------------------------------
    def _enqueue(self, step: Step) -> None:
        self.queue.append(step)

    def _run_step(self, step: Step) -> None:
        if step.kind == "call":
            if step.message.kind == "ingress":
                st = self.ingress.get(step.message.ingress_id)
                if st is not None and st.state == "received":
                    st.state = "processing"
            self._start_call(step.message)
        elif step.kind == "response":
            self._resume(step)
        elif step.kind == "timer":
            self._run_timer(step)
        elif step.kind == "heartbeat":
            self._run_heartbeat(step)

    def _enqueue_timers(self) -> None:
        """Queue every due timer, canisters in creation order, each one's timers by (due,
        seq). Runs every round, so it looks only at canisters with a wake-up hint due now
        (pushed when a timer is set or rescheduled) or parked (not running when due)."""
        self._expire_stop_requests()
        now = self.time_ns
        heap = self.wakeups
        touched = self._parked
        while heap and heap[0][0] <= now:
            touched.add(heapq.heappop(heap)[1])
        if not touched:
            return
        self._parked = set()
        for c in [c for c in self.canisters.values() if c.id in touched]:
            due = c.due_timers(now)
            if not due:
                continue  # a stale hint: the timer was cleared or rescheduled
            if c.is_empty or c.status != "running":
                self._parked.add(c.id)
                continue
            for timer in due:
                if timer.interval_ns is not None:
                    timer.due_ns = now + max(timer.interval_ns, 1)
                    c.timer_seq += 1
                    timer.seq = c.timer_seq
                    c.wake_at(timer.due_ns)
                else:
                    del c.timers[timer.id]
                self._enqueue(Step("timer", c.id, timer=timer))

    def _expire_stop_requests(self) -> None:
        """A stop_canister call still waiting after STOP_CANISTER_TIMEOUT_NS is rejected
        (SYS_TRANSIENT, IC0206); the canister stays `stopping` (spec: pending stop calls
        "can be rejected by the system at any time"; dfinity/ic rs/config
        execution_environment.rs STOP_CANISTER_TIMEOUT_DURATION = 5 minutes)."""
        heap = self.stop_deadlines
        while heap and heap[0][0] <= self.time_ns:
            _, _, cid, msg = heapq.heappop(heap)
            c = self.canisters.get(cid)
            if c is None or not any(m is msg for m in c.stop_requests):
                continue  # answered meanwhile (stopped, or cancelled by start_canister)
            c.stop_requests = [m for m in c.stop_requests if m is not msg]
            self._complete(
                msg,
                Reject(E.SYS_TRANSIENT, "Stop canister request timed out", E.STOP_CANISTER_REQUEST_TIMEOUT),
                None,
                refund=msg.cycles,
            )

    def rebuild_wakeups(self) -> None:
        """Hints for every timer (after timers were replaced wholesale: load, revert)."""
        self.wakeups[:] = [(t.due_ns, c.id) for c in self.canisters.values() for t in c.timers.values()]
        heapq.heapify(self.wakeups)
        self._parked = set()
        for c in self.canisters.values():
            c.wakeups = self.wakeups

    def _round(self) -> int:
        """One round: due timers are queued, then every step ready at its start runs."""
        self._enqueue_timers()
        batch, self.queue = self.queue, []
        for step in batch:
            self._run_step(step)
        return len(batch)

    def tick(self) -> int:
        """One round including heartbeats; returns the number of steps run."""
        for c in self.canisters.values():
            if not c.is_empty and c.status == "running" and c.interface.system_method("heartbeat") is not None:
                self._enqueue(Step("heartbeat", c.id))
        return self._round()

    def run_until_idle(self, max_rounds: int = 100_000) -> int:
        """Run rounds (without heartbeats) until nothing is ready; returns steps run."""
        total = 0
        for _ in range(max_rounds):
            self._enqueue_timers()
            if not self.queue:
                return total
            total += self._round()
        raise LocalnetError("the network did not become idle within the round limit")

    def pending(self) -> List[PendingStep]:
        """The steps ready to run, in queue order (for precise interleavings)."""
        out = []
        for i, s in enumerate(self.queue):
            msg = s.message
            method = msg.method if msg is not None else (s.execution.method_name if s.execution is not None else s.kind)
            mid = (
                msg.ingress_id
                if msg is not None
                else (s.execution.message.ingress_id if s.execution is not None else None)
            )
            out.append(PendingStep(i, s.kind, Principal(s.canister_id), method, mid, s.describe()))
        return out

    def step(self, index: int = 0) -> None:
        """Run the `index`-th ready step alone."""
        if not 0 <= index < len(self.queue):
            raise LocalnetError(f"no pending step {index} ({len(self.queue)} pending)")
        self._run_step(self.queue.pop(index))

    def run_interleaved(self, seed: int, max_steps: int = 1_000_000) -> int:
        """Run every ready step (and what they produce) in a seeded random order."""
        rng = random.Random(seed)
        n = 0
        while True:
            self._enqueue_timers()
            if not self.queue:
                return n
            self.step(rng.randrange(len(self.queue)))
            n += 1
            if n > max_steps:
                raise LocalnetError("too many steps")

    def run_except(self, hold, max_steps: int = 1_000_000) -> int:
        """Run every ready step (and what they produce) in queue order, except the steps
        `hold(PendingStep)` keeps back, e.g. a ledger call held in flight; returns the
        number of steps run once only held steps are left."""
        n = 0
        while True:
            self._enqueue_timers()
            ready = [p for p in self.pending() if not hold(p)]
            if not ready:
                return n
            self.step(ready[0].index)
            n += 1
            if n > max_steps:
                raise LocalnetError("too many steps")

    # -- time --------------------------------------------------------------------------------
    def set_time(self, ns: int) -> None:
        if ns < self.time_ns:
            raise LocalnetError("time cannot go backwards")
        self.time_ns = int(ns)

    def advance_time(self, seconds: float, run: bool = True) -> None:
        """Move time forward. With `run`: one round with heartbeats (tick), then rounds until
        idle, so due timers fire (each as its own message, in due order)."""
        if seconds < 0:
            raise LocalnetError("time cannot go backwards")
        self.time_ns += int(seconds * 1_000_000_000)
        if run:
            self.tick()
            self.run_until_idle()

    # -- state ---------------------------------------------------------------------------------
    def snapshot(self):
        from localnet.runtime.state import take_snapshot

        return take_snapshot(self)

    def revert(self, snapshot) -> None:
        from localnet.runtime.state import restore_snapshot

        restore_snapshot(self, snapshot)

    def save(self, directory: str) -> None:
        from localnet.runtime.state import save

        save(self, directory)

    @classmethod
    def load(cls, directory: str, **kwargs) -> "Network":
        from localnet.runtime.state import load

        return load(cls, directory, **kwargs)
