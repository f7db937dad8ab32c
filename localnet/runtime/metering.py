"""Instruction metering: counts the Python bytecodes a message executes.

Kybra runs canister Python in RustPython compiled to Wasm; the IC meters Wasm instructions.
localnet counts CPython bytecodes of canister code (frames whose code is not localnet's own
host code) and converts them with ONE factor, `INSTRUCTIONS_PER_BYTECODE`: the estimated
Wasm instructions RustPython spends per bytecode. The limits are the IC's
(updates/timers 40B, queries 5B, install/upgrade 300B instructions); exceeding one traps
with IC0522, as on the IC. Metering uses `sys.settrace` with `f_trace_opcodes`, so it is
slow and off by default: `Network(metering=True)`.
"""
from __future__ import annotations

import os
import sys

from localnet.runtime.errors import CANISTER_INSTRUCTION_LIMIT_EXCEEDED, Trap

INSTRUCTIONS_PER_BYTECODE = 1_000
LIMITS = {
    "update": 40_000_000_000,
    "query": 5_000_000_000,
    "install": 300_000_000_000,
}
_HOST_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # localnet/


def instructions(bytecodes: int) -> int:
    return bytecodes * INSTRUCTIONS_PER_BYTECODE


class Meter:
    """Counts bytecodes while installed; raises Trap when the message limit is exceeded."""

    def __init__(self, limit_instructions: int, on_trap=None):
        self.limit_bytecodes = limit_instructions // INSTRUCTIONS_PER_BYTECODE
        self.bytecodes = 0
        self.on_trap = on_trap  # records the trap in the execution (so it cannot be caught)
        self._previous = None

    def _local(self, frame, event, arg):
        if event == "opcode":
            self.bytecodes += 1
            if self.bytecodes > self.limit_bytecodes:  # raised again at every opcode
                trap = Trap("exceeded the instruction limit for single message execution.",
                            CANISTER_INSTRUCTION_LIMIT_EXCEEDED)
                raise self.on_trap(trap) if self.on_trap is not None else trap
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename.startswith(_HOST_DIR):
            return None
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        return self._local

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._global)  # a resumed generator frame gets a 'call' event too
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return False
