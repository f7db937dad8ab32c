"""Instruction metering: what a message would cost as a Kybra 0.7.1 canister on the IC.

Kybra runs canister Python in RustPython compiled to Wasm; the IC meters Wasm instructions.
localnet counts the CPython bytecodes of canister code (frames whose code is not localnet's
own host code: canister modules, the `kybra` package, the stdlib they call) and adds the
native work Kybra's Rust runtime does around them. The message's instructions are

    bytecodes * INSTRUCTIONS_PER_BYTECODE + the native charges below

and the IC's limits apply to that sum: updates/timers 40B, queries 5B, install/upgrade 300B
instructions; exceeding one traps with IC0522, as on the IC.

Sources of the constants (tests/runtime/test_metering_calibration.py recomputes or checks
each one; docs/kybra.md "Metering" has the table):

* INSTRUCTIONS_PER_BYTECODE. PocketIC instruction counts of RustPython canisters published by
  the basilisk project (a Kybra fork on the demergent-labs RustPython fork): README of
  github.com/smart-social-contracts/basilisk at commit dcd58eef (2026-03-03), benchmark
  source `benchmarks/counter/src/main.py` at that commit (`PUBLISHED_COUNTS`). Divided by
  the bytecodes this meter counts in the same bodies (tests/canisters/calibration) they give,
  per CPython 3.11 bytecode: recursive fib 1,188, list work 1,055, strings 2,106, dicts 1,921
  (3.12/3.13 run about 10% fewer bytecodes: 1,287 / 1,161 / 2,341 / 2,096-2,305). Canister
  code here is dict- and string-heavy (records are dicts, keys are strings), so the factor is
  the strings figure, the largest: localnet must be at least as strict as the IC.
* MESSAGE_ENTRY + CANDID_DECODE: the same README, `method_overhead` (performance_counter(1)
  as the first statement of a no-argument query): 42,102 instructions, which the meter
  reproduces as entry + the empty argument's decoding + the bytecodes before the counter.
* IC_CALL: the same README, `noop`: 88,918 instructions between two consecutive
  `ic.performance_counter(0)` calls, minus the bytecodes of the Python side of one call
  (Kybra's `ic` wrapper, counted by the meter itself): the Rust half of one `ic.*` call
  (argument conversion, ic0 call, result conversion). Charged after each `_kybra_ic` call.
* Stable maps (ic-stable-structures 0.5.6, B = 6: up to 11 keys per node). `Node::load` reads
  every key of the node and calls `K::from_bytes` on it (src/btreemap/node.rs at v0.5.6),
  and Kybra's `Storable::from_bytes` is `candid::Decode!` (kybra_generate
  stable_b_tree_map_nodes/rust/storable_impl.rs). An operation walks `btree_depth(len)`
  nodes. Raw costs per operation of the 0.5.6 node layout ("v1") on a 10,000-entry map, u64
  keys and values, from dfinity/stable-structures benchmarks/results.yml at ab9a9dd
  (2023-09-05, the first committed results; the V1 node code is 0.5.6's): get 41,148,
  insert 77,075, remove 110,882 instructions (`btreemap_{get,insert,remove}_u64_u64` /
  10,000), of which node loads 29,092 per get (5 levels). STABLE_MAP_RAW scales them by
  depth / 5; on top, every key of every visited node costs one CANDID_DECODE.
* Candid (candid 0.10, the crate Kybra 0.7.1 locks to 0.10.10): dfinity/candid
  rust/bench/canbench_results.yml at b5ce3619 (2024-02-20): `extra_args` (a Decode! of a
  header and a 3-entry type table, no value) 65,236 instructions, so one Decode! of a small
  key is taken as 15,000 (bounded by method_overhead above); `option_list`/`variant_list`
  decode 31.8M/23.8M for 2,048 two-value records, about 3,900 per value
  (CANDID_PER_VALUE); `text` decode 17.8M + encode 28.8M for 2 MiB, about 22 per byte
  (CANDID_PER_BYTE). Charged for arguments, replies, call arguments and replies of
  inter-canister calls, stable-map keys and values. The Python side of a conversion
  (RustPython objects built or read per value) is PY_VALUE per value: one bytecode's worth,
  an estimate with no published measurement.
* json. RustPython's stdlib has no C JSON encoder, so `json.dumps`/`json.loads` run as pure
  Python there: while a meter is active, localnet switches CPython's json to its pure-Python
  implementation (`json_pure_python`), so the meter counts their bytecodes like any other.

On CPython 3.11 the meter uses `sys.settrace` opcode events; on 3.12+ (where settrace is built
on sys.monitoring and opcode events set from a 'call' event never fire) it uses
`sys.monitoring` INSTRUCTION events on canister code objects. Metering is slow and off by
default: `Network(metering=True)`.
"""

