"""Encoding values that canister code hands to Kybra 0.7.1: its `try_from_vm_value` rules.

Kybra converts every Python value leaving canister code (a method's return value, `ic.reply`,
inter-canister and `notify` arguments, StableBTreeMap keys and values) to the Rust type of its
Candid type before encoding, with RustPython's `TryFromObject` conversions. Those are stricter
than the codec's host values, so the runtime encodes such values with
`binary.encode(..., kybra=True)`, which compiles the writers of `KybraEncoderCompiler`. A
refused value raises CandidError; the runtime raises it as the TypeError Kybra raises (a trap,
or an exception in canister code for a StableBTreeMap operation).

The rules and their sources are listed in docs/kybra.md ("Value conversion"). Where Kybra is
more lenient than the codec (any int as a bool, a bool as an int, any iterable for a vector of
fixed-size numbers, text or bools, a dict with several variant tags, a longer tuple, any value
for a `null` variant member) localnet keeps the codec's stricter rule: code that passes
localnet then also converts under Kybra.
"""

from __future__ import annotations

import struct

from .binary import _EncoderCompiler, _w_text_safe
from .errors import CandidError
from .principals import MAX_PRINCIPAL_BYTES, Principal, principal_from_text
from .subtype import resolve
from .types import NAT8, Func, Prim, Record, Service, Variant, Vec

# Element types whose Rust vector Kybra converts with RustPython's generic `Vec<T>`
# (extract_elements_with: list, tuple or any iterable); every other element type goes through
# Kybra's `try_from_vm_value_generic_array`, which requires a `list`.
ITERABLE_ELEMENTS = frozenset(("bool", "text", "nat8", "nat16", "nat32", "nat64", "int8", "int16", "int32", "int64"))


def downcast_error(expected: str, v) -> CandidError:
    """RustPython's `new_downcast_type_error` text (vm/src/vm/vm_new.rs)."""
    return CandidError(f"Expected type '{expected}' but '{type(v).__name__}' found")


def _float_writer(st: struct.Struct):
    pack = st.pack

    def write(v, out):
        if not isinstance(v, float):  # PyRef::<PyFloat>::try_from_object (float.rs)
            raise downcast_error("float", v)
        try:
            out += pack(v)
        except OverflowError:  # float32 only: Rust's `f64 as f32` saturates to infinity
            out += pack(float("inf") if v > 0 else float("-inf"))

    return write


def principal_raw(v) -> bytes:
    """`candid::Principal` from a Python value: Kybra calls `value.to_str()` and parses the
    text (basic.rs), so only Principal objects convert, never text or bytes."""
    if type(v) is Principal:
        raw = v._bytes
        if isinstance(raw, bytes) and len(raw) <= MAX_PRINCIPAL_BYTES:
            return raw
    to_str = getattr(v, "to_str", None)
    if to_str is None:
        raise CandidError(f"'{type(v).__name__}' object has no attribute 'to_str'")
    text = to_str()
    if not isinstance(text, str):
        raise downcast_error("str", text)
    try:
        return principal_from_text(text)
    except CandidError as e:
        raise CandidError(f"could not convert value to Principal: {e}") from None


def _w_principal(v, out):
    raw = principal_raw(v)
    out.append(1)
    out.append(len(raw))  # at most 29 bytes: a one-byte LEB128
    out += raw


def _w_service(v, out):
    """A Service value: Kybra reads `value.canister_id.to_str()` (service/rust.rs)."""
    cid = getattr(v, "canister_id", None)
    if cid is None:
        raise CandidError(f"'{type(v).__name__}' object has no attribute 'canister_id'")
    _w_principal(cid, out)


def _w_func(v, out):
    if not isinstance(v, tuple):  # candid::Func from a PyTupleRef (basic.rs)
        raise downcast_error("tuple", v)
    if len(v) != 2:
        raise CandidError(f"expected a func reference (principal, method), got {v!r}")
    out.append(1)
    _w_principal(v[0], out)
    _w_text_safe(v[1], out)


class KybraEncoderCompiler(_EncoderCompiler):
    """The codec's encoder with Kybra's conversions in place of the lenient host values."""

    def build(self, t):
        if isinstance(t, Prim):
            if t.name == "float64":
                return _float_writer(struct.Struct("<d"))
            if t.name == "float32":
                return _float_writer(struct.Struct("<f"))
            if t.name == "principal":
                return _w_principal
            if t.name == "nat":
                return self.nat_writer(super().build(t))
        elif isinstance(t, Func):
            return _w_func
        elif isinstance(t, Service):
            return _w_service
        elif isinstance(t, Vec):
            return self.vec_writer(t, super().build(t))
        elif isinstance(t, Record):
            return self.record_writer(t, super().build(t))
        elif isinstance(t, Variant):
            return self.variant_writer(t, super().build(t))
        return super().build(t)

    @staticmethod
    def nat_writer(base):
        def write_nat(v, out):
            if isinstance(v, int) and v < 0:  # candid::Nat::from_str of "-5" (numeric.rs)
                raise CandidError("Could not convert value to nat")
            base(v, out)

        return write_nat

    def vec_writer(self, t: Vec, base):
        inner = resolve(t.inner, self.env)
        if inner == NAT8 or (isinstance(inner, Prim) and inner.name in ITERABLE_ELEMENTS):
            return base  # list, tuple or bytes (blob): stricter than any iterable

        def write_list(v, out):
            if not isinstance(v, list):  # PyListRef in try_from_vm_value_generic_array
                raise downcast_error("list", v)
            base(v, out)

        return write_list

    @staticmethod
    def record_writer(t: Record, base):
        if t.is_tuple:

            def write_tuple(v, out):
                if not isinstance(v, tuple):  # PyTupleRef (kybra_vm_value_derive struct)
                    raise downcast_error("tuple", v)
                base(v, out)

            return write_tuple
        names = [f.name if f.name is not None else f"_{f.id}_" for f in t.fields]

        def write_record(v, out):
            if not isinstance(v, dict):
                raise CandidError(f"expected a dict for a Record, got {type(v).__name__}")
            for name in names:
                if name not in v:  # `self.get_item("name")?`: KeyError, opt field or not
                    raise CandidError(f"KeyError: {name!r}")
            base(v, out)

        return write_record

    @staticmethod
    def variant_writer(t: Variant, base):
        names = frozenset(f.name if f.name is not None else f"_{f.id}_" for f in t.fields)

        def write_variant(v, out):
            if isinstance(v, dict) and len(v) == 1:
                key = next(iter(v))
                if key not in names:  # no `get_item(tag)` succeeds (derive enum)
                    raise CandidError(f"Enum variant does not exist: {key!r}")
            base(v, out)

        return write_variant
