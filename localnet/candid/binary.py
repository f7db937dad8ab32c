"""Candid binary format: `encode(types, values)` and `decode(data, types)` with the spec's
subtyping coercions.

Both directions compile a type (or a wire type/expected type pair) once into Python closures
and cache them, so a call is a walk over the bytes without type dispatch. Decoding follows the
spec's coercion rules as the official conformance suite checks them:
- extra arguments and unknown record fields are skipped (and still validated); missing
  arguments/fields whose type accepts null (`null`, `opt _`, `reserved`) become None;
- `opt` recovers from a coercion failure of its content by yielding None (the "opt rule"),
  and a non-opt value decodes at `opt t` as that value;
- variant tags must be known to the expected type, but only the tag actually sent matters;
- function and service references are checked with the subtype relation;
- work is metered: every vector element and record field costs one unit and skipped
  zero-sized values cost what they would expand to, with a budget proportional to the input
  size, so messages such as a billion `null`s are rejected quickly ("space bombs").

Decoded values: see localnet/ARCHITECTURE.md. A record or variant field without a textual
name (numeric label, or a field the expected type does not name) gets the key `"_<id>_"`,
e.g. `"_123_"`; records whose labels are exactly 0..n-1 without names are Python tuples.
"""

from __future__ import annotations

import struct
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .errors import CandidError
from .principals import make_principal, principal_bytes
from .subtype import FutureType, accepts_null, is_subtype, resolve
from .types import (
    EMPTY,
    INT,
    NAT,
    NAT8,
    NULL,
    PRIMITIVES,
    PRINCIPAL,
    RESERVED,
    Field,
    Func,
    Opt,
    Prim,
    Record,
    Service,
    Type,
    TypeEnv,
    Var,
    Variant,
    Vec,
)

MAGIC = b"DIDL"
BASE_BUDGET = 1_000_000  # work units allowed for any message, plus BUDGET_PER_BYTE * len
BUDGET_PER_BYTE = 8

PRIM_OPCODES: Dict[str, int] = {
    "null": -1,
    "bool": -2,
    "nat": -3,
    "int": -4,
    "nat8": -5,
    "nat16": -6,
    "nat32": -7,
    "nat64": -8,
    "int8": -9,
    "int16": -10,
    "int32": -11,
    "int64": -12,
    "float32": -13,
    "float64": -14,
    "text": -15,
    "reserved": -16,
    "empty": -17,
    "principal": -24,
}
OPCODE_PRIMS: Dict[int, Prim] = {op: PRIMITIVES[name] for name, op in PRIM_OPCODES.items()}
OPT, VEC, RECORD, VARIANT, FUNC, SERVICE = -18, -19, -20, -21, -22, -23
FUNC_MODES = {1: "query", 2: "oneway", 3: "composite_query"}
MODE_CODES = {v: k for k, v in FUNC_MODES.items()}
_FIXED = {
    "nat16": (2, False),
    "nat32": (4, False),
    "nat64": (8, False),
    "int8": (1, True),
    "int16": (2, True),
    "int32": (4, True),
    "int64": (8, True),
}
_F32, _F64 = struct.Struct("<f"), struct.Struct("<d")


def field_key(f: Field) -> str:
    """Python dict key of a record/variant field."""
    return f.name if f.name is not None else f"_{f.id}_"


class _SubtypeError(CandidError):
    """A value does not coerce to the expected type; an enclosing `opt` turns it into None."""


# ---------------------------------------------------------------------------------------
# LEB128