from __future__ import annotations

import contextlib
import json
import json.decoder
import json.encoder
import json.scanner
import os
import sys
import weakref
from typing import Any, Optional

from localnet.runtime.errors import CANISTER_INSTRUCTION_LIMIT_EXCEEDED, Trap

# per CPython version: 3.12 and 3.13 execute about 8-10% fewer (larger) bytecodes for the
# same source, so each version has its own calibration (the strings figure, the largest)
FACTORS = {(3, 11): 2_100, (3, 12): 2_340, (3, 13): 2_340}
INSTRUCTIONS_PER_BYTECODE = FACTORS.get(sys.version_info[:2], FACTORS[(3, 13)])
LIMITS = {
    "update": 40_000_000_000,
    "query": 5_000_000_000,
    "install": 300_000_000_000,
}

# Published figures the constants come from (see the module docstring); tests recompute them.
BASILISK_SOURCE = (
    "github.com/smart-social-contracts/basilisk README at dcd58eef "
    "(RustPython backend, PocketIC), benchmarks/counter/src/main.py"
)
PUBLISHED_COUNTS = {  # benchmark -> RustPython instructions of its body
    "fibonacci_recursive": 338_200_210,  # fib(20), recursive
    "list_ops": 5_819_063,  # 500 appends + sort
    "string_ops": 2_139_351,  # 100 concatenations
    "dict_ops": 23_086_280,  # 500 inserts + 500 lookups
}
BASILISK_NOOP_BODY = 88_918  # between two consecutive ic.performance_counter(0)
BASILISK_METHOD_OVERHEAD = 42_102  # performance_counter(1) as a query's first statement

MESSAGE_ENTRY = 6_000
IC_CALL = 64_000
CANDID_DECODE = 15_000
CANDID_PER_VALUE = 3_900
CANDID_PER_BYTE = 22
PY_VALUE = INSTRUCTIONS_PER_BYTECODE
BTREE_KEYS_PER_NODE = 11  # CAPACITY = 2B - 1 with B = 6 (ic-stable-structures 0.5.6)
BTREE_FILL = 8  # keys per node on average (random inserts fill a B-tree about ln 2 = 69%)
STABLE_MAP_RAW = {"get": 41_148, "insert": 77_075, "remove": 110_882}  # at depth 5
STABLE_MAP_RAW_DEPTH = 5
NODE_LOAD_RAW = 29_092 // STABLE_MAP_RAW_DEPTH  # node_load_v1 per get / levels

_HOST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # localnet/
_MONITORING = sys.version_info >= (3, 12)


def cost_constants() -> dict:
    """The metering constants in force (for benchmarks and reports)."""
    return {
        "instructions_per_bytecode": INSTRUCTIONS_PER_BYTECODE,
        "message_entry": MESSAGE_ENTRY,
        "ic_call": IC_CALL,
        "candid_decode": CANDID_DECODE,
        "candid_per_value": CANDID_PER_VALUE,
        "candid_per_byte": CANDID_PER_BYTE,
        "py_value": PY_VALUE,
        "btree_keys_per_node": BTREE_KEYS_PER_NODE,
        "btree_fill": BTREE_FILL,
        "stable_map_raw": dict(STABLE_MAP_RAW),
        "stable_map_raw_depth": STABLE_MAP_RAW_DEPTH,
        "node_load_raw": NODE_LOAD_RAW,
        "json": "pure Python (C accelerators off while metering)",
    }


def btree_depth(entries: int) -> int:
    """Nodes an operation visits in a map of `entries` (0 for an empty map: no root)."""
    depth, capacity = 0, 0
    while capacity < entries:  # a tree of depth d holds up to (fill + 1)^d - 1 entries
        depth += 1
        capacity = (BTREE_FILL + 1) ** depth - 1
    return depth


