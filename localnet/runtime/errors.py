"""Reject codes, IC error codes and the exceptions the runtime raises.

Reject codes are the interface spec's; error codes are the replica's `ErrorCode` values
(shown as `IC0503` etc.), so clients such as ic-py and PocketIC see familiar errors.
"""

from __future__ import annotations

SYS_FATAL = 1
SYS_TRANSIENT = 2
DESTINATION_INVALID = 3
CANISTER_REJECT = 4
CANISTER_ERROR = 5

# Replica error codes (ic_error_types::ErrorCode).
CANISTER_QUEUE_FULL = "IC0201"
STOP_CANISTER_REQUEST_TIMEOUT = "IC0206"
CANISTER_OUT_OF_CYCLES = "IC0207"
CANISTER_NOT_FOUND = "IC0301"
CANISTER_METHOD_NOT_FOUND = "IC0302"
INSUFFICIENT_CYCLES_FOR_CREATE = "IC0403"
CANISTER_REJECTED_MESSAGE = "IC0406"
UNKNOWN_MANAGEMENT_MESSAGE = "IC0407"
INVALID_MANAGEMENT_PAYLOAD = "IC0408"
CANISTER_TRAPPED = "IC0502"
CANISTER_CALLED_TRAP = "IC0503"
CANISTER_CONTRACT_VIOLATION = "IC0504"
CANISTER_INVALID_WASM = "IC0505"
CANISTER_DID_NOT_REPLY = "IC0506"
CANISTER_STOPPED = "IC0508"
CANISTER_STOPPING = "IC0509"
CANISTER_NOT_STOPPED = "IC0510"
CANISTER_STOPPING_CANCELLED = "IC0511"
CANISTER_INVALID_CONTROLLER = "IC0512"
CANISTER_NON_EMPTY = "IC0514"
INSUFFICIENT_CYCLES_IN_CALL = "IC0520"
CANISTER_INSTRUCTION_LIMIT_EXCEEDED = "IC0522"
COMPOSITE_QUERY_CALLED_IN_REPLICATED_MODE = "IC0527"
INSUFFICIENT_CYCLES_IN_MEMORY_ALLOCATION = "IC0531"
INSUFFICIENT_CYCLES_IN_MEMORY_GROW = "IC0532"
RESERVED_CYCLES_LIMIT_EXCEEDED_IN_MEMORY_ALLOCATION = "IC0533"
RESERVED_CYCLES_LIMIT_EXCEEDED_IN_MEMORY_GROW = "IC0534"
CANISTER_WASM_MODULE_NOT_FOUND = "IC0537"
RESERVED_CYCLES_LIMIT_IS_TOO_LOW = "IC0540"


# How the replica prints amounts in these messages: `Cycles`' Display separates thousands
# with underscores (`separate_with_underscores`, rs/types/cycles), `MemoryAllocation`'s
# Display is `best-effort` or its bytes' `display()` (rs/types/types/src/lib.rs: byte_unit's
# `get_appropriate_unit(true).format(2)`: the largest binary unit the amount *exceeds*,
# two decimals, plain `B` without). The replica appends a help text ("... See
# documentation: ...") to CanisterManagerError messages; localnet leaves it out, as for
# its other errors.
def cycles_text(amount: int) -> str:
    return f"{amount:_}"


def memory_allocation_text(nbytes: int) -> str:
    if nbytes == 0:
        return "best-effort"
    for power, unit in ((5, "PiB"), (4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if nbytes > 1024**power:
            return f"{nbytes / 1024**power:.2f} {unit}"
    return f"{nbytes} B"


def memory_grow_limit_message(nbytes: int, requested: int, limit: int) -> str:
    """ReservedCyclesLimitExceededInMemoryGrow (HypervisorError and CanisterManagerError
    print the same text)."""
    return (
        f"Canister cannot grow memory by {nbytes} bytes due to its reserved cycles limit. "
        f"The current limit ({cycles_text(limit)}) would be exceeded by {cycles_text(requested - limit)}."
    )


def memory_grow_cycles_message(nbytes: int, missing: int) -> str:
    """InsufficientCyclesInMemoryGrow, `required - available` cycles short."""
    return (
        f"Canister cannot grow memory by {nbytes} bytes due to insufficient cycles. "
        f"At least {cycles_text(missing)} additional cycles are required."
    )


class CallRejected(Exception):
    """A call ended in a reject: `.code` (reject code), `.message`, `.error_code` (IC0xxx)."""

    def __init__(self, code: int, message: str, error_code: str | None = None):
        super().__init__(f"reject code {code} ({error_code}): {message}")
        self.code = code
        self.message = message
        self.error_code = error_code


class Trap(BaseException):
    """Raised inside the runtime to abort the current message as a canister trap
    (reject code 5). A BaseException so canister code's `except Exception` cannot swallow
    it (on the IC a trap ends the message at once); the runtime also records the trap in
    the call context, so even `except BaseException` in canister code does not undo it."""

    def __init__(self, message: str, error_code: str = CANISTER_CALLED_TRAP):
        super().__init__(message)
        self.message = message
        self.error_code = error_code


class LocalnetError(Exception):
    """Misuse of the in-process API (bad ids, bad module bytes, ...)."""