def leb128(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb128(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _opt_reader(inner: Callable, skip: Callable, flagged: bool) -> Callable:
    """Reads a value at an expected `opt` type: an opt on the wire (`flagged`: a 0/1 flag
    byte first) or a plain value. A value that does not coerce to the expected type is
    skipped and decodes as null (the opt subtyping rule). One frame per opt level, so deep
    recursive values stay within Python's recursion limit."""

    def read_opt(r):
        if flagged:
            flag = r.d[r.p]
            r.p += 1
            if flag == 0:
                return None
            if flag != 1:
                raise CandidError(f"invalid opt flag {flag:#x}")
        start = r.p
        try:
            return inner(r)
        except _SubtypeError:
            r.p = start
            skip(r)
            return None

    return read_opt


class _Reader:
    __slots__ = ("d", "p", "cost", "limit")

    def __init__(self, data: bytes, pos: int):
        self.d, self.p, self.cost = data, pos, 0
        self.limit = BASE_BUDGET + BUDGET_PER_BYTE * len(data)

    def charge(self, units: int):
        self.cost += units
        if self.cost > self.limit:
            raise CandidError(
                "decoding cost exceeds the limit for this message size (too many zero-sized or repeated values)"
            )

    def take(self, n: int) -> bytes:
        p = self.p
        if n > len(self.d) - p:
            raise CandidError(f"length {n} overshoots the end of the message")
        self.p = p + n
        return self.d[p : p + n]


def _leb(r: _Reader) -> int:
    d, p = r.d, r.p
    b = d[p]
    if b < 0x80:
        r.p = p + 1
        return b
    result, shift = 0, 0
    while True:
        b = d[p]
        p += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            r.p = p
            return result
        shift += 7


def _sleb(r: _Reader) -> int:
    d, p = r.d, r.p
    result, shift = 0, 0
    while True:
        b = d[p]
        p += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            r.p = p
            if b & 0x40:
                result -= 1 << shift
            return result


# ---------------------------------------------------------------------------------------
# primitive readers (wire type == expected type)


def _r_null(r):
    return None


def _r_bool(r):
    b = r.d[r.p]
    if b > 1:
        raise CandidError(f"invalid bool byte {b:#x}")
    r.p += 1
    return b == 1


def _r_nat8(r):
    b = r.d[r.p]
    r.p += 1
    return b


def _fixed_reader(size: int, signed: bool):
    def read(r):
        p = r.p
        if p + size > len(r.d):
            raise CandidError("unexpected end of message in a fixed-size number")
        r.p = p + size
        return int.from_bytes(r.d[p : p + size], "little", signed=signed)

    return read


def _float_reader(st: struct.Struct):
    size = st.size

    def read(r):
        p = r.p
        if p + size > len(r.d):
            raise CandidError("unexpected end of message in a float")
        r.p = p + size
        return st.unpack_from(r.d, p)[0]

    return read


def _r_text(r):
    raw = r.take(_leb(r))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CandidError("text is not valid UTF-8") from None


def _principal_raw(r) -> bytes:
    flag = r.d[r.p]
    if flag != 1:
        raise CandidError(f"principal reference flag {flag:#x}: only 1 (an id) is valid")
    r.p += 1
    n = _leb(r)
    raw = r.take(n)
    if n > 29:
        raise CandidError(f"principal of {n} bytes (at most 29)")
    return raw


def _r_principal(r):
    return make_principal(_principal_raw(r))


def _r_reserved(r):
    return None


def _r_empty(r):
    raise CandidError("cannot decode a value of type empty")


_PRIM_READERS = {
    "null": _r_null,
    "bool": _r_bool,
    "nat": _leb,
    "int": _sleb,
    "nat8": _r_nat8,
    "float32": _float_reader(_F32),
    "float64": _float_reader(_F64),
    "text": _r_text,
    "reserved": _r_reserved,
    "empty": _r_empty,
    "principal": _r_principal,
}
for _name, (_size, _signed) in _FIXED.items():
    _PRIM_READERS[_name] = _fixed_reader(_size, _signed)


# ---------------------------------------------------------------------------------------
# type table


def _read_table(r: _Reader) -> Tuple[TypeEnv, List[Type]]:
    n = _leb(r)
    if n > len(r.d) - r.p:
        raise CandidError(f"type table length {n} overshoots the message")
    entries: Dict[str, Type] = {}

    def ref() -> Type:
        i = _sleb(r)
        if i >= 0:
            if i >= n:
                raise CandidError(f"type index {i} out of range")
            return Var(f"@{i}")
        if i in OPCODE_PRIMS:
            return OPCODE_PRIMS[i]
        raise CandidError(f"invalid type reference {i}")

    def fields() -> Tuple[Field, ...]:
        count = _leb(r)
        if count > len(r.d) - r.p:
            raise CandidError(f"field count {count} overshoots the message")
        out, last = [], -1
        for _ in range(count):
            fid = _leb(r)
            if fid >= 1 << 32:
                raise CandidError(f"field id {fid} does not fit in 32 bits")
            if fid <= last:
                raise CandidError("record/variant fields are not strictly sorted by id")
            last = fid
            out.append(Field(fid, ref()))
        return tuple(out)

    def refs() -> Tuple[Type, ...]:
        count = _leb(r)
        if count > len(r.d) - r.p:
            raise CandidError(f"argument count {count} overshoots the message")
        return tuple(ref() for _ in range(count))

    funcs, services = set(), []
    for i in range(n):
        op = _sleb(r)
        if op == OPT:
            t = Opt(ref())
        elif op == VEC:
            t = Vec(ref())
        elif op == RECORD:
            t = Record(fields())
        elif op == VARIANT:
            t = Variant(fields())
        elif op == FUNC:
            args, rets = refs(), refs()
            modes = []
            for code in r.take(_leb(r)):
                if code not in FUNC_MODES:
                    raise CandidError(f"unknown function annotation {code}")
                modes.append(FUNC_MODES[code])
            if len(modes) > 1:
                raise CandidError("a function has at most one annotation")
            t = Func(args, rets, tuple(modes))
            funcs.add(i)
        elif op == SERVICE:
            count = _leb(r)
            if count > len(r.d) - r.p:
                raise CandidError(f"method count {count} overshoots the message")
            methods, last = [], None
            for _ in range(count):
                raw = r.take(_leb(r))
                try:
                    name = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise CandidError("method name is not valid UTF-8") from None
                if last is not None and raw <= last:
                    raise CandidError("service methods are not strictly sorted by name")
                last = raw
                mt = ref()
                services.append(mt)
                methods.append((name, mt))
            t = Service(tuple(methods))
        elif op < SERVICE - 1:
            r.take(_leb(r))  # a future type: its definition bytes are opaque to us
            t = FutureType(op)
        else:
            raise CandidError(f"invalid type opcode {op} in the type table")
        entries[f"@{i}"] = t
    for mt in services:
        if not (isinstance(mt, Var) and int(mt.name[1:]) in funcs):
            raise CandidError("a service method type is not a function type")
    env = TypeEnv(entries)
    count = _leb(r)
    if count > len(r.d) - r.p:
        raise CandidError(f"argument count {count} overshoots the message")
    return env, [ref() for _ in range(count)]


# ---------------------------------------------------------------------------------------
# decoder compiler


def _fail(message: str, recoverable: bool = True):
    exc = _SubtypeError if recoverable else CandidError

    def fail(r):
        raise exc(message)

    return fail


def _show(t: Type, env: TypeEnv) -> str:
    t = resolve(t, env)
    if isinstance(t, Prim):
        return t.name
    return type(t).__name__.lower()


class _DecoderCompiler:
    """Builds `read(reader) -> value` closures for (wire type, expected type) pairs."""

    def __init__(self, wenv: TypeEnv, eenv: TypeEnv):
        self.wenv, self.eenv = wenv, eenv
        self.memo: Dict[tuple, Callable] = {}
        self.zero_memo: Dict[Type, Optional[int]] = {}

    def decoder(self, wt: Type, et: Type) -> Callable:
        key = (wt, et)
        fn = self.memo.get(key)
        if fn is not None:
            return fn
        cell: list = []
        self.memo[key] = lambda r: cell[0](r)  # forward reference for recursive types
        fn = self.build(wt, et)
        cell.append(fn)
        self.memo[key] = fn
        return fn

    def skipper(self, wt: Type) -> Callable:
        return self.decoder(wt, RESERVED)

    def build(self, wt: Type, et: Type) -> Callable:
        w, e = resolve(wt, self.wenv), resolve(et, self.eenv)
        if e == RESERVED or isinstance(e, FutureType):
            return self.build_skip(wt, w)
        if isinstance(e, Opt):
            return self.build_opt(wt, w, e)
        if w == EMPTY:
            return _fail("cannot decode a value of type empty", recoverable=False)
        if isinstance(w, Prim) and isinstance(e, Prim):
            if w == e:
                return _PRIM_READERS[w.name]
            if w == NAT and e == INT:
                return _leb
        elif isinstance(w, Vec) and isinstance(e, Vec):
            return self.build_vec(w, e)
        elif isinstance(w, Record) and isinstance(e, Record):
            return self.build_record(w, e)
        elif isinstance(w, Variant) and isinstance(e, Variant):
            return self.build_variant(w, e)
        elif isinstance(w, Func) and isinstance(e, Func):
            if not is_subtype(wt, self.wenv, et, self.eenv):
                return _fail("function reference type is not a subtype of the expected one")
            return _r_func
        elif isinstance(w, Service) and (isinstance(e, Service) or e == PRINCIPAL):
            if isinstance(e, Service) and not is_subtype(wt, self.wenv, et, self.eenv):
                return _fail("service reference type is not a subtype of the expected one")
            return _r_service
        return _fail(f"type mismatch: cannot decode {_show(wt, self.wenv)} as {_show(et, self.eenv)}")

    def build_opt(self, wt: Type, w: Type, e: Opt) -> Callable:
        if w == NULL or w == RESERVED:
            return _r_null
        if isinstance(w, FutureType):
            return self.build_skip(wt, w)
        if isinstance(w, Opt):
            return _opt_reader(self.decoder(w.inner, e.inner), self.skipper(w.inner), True)
        # a plain value at `opt t`: it coerces to t, or the whole thing is null
        seen, t = set(), e.inner
        while isinstance(t, Var) or isinstance(t, Opt):
            if isinstance(t, Var):
                if t.name in seen:
                    return _fail(
                        "cannot decode a non-opt value at a type that is only opt of itself", recoverable=False
                    )
                seen.add(t.name)
                t = resolve(t, self.eenv)
            else:
                t = t.inner
        return _opt_reader(self.decoder(wt, e.inner), self.skipper(wt), False)

    def build_vec(self, w: Vec, e: Vec) -> Callable:
        ew = resolve(w.inner, self.wenv)
        if ew == NAT8 and resolve(e.inner, self.eenv) == NAT8:

            def read_blob(r):
                return r.take(_leb(r))

            return read_blob
        elem = self.decoder(w.inner, e.inner)
        sized = self.min_size(w.inner) > 0
        to_bytes = resolve(e.inner, self.eenv) == NAT8

        def read_vec(r):
            n = _leb(r)
            if sized and n > len(r.d) - r.p:
                raise CandidError(f"vector length {n} overshoots the message")
            r.charge(n)
            out = [elem(r) for _ in range(n)]
            return bytes(out) if to_bytes else out

        return read_vec

    def build_record(self, w: Record, e: Record) -> Callable:
        want = {f.id: f for f in e.fields}
        plan = []
        for f in w.fields:
            ef = want.get(f.id)
            if ef is None:
                plan.append((None, self.skipper(f.type)))
            else:
                plan.append((field_key(ef), self.decoder(f.type, ef.type)))
        sent = {f.id for f in w.fields}
        defaults, missing = [], []
        for f in e.fields:
            if f.id not in sent:
                (defaults if accepts_null(f.type, self.eenv) else missing).append(f)
        if missing:
            return _fail(f"record field {missing[0].label} is missing")
        default_keys = [field_key(f) for f in defaults]
        order = [field_key(f) for f in e.fields] if e.is_tuple else None
        units = len(plan)

        def read_record(r):
            r.cost += units
            if r.cost > r.limit:
                r.charge(0)
            out = {}
            for key, dec in plan:
                v = dec(r)
                if key is not None:
                    out[key] = v
            for key in default_keys:
                out[key] = None
            if order is not None:
                return tuple([out[k] for k in order])
            return out

        return read_record

    def build_variant(self, w: Variant, e: Variant) -> Callable:
        want = {f.id: f for f in e.fields}
        plan = []
        for f in w.fields:
            ef = want.get(f.id)
            plan.append(None if ef is None else (field_key(ef), self.decoder(f.type, ef.type), f.id))
        n = len(plan)

        def read_variant(r):
            i = _leb(r)
            if i >= n:
                raise CandidError(f"variant index {i} out of range ({n} fields)")
            entry = plan[i]
            if entry is None:
                raise _SubtypeError(f"variant field {w.fields[i].id} is not in the expected type")
            return {entry[0]: entry[1](r)}

        return read_variant

    # -- skipping (values of a wire type decoded at `reserved`) --------------------------

    def build_skip(self, wt: Type, w: Type) -> Callable:
        zero = self.zero_nodes(wt)
        if zero is not None:
            if zero <= 1:
                return _r_null

            def skip_zero(r):
                r.charge(zero)
                return None

            return skip_zero
        if isinstance(w, FutureType):

            def skip_future(r):
                m = _leb(r)
                _leb(r)
                r.take(m)
                return None

            return skip_future
        if isinstance(w, Prim):
            read = _PRIM_READERS[w.name]

            def skip_prim(r):
                read(r)
                return None

            return skip_prim
        if isinstance(w, Opt):
            inner = self.skipper(w.inner)

            def skip_opt(r):
                flag = r.d[r.p]
                r.p += 1
                if flag == 1:
                    inner(r)
                elif flag != 0:
                    raise CandidError(f"invalid opt flag {flag:#x}")
                return None

            return skip_opt
        if isinstance(w, Vec):
            inner = self.skipper(w.inner)
            inner_zero = self.zero_nodes(w.inner)
            sized = self.min_size(w.inner) > 0

            def skip_vec(r):
                n = _leb(r)
                if sized and n > len(r.d) - r.p:
                    raise CandidError(f"vector length {n} overshoots the message")
                r.charge(n * (inner_zero or 1))
                if inner_zero is None:
                    for _ in range(n):
                        inner(r)
                return None

            return skip_vec
        if isinstance(w, Record):
            parts = [self.skipper(f.type) for f in w.fields]
            units = len(parts)

            def skip_record(r):
                r.charge(units)
                for part in parts:
                    part(r)
                return None

            return skip_record
        if isinstance(w, Variant):
            parts = [self.skipper(f.type) for f in w.fields]

            def skip_variant(r):
                i = _leb(r)
                if i >= len(parts):
                    raise CandidError(f"variant index {i} out of range")
                parts[i](r)
                return None

            return skip_variant
        if isinstance(w, Func):

            def skip_func(r):
                _r_func(r)
                return None

            return skip_func
        if isinstance(w, Service):

            def skip_service(r):
                _principal_raw(r)
                return None

            return skip_service
        raise CandidError(f"cannot skip a value of wire type {w!r}")

    def zero_nodes(self, wt: Type) -> Optional[int]:
        """For wire types whose values take no bytes (null, reserved, records of those):
        how many values one of them stands for; None for every other type."""
        if wt in self.zero_memo:
            return self.zero_memo[wt]
        self.zero_memo[wt] = None  # a recursive record is not treated as zero-sized
        w = resolve(wt, self.wenv)
        result = None
        if w == NULL or w == RESERVED:
            result = 1
        elif isinstance(w, Record):
            total = 1
            for f in w.fields:
                sub = self.zero_nodes(f.type)
                if sub is None:
                    total = None
                    break
                total = min(total + sub, 1 << 62)
            result = total
        self.zero_memo[wt] = result
        return result

    def min_size(self, wt: Type, seen=None) -> int:
        """A lower bound of the bytes one value of this wire type takes (0 or 1 is enough to
        catch vector lengths that overshoot the message)."""
        w = resolve(wt, self.wenv)
        if w in (NULL, RESERVED, EMPTY):
            return 0
        if isinstance(w, Record):
            seen = seen or set()
            if wt in seen:
                return 0
            seen.add(wt)
            return max((self.min_size(f.type, seen) for f in w.fields), default=0)
        return 1


def _r_func(r):
    flag = r.d[r.p]
    if flag != 1:
        raise CandidError(f"function reference flag {flag:#x}: only 1 (public) is valid")
    r.p += 1
    principal = _r_principal(r)
    return (principal, _r_text(r))


_r_service = _r_principal  # a service reference is encoded exactly like a principal


# ---------------------------------------------------------------------------------------
# decode


_EMPTY_ENV = TypeEnv({})
_CACHE_LIMIT = 1024
_HEADERS_PER_SLOT = 16


class _Slot:
    """Compiled decoders for one (expected types, env), by message header. A header (type
    table + argument types) is self-delimiting, so a message that starts with a header seen
    before has exactly that header: no need to parse the table again."""

    __slots__ = ("types", "env", "headers")

    def __init__(self, types, env):
        self.types, self.env, self.headers = types, env, []


_slots_by_identity: Dict[tuple, _Slot] = {}
_slots_by_value: Dict[tuple, _Slot] = {}


def _slot_for(types, env: TypeEnv) -> _Slot:
    slot = _slots_by_identity.get((id(types), id(env)))
    if slot is not None and slot.types is types and slot.env is env:
        return slot
    value_key = (None if types is None else tuple(types), id(env))
    slot = _slots_by_value.get(value_key)
    if slot is None or slot.env is not env:
        if len(_slots_by_value) >= _CACHE_LIMIT:
            _slots_by_value.clear()
        slot = _slots_by_value[value_key] = _Slot(value_key[0], env)
    if len(_slots_by_identity) >= _CACHE_LIMIT:
        _slots_by_identity.clear()
    keyed = _Slot(types, env)  # identity entry keeps `types` alive so its id stays unique
    keyed.headers = slot.headers
    _slots_by_identity[(id(types), id(env))] = keyed
    return keyed


def decode(data: bytes, types: Optional[Sequence[Type]] = None, env: Optional[TypeEnv] = None) -> list:
    """Decode a Candid message. With `types`, coerce to them (missing trailing arguments
    that accept null become None, extra ones are skipped); without, decode at the wire
    types. Raises CandidError on any invalid input."""
    if not isinstance(data, bytes):
        if not isinstance(data, (bytearray, memoryview)):
            raise CandidError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
    if not data.startswith(MAGIC):
        raise CandidError("not a Candid message (missing DIDL magic bytes)")
    eenv = env if env is not None else _EMPTY_ENV
    try:
        slot = _slot_for(types, eenv)
        for header, compiled in slot.headers:
            if data.startswith(header, 4):
                r = _Reader(data, 4 + len(header))
                break
        else:
            r = _Reader(data, 4)
            wenv, wargs = _read_table(r)
            try:
                compiled = _compile_args(wenv, wargs, types, eenv)
            except (KeyError, ValueError) as e:
                raise CandidError(f"invalid expected type: {e}") from None
            if len(slot.headers) >= _HEADERS_PER_SLOT:
                del slot.headers[0]
            slot.headers.append((data[4 : r.p], compiled))
        readers, keep, fill = compiled
        values = [read(r) for read in readers]
        if r.p != len(data):
            raise CandidError(f"{len(data) - r.p} trailing bytes after the last value")
        if fill:
            return values[:keep] + [None] * fill
        return values if keep == len(values) else values[:keep]
    except IndexError:
        raise CandidError("unexpected end of message") from None
    except RecursionError:
        raise CandidError("value nested too deeply") from None


def decode_with_types(data: bytes) -> Tuple[list, List[Type], TypeEnv]:
    """Decode at the wire types and return them too: (values, arg types, env of the type
    table entries named "@<index>"). For printing a message nobody described."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CandidError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    values = decode(data)
    r = _Reader(data, 4)
    try:
        wenv, wargs = _read_table(r)
    except IndexError:
        raise CandidError("unexpected end of message") from None
    return values, wargs, wenv


def _compile_args(wenv: TypeEnv, wargs: List[Type], types, eenv: TypeEnv):
    """Readers for every wire argument, how many values to keep, and how many missing
    trailing arguments are filled with None."""
    if types is None:
        comp = _DecoderCompiler(wenv, wenv)
        return [comp.decoder(t, t) for t in wargs], len(wargs), 0
    comp = _DecoderCompiler(wenv, eenv)
    readers = [comp.decoder(wt, types[i]) if i < len(types) else comp.skipper(wt) for i, wt in enumerate(wargs)]
    for i in range(len(wargs), len(types)):
        if not accepts_null(types[i], eenv):
            raise CandidError(f"argument {i} is missing and its type does not accept null")
    return readers, min(len(types), len(wargs)), max(0, len(types) - len(wargs))


# ---------------------------------------------------------------------------------------
# encode


class _TableBuilder:
    """The type table of a message being encoded: one entry per distinct constructed type,
    named types (Var) mapped to their entry so recursion closes."""

    def __init__(self, env: TypeEnv):
        self.env = env
        self.entries: List[Optional[bytes]] = []
        self.index: Dict[object, int] = {}

    def ref(self, t: Type) -> bytes:
        if isinstance(t, Prim):
            return sleb128(PRIM_OPCODES[t.name])
        if isinstance(t, Var):
            if t in self.index:
                return sleb128(self.index[t])
            resolved = self.env.resolve(t)
            if isinstance(resolved, Prim):
                return sleb128(PRIM_OPCODES[resolved.name])
            if resolved in self.index:
                self.index[t] = self.index[resolved]
                return sleb128(self.index[resolved])
            i = self._reserve(t, resolved)
            self.entries[i] = self._entry(resolved)
            return sleb128(i)
        if t in self.index:
            return sleb128(self.index[t])
        i = self._reserve(t)
        self.entries[i] = self._entry(t)
        return sleb128(i)

    def _reserve(self, *keys) -> int:
        i = len(self.entries)
        self.entries.append(None)
        for k in keys:
            self.index[k] = i
        return i

    def _entry(self, t: Type) -> bytes:
        if isinstance(t, Opt):
            return sleb128(OPT) + self.ref(t.inner)
        if isinstance(t, Vec):
            return sleb128(VEC) + self.ref(t.inner)
        if isinstance(t, (Record, Variant)):
            out = bytearray(sleb128(RECORD if isinstance(t, Record) else VARIANT))
            out += leb128(len(t.fields))
            for f in t.fields:
                out += leb128(f.id) + self.ref(f.type)
            return bytes(out)
        if isinstance(t, Func):
            out = bytearray(sleb128(FUNC))
            for seq in (t.args, t.rets):
                out += leb128(len(seq))
                for a in seq:
                    out += self.ref(a)
            out += leb128(len(t.modes)) + bytes(MODE_CODES[m] for m in t.modes)
            return bytes(out)
        if isinstance(t, Service):
            out = bytearray(sleb128(SERVICE)) + leb128(len(t.methods))
            for name, mt in sorted(t.methods, key=lambda m: m[0].encode("utf-8")):
                raw = name.encode("utf-8")
                out += leb128(len(raw)) + raw + self.ref(mt)
            return bytes(out)
        raise CandidError(f"cannot encode type {t!r}")

    def table(self) -> bytes:
        return leb128(len(self.entries)) + b"".join(self.entries)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _w_nat(v, out):
    if not _is_int(v) or v < 0:
        raise CandidError(f"expected a nat (int >= 0), got {v!r}")
    if v < 0x80:
        out.append(v)
    else:
        out += leb128(v)


def _w_int(v, out):
    if not _is_int(v):
        raise CandidError(f"expected an int, got {v!r}")
    out += sleb128(v)


def _w_nat8(v, out):
    if not _is_int(v) or not 0 <= v < 256:
        raise CandidError(f"expected a nat8, got {v!r}")
    out.append(v)


def _fixed_writer(name: str, size: int, signed: bool):
    lo, hi = (-(1 << (8 * size - 1)), 1 << (8 * size - 1)) if signed else (0, 1 << (8 * size))

    def write(v, out):
        if not _is_int(v) or not lo <= v < hi:
            raise CandidError(f"expected a {name}, got {v!r}")
        out += v.to_bytes(size, "little", signed=signed)

    return write


def _float_writer(name: str, st: struct.Struct):
    def write(v, out):
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise CandidError(f"expected a {name}, got {v!r}")
        try:
            out += st.pack(v)
        except OverflowError:
            raise CandidError(f"{v!r} does not fit in {name}") from None

    return write


def _w_bool(v, out):
    if not isinstance(v, bool):
        raise CandidError(f"expected a bool, got {v!r}")
    out.append(1 if v else 0)


def _w_text(v, out):
    if not isinstance(v, str):
        raise CandidError(f"expected text (str), got {type(v).__name__}")
    raw = v.encode("utf-8", "strict")
    out += leb128(len(raw))
    out += raw


def _w_null(v, out):
    if v is not None:
        raise CandidError(f"expected None for null, got {v!r}")


def _w_reserved(v, out):
    pass


def _w_empty(v, out):
    raise CandidError("no value has type empty")


def _w_principal(v, out):
    raw = principal_bytes(v)
    out.append(1)
    out += leb128(len(raw))
    out += raw


def _w_func(v, out):
    if not isinstance(v, (tuple, list)) or len(v) != 2 or not isinstance(v[1], str):
        raise CandidError(f"expected a func reference (principal, method), got {v!r}")
    out.append(1)
    _w_principal(v[0], out)
    _w_text(v[1], out)


_w_service = _w_principal


def _w_text_safe(v, out):
    try:
        _w_text(v, out)
    except UnicodeEncodeError:
        raise CandidError("text contains lone surrogates (not valid Unicode)") from None


_PRIM_WRITERS = {
    "null": _w_null,
    "bool": _w_bool,
    "nat": _w_nat,
    "int": _w_int,
    "nat8": _w_nat8,
    "float32": _float_writer("float32", _F32),
    "float64": _float_writer("float64", _F64),
    "text": _w_text_safe,
    "reserved": _w_reserved,
    "empty": _w_empty,
    "principal": _w_principal,
}
for _name, (_size, _signed) in _FIXED.items():
    _PRIM_WRITERS[_name] = _fixed_writer(_name, _size, _signed)


class _EncoderCompiler:
    def __init__(self, env: TypeEnv):
        self.env = env
        self.memo: Dict[Type, Callable] = {}

    def encoder(self, t: Type) -> Callable:
        fn = self.memo.get(t)
        if fn is not None:
            return fn
        cell: list = []
        self.memo[t] = lambda v, out: cell[0](v, out)
        fn = self.build(resolve(t, self.env))
        cell.append(fn)
        self.memo[t] = fn
        return fn

    def build(self, t: Type) -> Callable:
        if isinstance(t, Prim):
            return _PRIM_WRITERS[t.name]
        if isinstance(t, Opt):
            inner = self.encoder(t.inner)

            def write_opt(v, out):
                if v is None:
                    out.append(0)
                else:
                    out.append(1)
                    inner(v, out)

            return write_opt
        if isinstance(t, Vec):
            return self.build_vec(t)
        if isinstance(t, Record):
            return self.build_record(t)
        if isinstance(t, Variant):
            return self.build_variant(t)
        if isinstance(t, Func):
            return _w_func
        if isinstance(t, Service):
            return _w_service
        raise CandidError(f"cannot encode type {t!r}")

    def build_vec(self, t: Vec) -> Callable:
        if resolve(t.inner, self.env) == NAT8:

            def write_blob(v, out):
                if not isinstance(v, (bytes, bytearray, memoryview)):
                    if not isinstance(v, (list, tuple)):
                        raise CandidError(f"expected bytes for blob, got {type(v).__name__}")
                    try:
                        v = bytes(v)
                    except (ValueError, TypeError):
                        raise CandidError("blob elements must be ints 0..255") from None
                out += leb128(len(v))
                out += v

            return write_blob
        elem = self.encoder(t.inner)

        def write_vec(v, out):
            if not isinstance(v, (list, tuple)):
                raise CandidError(f"expected a list for vec, got {type(v).__name__}")
            out += leb128(len(v))
            i = 0
            try:
                for i, x in enumerate(v):
                    elem(x, out)
            except CandidError as e:
                raise CandidError(f"[{i}]: {e}") from None

        return write_vec

    def build_record(self, t: Record) -> Callable:
        plan = [(field_key(f), f.id, self.encoder(f.type), accepts_null(f.type, self.env)) for f in t.fields]
        is_tuple = t.is_tuple

        def write_record(v, out):
            if is_tuple and isinstance(v, (tuple, list)):
                if len(v) != len(plan):
                    raise CandidError(f"expected a tuple of {len(plan)}, got {len(v)} items")
                key = 0
                try:
                    for key, (_, _, enc, _) in enumerate(plan):
                        enc(v[key], out)
                except CandidError as e:
                    raise CandidError(f"[{key}]: {e}") from None
                return
            if not isinstance(v, dict):
                raise CandidError(f"expected a dict for record, got {type(v).__name__}")
            key = ""
            try:
                for key, fid, enc, optional in plan:
                    if key in v:
                        enc(v[key], out)
                    elif fid in v:
                        enc(v[fid], out)
                    elif optional:
                        enc(None, out)
                    else:
                        raise CandidError("missing record field")
            except CandidError as e:
                raise CandidError(f"field {key!r}: {e}") from None

        return write_record

    def build_variant(self, t: Variant) -> Callable:
        cases = {}
        for i, f in enumerate(t.fields):
            entry = (leb128(i), self.encoder(f.type))
            cases[field_key(f)] = entry
            cases[f.id] = entry

        def write_variant(v, out):
            if not isinstance(v, dict) or len(v) != 1:
                raise CandidError(f"expected a one-key dict for variant, got {v!r}")
            ((key, value),) = v.items()
            entry = cases.get(key)
            if entry is None:
                raise CandidError(f"unknown variant tag {key!r}")
            out += entry[0]
            try:
                entry[1](value, out)
            except CandidError as e:
                raise CandidError(f"variant {key!r}: {e}") from None

        return write_variant


_encoder_cache: Dict[tuple, tuple] = {}
_encoder_by_identity: Dict[tuple, tuple] = {}


def _compile_encoder(types: Tuple[Type, ...], env: TypeEnv, kybra: bool):
    builder = _TableBuilder(env)
    arg_refs = b"".join(builder.ref(t) for t in types)
    header = MAGIC + builder.table() + leb128(len(types)) + arg_refs
    if kybra:
        from .kybra_values import KybraEncoderCompiler

        comp = KybraEncoderCompiler(env)
    else:
        comp = _EncoderCompiler(env)
    return header, [comp.encoder(t) for t in types]


def encode(types: Sequence[Type], values: Sequence, env: Optional[TypeEnv] = None, kybra: bool = False) -> bytes:
    """Encode `values` (host values, see module doc) at `types` as one Candid message.
    `kybra=True`: values from canister code, accepted only as Kybra 0.7.1 converts them
    (`kybra_values.py`)."""
    if not isinstance(values, (list, tuple)):
        raise CandidError("encode expects a list of values, one per type")
    env = env if env is not None else _EMPTY_ENV
    cached = _encoder_by_identity.get((id(types), id(env), kybra))
    if cached is None or cached[3] is not types or cached[0] is not env:
        as_tuple = tuple(types)
        key = (as_tuple, id(env), kybra)
        cached = _encoder_cache.get(key)
        if cached is None or cached[0] is not env:
            try:
                cached = (env, *_compile_encoder(as_tuple, env, kybra), as_tuple)
            except (KeyError, ValueError) as e:
                raise CandidError(f"invalid type: {e}") from None
            if len(_encoder_cache) >= _CACHE_LIMIT:
                _encoder_cache.clear()
            _encoder_cache[key] = cached
        if len(_encoder_by_identity) >= _CACHE_LIMIT:
            _encoder_by_identity.clear()
        cached = cached[:3] + (types,)  # keeps `types` alive so its id stays unique
        _encoder_by_identity[(id(types), id(env), kybra)] = cached
    if len(values) != len(cached[2]):
        raise CandidError(f"{len(cached[2])} types but {len(values)} values")
    out = bytearray(cached[1])
    i = 0
    try:
        for i, (enc, v) in enumerate(zip(cached[2], values)):
            enc(v, out)
    except CandidError as e:
        raise CandidError(f"argument {i}: {e}") from None
    except RecursionError:
        raise CandidError("value nested too deeply") from None
    return bytes(out)
