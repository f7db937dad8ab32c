"""The state of one canister: code, namespace, stable memory, cycles, timers, logs."""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from kybra import Principal

from localnet.runtime.stable import StableStore


def canister_id_bytes(index: int) -> bytes:
    """The IC's canister id layout: the 8-byte big-endian index followed by 0x01 0x01."""
    return index.to_bytes(8, "big") + b"\x01\x01"


MANAGEMENT_ID = b""


@dataclass
class Timer:
    id: int
    due_ns: int
    interval_ns: Optional[int]
    func: Optional[Callable[[], Any]]  # None: Kybra's own raw_rand seeding of `random`
    seq: int = 0


@dataclass
class LogRecord:
    idx: int
    timestamp_nanos: int
    content: str


@dataclass
class Canister:
    """Everything the IC keeps for a canister. `namespace`/`interface` are None while empty."""

    id: bytes
    controllers: List[bytes]
    cycles: int
    seed: bytes
    status: str = "running"  # running | stopping | stopped
    module: Optional[bytes] = None  # the installed module bytes as given (maybe gzipped)
    bundle: Any = None  # SourceBundle
    interface: Any = None  # CanisterInterface
    namespace: Any = None  # CanisterNamespace
    candid: Optional[str] = None
    stable: StableStore = field(default_factory=StableStore)
    certified_data: bytes = b""
    logs: List[LogRecord] = field(default_factory=list)
    timers: Dict[int, Timer] = field(default_factory=dict)
    next_timer_id: int = 1
    timer_seq: int = 0
    chunks: Dict[bytes, bytes] = field(default_factory=dict)  # sha256 -> chunk
    wakeups: Optional[list] = None  # the network's heap of (due_ns, canister id) hints
    freezing_threshold: int = 2_592_000
    memory_allocation: int = 0
    compute_allocation: int = 0
    reserved_cycles_limit: Optional[int] = None
    reserved_cycles: int = 0  # set aside for storage on memory growth (cycles.py [RESERVE])
    log_visibility: str = "controllers"
    wasm_memory_limit: int = 0
    install_count: int = 0
    open_calls: int = 0  # call contexts still waiting for responses
    deleted_below: int = 0  # contexts of an install_count below this were deleted (uninstall)
    awaiting: Dict[int, Any] = field(default_factory=dict)  # id -> Execution awaiting a response
    stale_responses: int = 0  # responses to pre-upgrade calls that reached a newer module
    stop_requests: List[Any] = field(default_factory=list)  # stop_canister calls awaiting `stopped`

    @property
    def principal(self) -> Principal:
        return Principal(self.id)

    @property
    def module_hash(self) -> Optional[bytes]:
        return None if self.module is None else hashlib.sha256(self.module).digest()

    @property
    def is_empty(self) -> bool:
        return self.namespace is None

    def is_controller(self, who: bytes) -> bool:
        return who in self.controllers

    def memory_size(self) -> int:
        size = self.stable.memory_size()
        if self.bundle is not None:
            size += sum(len(s) for s in self.bundle.modules.values())
        return size

    def allocated_bytes(self, usage: Optional[int] = None) -> int:
        """`MemoryAllocation::allocated_bytes`: the memory the canister pays for, its
        memory allocation or its usage (`memory_size()` unless given), whichever is larger
        (a best-effort allocation, 0, is its usage)."""
        return max(self.memory_allocation, self.memory_size() if usage is None else usage)

    def log(self, time_ns: int, text: str) -> None:
        self.logs.append(LogRecord(len(self.logs), time_ns, text))

    def add_timer(self, due_ns: int, interval_ns: Optional[int], func) -> int:
        tid = self.next_timer_id
        self.next_timer_id += 1
        self.timer_seq += 1
        self.timers[tid] = Timer(tid, due_ns, interval_ns, func, self.timer_seq)
        self.wake_at(due_ns)
        return tid

    def wake_at(self, due_ns: int) -> None:
        """Tell the scheduler to look at this canister's timers at `due_ns`."""
        if self.wakeups is not None:
            heapq.heappush(self.wakeups, (due_ns, self.id))

    def due_timers(self, now_ns: int) -> List[Timer]:
        due = [t for t in self.timers.values() if t.due_ns <= now_ns]
        due.sort(key=lambda t: (t.due_ns, t.seq))
        return due

    def volatile_state(self) -> Tuple:
        """Non-heap, non-stable state a trap must roll back."""
        return (dict(self.timers), self.next_timer_id, self.timer_seq, self.certified_data, self.cycles, len(self.logs))

    def restore_volatile(self, saved: Tuple) -> None:
        """Back to `volatile_state()`; logs are kept (the IC keeps a trapped message's
        logs too)."""
        (timers, self.next_timer_id, self.timer_seq, self.certified_data, self.cycles, _) = saved
        self.timers = timers