def stable_map_cost(op: str, entries: int) -> int:
    """Native instructions of one StableBTreeMap operation (without the value's Candid)."""
    depth = btree_depth(max(entries, 1))
    raw = STABLE_MAP_RAW[op] * depth // STABLE_MAP_RAW_DEPTH
    keys_decoded = min(entries, depth * BTREE_FILL)
    return raw + keys_decoded * CANDID_DECODE


def candid_cost(data: bytes, values: int) -> int:
    """One Candid message or stored value converted between bytes and Python objects."""
    return CANDID_DECODE + len(data) * CANDID_PER_BYTE + values * (CANDID_PER_VALUE + PY_VALUE)


def count_values(value: Any) -> int:
    """Values a Candid conversion visits (every scalar and every container)."""
    n = 1
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            n += len(v)
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            n += len(v)
            stack.extend(v)
    return n


_ACTIVE: list = []


def current() -> Optional["Meter"]:
    return _ACTIVE[-1] if _ACTIVE else None


def charge(instructions: int) -> None:
    """Charge native work to the message being metered (no-op when metering is off)."""
    if _ACTIVE:
        _ACTIVE[-1].charge(instructions)


def charge_candid(data: bytes, value: Any) -> None:
    """One stored value (or key) converted between Candid bytes and Python."""
    if _ACTIVE:
        _ACTIVE[-1].charge(candid_cost(data, count_values(value)))


def charge_candid_args(data: bytes, values: list) -> None:
    """A message's argument (or reply) tuple converted between Candid bytes and Python."""
    if _ACTIVE:
        _ACTIVE[-1].charge(candid_cost(data, sum(count_values(v) for v in values)))


def charge_stable_map(op: str, entries: int, enc_key: bytes, key: Any) -> None:
    """One get/contains_key/insert/remove: the walk, and the key's `to_bytes` (Encode!)."""
    if _ACTIVE:
        _ACTIVE[-1].charge(stable_map_cost(op, entries) + candid_cost(enc_key, count_values(key)))


