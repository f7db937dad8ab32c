"""`_kybra_ic`: the object Kybra's `ic` class and `StableBTreeMap` call into.

Kybra's Rust runtime defines it (kybra_generate/src/ic_object/functions/*.rs): each method
converts its Python arguments, calls the IC system API through ic_cdk and converts the
result back. This implementation does the same against localnet's canister state. One
instance is bound to one execution segment of one canister.
"""

from __future__ import annotations

from typing import Any

from kybra import Principal

from localnet.runtime import limits, metering
from localnet.runtime.errors import CANISTER_CONTRACT_VIOLATION, Trap
from localnet.runtime.execution import Reject, Reply
from localnet.runtime.stable import MAX_STABLE32_PAGES

REJECTION_CODES = {
    0: "NoError",
    1: "SysFatal",
    2: "SysTransient",
    3: "DestinationInvalid",
    4: "CanisterReject",
    5: "CanisterError",
}
U64 = 2**64
U128 = 2**128


def _int(value, bits: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}: expected an int, got {type(value).__name__}")
    if value < 0 or value >= 2**bits:
        raise TypeError(f"{what}: {value} is out of range for u{bits}")
    return value


def _blob(value, what: str) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value)
    raise TypeError(f"{what}: expected bytes, got {type(value).__name__}")


def _str(value, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: expected a str, got {type(value).__name__}")
    return value


class KybraIc:
    """The `_kybra_ic` builtin for one execution segment."""

    def __init__(self, network, canister, execution):
        self._net = network
        self._canister = canister
        self._ex = execution

    def __getattribute__(self, name: str) -> Any:
        attr = object.__getattribute__(self, name)
        if name[0] == "_" or not callable(attr):
            return attr

        def native_call(*args):  # one `ic.*` call into Kybra's Rust runtime
            result = attr(*args)
            metering.charge(metering.IC_CALL)  # after: performance_counter excludes itself
            return result

        return native_call

    # -- helpers ------------------------------------------------------------------------
    def _trap(self, message: str, code: str = "IC0503"):
        raise self._ex.mark_trap(Trap(message, code))

    def _require(self, *modes):
        if self._ex.mode not in modes:
            self._trap(f"this system call is not allowed in {self._ex.mode} mode", CANISTER_CONTRACT_VIOLATION)

    # -- message ------------------------------------------------------------------------
    def accept_message(self):
        self._require("inspect")
        self._ex.accepted_message = True

    def arg_data_raw(self) -> bytes:
        return self._ex.message.arg

    def arg_data_raw_size(self) -> int:
        return len(self._ex.message.arg)

    def caller(self) -> Principal:
        return Principal(self._ex.message.caller)

    def id(self) -> Principal:
        return Principal(self._canister.id)

    def method_name(self) -> str:
        self._require("inspect")
        return self._ex.message.method

    def time(self) -> int:
        return self._net.time_ns

    def print(self, text) -> None:
        text = _str(text, "print")
        self._canister.log(self._net.time_ns, text)
        self._net._on_print(self._canister, text)

    def trap(self, message):
        message = _str(message, "trap")
        self._trap(message)

    # -- replies ----------------------------------------------------------------------
    def _answer(self, result):
        if self._ex.mode in ("init", "post_upgrade", "pre_upgrade", "heartbeat", "timer", "inspect"):
            self._trap("ic0.msg_reply: this message cannot be replied to", CANISTER_CONTRACT_VIOLATION)
        if self._ex.replied:
            self._trap("ic0.msg_reply: the call is already replied", CANISTER_CONTRACT_VIOLATION)
        if isinstance(result, Reply):
            size, what = len(result.data), "ic0.msg_reply_data_append"
        else:
            size, what = len(result.message.encode("utf-8")), "ic0.msg_reject"
        if size > limits.max_reply_size(self._ex.non_replicated):
            try:
                limits.check_reply(size, self._ex.non_replicated, what)
            except Trap as t:
                self._trap(t.message, t.error_code)
        self._ex.result = result

    def reply(self, first_called_function_name, value):
        # Kybra passes the name of the outermost Python frame, which under Kybra is the
        # function its Rust runtime called; here that frame is known to the runtime.
        name = self._ex.entry_name
        sig = self._canister.interface.methods.get(name)
        if sig is None or not sig.is_manual or sig.kind not in ("query", "update"):
            raise SystemError(f'attempted to reply from "{name}", but it does not appear to be a canister method')
        data = self._net._encode(self._canister, sig.rets, (value,)[: len(sig.rets)])
        self._answer(Reply(data))

    def reply_raw(self, buf):
        self._answer(Reply(_blob(buf, "reply_raw")))

    def reject(self, message):
        self._answer(Reject(4, _str(message, "reject"), "IC0406"))

    def reject_code(self) -> dict:
        return {REJECTION_CODES.get(self._ex.last_reject[0], "Unknown"): None}

    def reject_message(self) -> str:
        if self._ex.last_reject[0] == 0:
            self._trap("ic0.msg_reject_msg_size: no reject message available", CANISTER_CONTRACT_VIOLATION)
        return self._ex.last_reject[1]

    # -- candid -------------------------------------------------------------------------
    def candid_encode(self, candid_string) -> bytes:
        from kybra import CandidError

        from localnet.runtime.candid_text import encode_text

        source = _str(candid_string, "candid_encode")
        try:
            return encode_text(source)
        except Exception as e:
            raise CandidError(str(e)) from None

    def candid_decode(self, candid_encoded) -> str:
        from kybra import CandidError

        from localnet.runtime.candid_text import decode_to_text

        data = _blob(candid_encoded, "candid_decode")
        try:
            return decode_to_text(data)
        except Exception as e:
            raise CandidError(str(e)) from None

    # -- cycles -------------------------------------------------------------------------
    def canister_balance(self) -> int:
        return min(self._canister.cycles, U64 - 1)

    def canister_balance128(self) -> int:
        return self._canister.cycles

    def msg_cycles_available(self) -> int:
        return min(self._ex.cycles_available, U64 - 1)

    def msg_cycles_available128(self) -> int:
        return self._ex.cycles_available

    def msg_cycles_accept(self, max_amount) -> int:
        return self._accept(_int(max_amount, 64, "msg_cycles_accept"))

    def msg_cycles_accept128(self, max_amount) -> int:
        return self._accept(_int(max_amount, 128, "msg_cycles_accept128"))

    def _accept(self, amount: int) -> int:
        if self._ex.mode in ("query", "composite", "inspect"):
            return 0
        take = min(amount, self._ex.cycles_available)
        self._ex.cycles_available -= take
        self._canister.cycles += take
        return take

    def msg_cycles_refunded(self) -> int:
        return min(self._ex.cycles_refunded, U64 - 1)

    def msg_cycles_refunded128(self) -> int:
        return self._ex.cycles_refunded

    # -- certification ------------------------------------------------------------------
    def set_certified_data(self, data):
        data = _blob(data, "set_certified_data")
        if len(data) > 32:
            self._trap(
                "ic0_certified_data_set failed because the passed data must be no larger than 32 bytes",
                CANISTER_CONTRACT_VIOLATION,
            )
        if self._ex.mode in ("query", "composite", "inspect"):
            self._trap("ic0.certified_data_set cannot be called in query mode", CANISTER_CONTRACT_VIOLATION)
        self._canister.certified_data = data

    def data_certificate(self):
        if self._ex.mode != "query":
            return None
        return self._net._data_certificate(self._canister)

    def performance_counter(self, counter_type) -> int:
        counter_type = _int(counter_type, 32, "performance_counter")
        if counter_type == 0:  # this message execution, as metered so far
            return self._net._live_instructions()
        if counter_type == 1:  # the call context: earlier executions of this call too
            return self._ex.call_instructions + self._net._live_instructions()
        self._trap(f"performance_counter: unknown counter type {counter_type}", CANISTER_CONTRACT_VIOLATION)

    # -- timers -------------------------------------------------------------------------
    def set_timer(self, delay, func) -> int:
        delay = _int(delay, 64, "set_timer delay")
        return self._canister.add_timer(self._net.time_ns + delay * 1_000_000_000, None, func)

    def set_timer_interval(self, interval, func) -> int:
        interval = _int(interval, 64, "set_timer_interval interval")
        ns = interval * 1_000_000_000
        return self._canister.add_timer(self._net.time_ns + ns, ns, func)

    def clear_timer(self, timer_id) -> None:
        self._canister.timers.pop(_int(timer_id, 64, "clear_timer id"), None)

    # -- raw stable memory ----------------------------------------------------------------
    def stable_size(self) -> int:
        return self._canister.stable.size_pages()

    def stable64_size(self) -> int:
        return self._canister.stable.size_pages()

    def stable_grow(self, new_pages) -> dict:
        old = self._canister.stable.grow(_int(new_pages, 32, "stable_grow"), MAX_STABLE32_PAGES)
        return {"Err": {"OutOfMemory": None}} if old < 0 else {"Ok": old}

    def stable64_grow(self, new_pages) -> dict:
        old = self._canister.stable.grow(_int(new_pages, 64, "stable64_grow"))
        return {"Err": {"OutOfMemory": None}} if old < 0 else {"Ok": old}

    def stable_read(self, offset, length) -> bytes:
        return self._stable_io(
            lambda: self._canister.stable.read(
                _int(offset, 32, "stable_read offset"), _int(length, 32, "stable_read length")
            )
        )

    def stable64_read(self, offset, length) -> bytes:
        return self._stable_io(
            lambda: self._canister.stable.read(
                _int(offset, 64, "stable64_read offset"), _int(length, 64, "stable64_read length")
            )
        )

    def stable_write(self, offset, buf) -> None:
        self._stable_io(
            lambda: self._canister.stable.write(_int(offset, 32, "stable_write offset"), _blob(buf, "stable_write"))
        )

    def stable64_write(self, offset, buf) -> None:
        self._stable_io(
            lambda: self._canister.stable.write(_int(offset, 64, "stable64_write offset"), _blob(buf, "stable64_write"))
        )

    def stable_bytes(self) -> bytes:
        return bytes(self._canister.stable.raw)

    def _stable_io(self, fn):
        try:
            return fn()
        except Trap as t:
            raise self._ex.mark_trap(t)

    # -- StableBTreeMap -------------------------------------------------------------------
    def _map(self, memory_id):
        return self._canister.stable.map(_int(memory_id, 8, "memory_id"))

    def stable_b_tree_map_contains_key(self, memory_id, key) -> bool:
        return self._stable_io(lambda: self._map(memory_id).contains_key(key))

    def stable_b_tree_map_get(self, memory_id, key):
        return self._stable_io(lambda: self._map(memory_id).get(key))

    def stable_b_tree_map_insert(self, memory_id, key, value):
        return self._stable_io(lambda: self._canister.stable.insert(_int(memory_id, 8, "memory_id"), key, value))

    def stable_b_tree_map_remove(self, memory_id, key):
        return self._stable_io(lambda: self._canister.stable.remove(_int(memory_id, 8, "memory_id"), key))

    def stable_b_tree_map_is_empty(self, memory_id) -> bool:
        return self._stable_io(lambda: self._map(memory_id).length() == 0)

    def stable_b_tree_map_len(self, memory_id) -> int:
        return self._stable_io(lambda: self._map(memory_id).length())

    def stable_b_tree_map_items(self, memory_id) -> list:
        return self._stable_io(lambda: self._map(memory_id).items())

    def stable_b_tree_map_keys(self, memory_id) -> list:
        return self._stable_io(lambda: self._map(memory_id).keys())

    def stable_b_tree_map_values(self, memory_id) -> list:
        return self._stable_io(lambda: self._map(memory_id).values())

    # -- one-way calls --------------------------------------------------------------------
    def notify_raw(self, canister_id, method, args_raw, payment) -> dict:
        return self._net._notify(
            self._canister,
            self._ex,
            canister_id,
            _str(method, "notify_raw method"),
            _blob(args_raw, "notify_raw args"),
            _int(payment, 128, "notify_raw payment"),
        )

    def __getattr__(self, name: str) -> Any:
        # AsyncInfo.notify() calls `notify_[with_payment128_]{Class}_{method}_wrapper(args)`
        if name.startswith("notify_") and name.endswith("_wrapper"):
            inner = name[len("notify_") : -len("_wrapper")]
            with_payment = inner.startswith("with_payment128_")
            if with_payment:
                inner = inner[len("with_payment128_") :]

            def wrapper(args):
                return self._net._notify_service(self._canister, self._ex, inner, list(args), with_payment)

            return wrapper
        raise AttributeError(f"'ic' object has no attribute '{name}'")