def charge_stable_scan(entries: int) -> None:
    """keys()/values()/items(): every node loaded once, every key decoded once and turned
    into a Python value (values are charged as they are decoded)."""
    if _ACTIVE:
        nodes = -(-entries // BTREE_FILL)
        _ACTIVE[-1].charge(nodes * NODE_LOAD_RAW + entries * (CANDID_DECODE + PY_VALUE))


def instructions(bytecodes: int, native: int = 0) -> int:
    return bytecodes * INSTRUCTIONS_PER_BYTECODE + native


@contextlib.contextmanager
def json_pure_python():
    """CPython's json with its C accelerators switched off (RustPython has none)."""
    saved = (
        json.encoder.c_make_encoder,
        json.encoder.encode_basestring_ascii,
        json.encoder.encode_basestring,
        json.decoder.scanstring,
        json.scanner.make_scanner,
        json._default_decoder,
        json._default_encoder,
    )
    json.encoder.c_make_encoder = None
    json.encoder.encode_basestring_ascii = json.encoder.py_encode_basestring_ascii
    json.encoder.encode_basestring = json.encoder.py_encode_basestring
    json.decoder.scanstring = json.decoder.py_scanstring
    json.scanner.make_scanner = json.scanner.py_make_scanner
    json._default_decoder = json.decoder.JSONDecoder()
    json._default_encoder = json.encoder.JSONEncoder()
    try:
        yield
    finally:
        (
            json.encoder.c_make_encoder,
            json.encoder.encode_basestring_ascii,
            json.encoder.encode_basestring,
            json.decoder.scanstring,
            json.scanner.make_scanner,
            json._default_decoder,
            json._default_encoder,
        ) = saved


class Meter:
    """Counts canister bytecodes and native charges while installed; raises Trap when the
    message limit is exceeded (again at every later bytecode, so canister code cannot
    swallow it)."""

    def __init__(self, limit_instructions: int, on_trap=None):
        self.limit = limit_instructions
        self.bytecodes = 0
        self.native = 0
        self.on_trap = on_trap  # records the trap in the execution (so it cannot be caught)
        self._budget = limit_instructions // INSTRUCTIONS_PER_BYTECODE
        self._previous = None
        self._json = None

    @property
    def instructions(self) -> int:
        return instructions(self.bytecodes, self.native)

    def _trap(self):
        trap = Trap("exceeded the instruction limit for single message execution.", CANISTER_INSTRUCTION_LIMIT_EXCEEDED)
        return self.on_trap(trap) if self.on_trap is not None else trap

    def charge(self, n: int) -> None:
        self.native += n
        self._budget = (self.limit - self.native) // INSTRUCTIONS_PER_BYTECODE
        if self.instructions > self.limit:
            raise self._trap()

    def _opcode(self) -> None:
        self.bytecodes += 1
        if self.bytecodes > self._budget:
            raise self._trap()

    # -- CPython 3.11: sys.settrace opcode events ---------------------------------------
    def _local(self, frame, event, arg):
        if event == "opcode":
            self._opcode()
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(_HOST_DIR):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    # -- CPython 3.12+: sys.monitoring INSTRUCTION events --------------------------------
    def _instruction(self, code, offset):
        self._opcode()

    def _start(self, code, offset):
        mon = sys.monitoring
        if not code.co_filename.startswith(_HOST_DIR):
            _CANISTER_CODES.add(code)
            mon.set_local_events(_tool_id(), code, mon.events.INSTRUCTION)
        return mon.DISABLE  # this code is classified: no more start events for it

    def __enter__(self):
        if _ACTIVE:
            raise RuntimeError("metering: a meter is already active")
        if not _CHECKED:
            _CHECKED.append(self_test())
        _ACTIVE.append(self)
        self._json = json_pure_python()
        self._json.__enter__()
        if _MONITORING:
            mon, tool = sys.monitoring, _tool_id()
            mon.register_callback(tool, mon.events.INSTRUCTION, self._instruction)
            mon.register_callback(tool, mon.events.PY_START, self._start)
            mon.register_callback(tool, mon.events.PY_RESUME, self._start)
            for code in list(_CANISTER_CODES):  # classified in an earlier message
                mon.set_local_events(tool, code, mon.events.INSTRUCTION)
            # PY_RESUME too: a generator started while metering was off is resumed here
            mon.set_events(tool, mon.events.PY_START | mon.events.PY_RESUME)
        else:
            self._previous = sys.gettrace()
            sys.settrace(self._global)  # a resumed generator frame gets a 'call' event too
        return self

    def __exit__(self, *exc):
        try:
            if _MONITORING:
                mon, tool = sys.monitoring, _tool_id()
                mon.set_events(tool, 0)
                for code in list(_CANISTER_CODES):
                    mon.set_local_events(tool, code, 0)
                mon.register_callback(tool, mon.events.INSTRUCTION, None)
                mon.register_callback(tool, mon.events.PY_START, None)
                mon.register_callback(tool, mon.events.PY_RESUME, None)
            else:
                sys.settrace(self._previous)
        finally:
            self._json.__exit__(None, None, None)
            _ACTIVE.remove(self)
        return False


_CANISTER_CODES: "weakref.WeakSet" = weakref.WeakSet()
_TOOL: list = []


def _tool_id() -> int:
    """A sys.monitoring tool id, taken once per process (the first free one from 5 down)."""
    if not _TOOL:
        mon = sys.monitoring
        for tool in (5, 4, 3, 2):
            if mon.get_tool(tool) is None:
                mon.use_tool_id(tool, "localnet-meter")
                _TOOL.append(tool)
                break
        else:
            raise RuntimeError("metering: no free sys.monitoring tool id")
    return _TOOL[0]


_CHECKED: list = []
_PROBE = compile("total = 0\nfor i in range(100):\n    total += i\n", "<metering self-test>", "exec")


def self_test() -> int:
    """Meter a 100-iteration loop; raise if nothing is counted (as Python 3.12's settrace
    opcode events did), so metering never silently reports zero."""
    meter = Meter(LIMITS["update"])
    _CHECKED.append(0)  # the probe's own __enter__ must not recurse
    try:
        with meter:
            exec(_PROBE, {})
    finally:
        _CHECKED.pop()
    if not 300 <= meter.bytecodes <= 3_000:
        raise RuntimeError(
            f"metering: a 100-iteration loop counted {meter.bytecodes} "
            f"bytecodes on Python {sys.version.split()[0]}; the meter is broken"
        )
    return meter.bytecodes
