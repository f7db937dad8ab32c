"""Textual Candid values, as `dfx canister call` reads and prints them.

`parse_args` reads text into an untyped value tree first, then converts it to Python values
at the expected types (numbers to nat8/float..., `vec { 1; 2 }` at `blob` to bytes, extra
record fields dropped, missing `opt`/`null`/`reserved` fields as None). Unlike binary
decoding, a value that does not fit its type is an error even under `opt`: text is typed by
people and a silent null would hide the mistake.
"""

from __future__ import annotations

import math
import struct
from typing import Optional, Sequence

from .binary import decode_with_types, encode, field_key
from .did import format_name, quote_text, read_datatype, read_name
from .errors import CandidError
from .lexer import Cursor, text_of
from .principals import make_principal, principal_bytes, principal_from_text, principal_to_text
from .subtype import accepts_null, is_subtype, resolve
from .types import (
    BLOB,
    BOOL,
    EMPTY,
    FLOAT32,
    FLOAT64,
    INT,
    NAT8,
    NULL,
    PRINCIPAL,
    RESERVED,
    TEXT,
    Field,
    Func,
    Opt,
    Prim,
    Record,
    Service,
    Type,
    TypeEnv,
    Variant,
    Vec,
    label_hash,
)

_INT_RANGES = {
    "nat": (0, None),
    "int": (None, None),
    "nat8": (0, 1 << 8),
    "nat16": (0, 1 << 16),
    "nat32": (0, 1 << 32),
    "nat64": (0, 1 << 64),
    "int8": (-(1 << 7), 1 << 7),
    "int16": (-(1 << 15), 1 << 15),
    "int32": (-(1 << 31), 1 << 31),
    "int64": (-(1 << 63), 1 << 63),
}
_EMPTY_ENV = TypeEnv({})


# ---------------------------------------------------------------------------------------
# reading the untyped value tree: nodes are tuples tagged by their first item


def _read_value(cur: Cursor):
    tok = cur.peek()
    if tok.kind == "num":
        cur.next()
        return ("num", tok.value)
    if tok.kind == "float":
        cur.next()
        return ("float", tok.value)
    if tok.kind == "text":
        cur.next()
        return ("text", tok.value)
    if tok.kind == "sym" and tok.value == "(":
        cur.next()
        inner = _read_annotated(cur)
        cur.expect_sym(")")
        return inner
    if tok.kind != "id":
        cur.fail("expected a value")
    word = tok.value
    cur.next()
    if word in ("true", "false"):
        return ("bool", word == "true")
    if word == "null":
        return ("null",)
    if word == "opt":
        return ("opt", _read_value(cur))
    if word == "vec":
        cur.expect_sym("{")
        items = []
        while not cur.at_sym("}"):
            items.append(_read_annotated(cur))
            if not cur.accept_sym(";"):
                break
        cur.expect_sym("}")
        return ("vec", items)
    if word == "blob":
        return ("blob", cur.expect_kind("text", "a blob literal").value)
    if word == "record":
        return ("record", _read_fields(cur))
    if word == "variant":
        fields = _read_fields(cur, variant=True)
        if len(fields) != 1:
            cur.fail("a variant value has exactly one field")
        return ("variant", fields[0])
    if word in ("principal", "service"):
        raw = principal_from_text(text_of(cur.expect_kind("text", "principal text").value))
        return (word, raw)
    if word == "func":
        raw = principal_from_text(text_of(cur.expect_kind("text", "principal text").value))
        cur.expect_sym(".")
        return ("func", raw, read_name(cur))
    cur.i -= 1
    cur.fail("expected a value")


def _read_annotated(cur: Cursor):
    node = _read_value(cur)
    if cur.accept_sym(":"):
        return ("ann", node, read_datatype(cur))
    return node


def _read_fields(cur: Cursor, variant: bool = False):
    """Fields as (id, name or None, node)."""
    cur.expect_sym("{")
    fields, positional = [], 0
    while not cur.at_sym("}"):
        tok = cur.peek()
        if tok.kind == "num" and cur.at("sym", "=", 1):
            cur.next()
            cur.next()
            if not 0 <= tok.value < 1 << 32:
                cur.fail("field id out of range")
            fields.append((tok.value, None, _read_annotated(cur)))
        elif tok.kind in ("id", "text") and cur.at("sym", "=", 1):
            name = read_name(cur)
            cur.next()
            fields.append((label_hash(name), name, _read_annotated(cur)))
        elif variant and tok.kind in ("id", "text", "num") and (cur.at("sym", ";", 1) or cur.at("sym", "}", 1)):
            if tok.kind == "num":
                cur.next()
                fields.append((tok.value, None, ("null",)))
            else:
                name = read_name(cur)
                fields.append((label_hash(name), name, ("null",)))
        else:
            fields.append((positional, None, _read_annotated(cur)))
            positional += 1
        if not cur.accept_sym(";"):
            break
    cur.expect_sym("}")
    ids = [f[0] for f in fields]
    if len(set(ids)) != len(ids):
        cur.fail("duplicate field")
    return fields


def read_args_tree(cur: Cursor) -> list:
    """`( v, v : t, ... )` as untyped nodes (used by the conformance test harness too)."""
    cur.expect_sym("(")
    out = []
    while not cur.at_sym(")"):
        out.append(_read_annotated(cur))
        if not cur.accept_sym(","):
            break
    cur.expect_sym(")")
    return out


# ---------------------------------------------------------------------------------------
# converting nodes to Python values


def _natural(node):
    tag = node[0]
    if tag in ("num", "float", "bool"):
        return node[1]
    if tag == "text":
        return text_of(node[1])
    if tag == "null":
        return None
    if tag == "opt":
        return _natural(node[1])
    if tag == "vec":
        return [_natural(n) for n in node[1]]
    if tag == "blob":
        return node[1]
    if tag == "record":
        fields = node[1]
        if fields and all(f[1] is None and f[0] == i for i, f in enumerate(fields)):
            return tuple(_natural(f[2]) for f in fields)
        return {_key(f[0], f[1]): _natural(f[2]) for f in fields}
    if tag == "variant":
        fid, name, value = node[1]
        return {_key(fid, name): _natural(value)}
    if tag in ("principal", "service"):
        return make_principal(node[1])
    if tag == "func":
        return (make_principal(node[1]), node[2])
    if tag == "ann":
        return _coerce(node[1], node[2], _EMPTY_ENV)
    raise CandidError(f"unknown value {tag}")


def _key(fid: int, name: Optional[str]) -> str:
    return name if name is not None else f"_{fid}_"


def _describe(node) -> str:
    return {
        "num": "a number",
        "float": "a float",
        "text": "text",
        "bool": "a bool",
        "null": "null",
        "opt": "opt",
        "vec": "vec",
        "blob": "blob",
        "record": "record",
        "variant": "variant",
        "principal": "principal",
        "service": "service",
        "func": "func",
    }.get(node[0], node[0])


def _coerce(node, t: Type, env: TypeEnv):
    tag = node[0]
    if tag == "ann":
        annotated = node[2]
        value = _coerce(node[1], annotated, env)
        if resolve(annotated, env) == resolve(t, env):
            return value
        if not is_subtype(annotated, env, t, env):
            raise CandidError("annotated type is not a subtype of the expected type")
        return _coerce(node[1], t, env)
    e = resolve(t, env)
    if e == RESERVED:
        _natural(node)  # still validate it
        return None
    if isinstance(e, Opt):
        if tag == "null":
            return None
        if tag == "opt":
            return _coerce(node[1], e.inner, env)
        return _coerce(node, e.inner, env)
    if isinstance(e, Prim):
        return _coerce_prim(node, e)
    if isinstance(e, Vec):
        inner = resolve(e.inner, env)
        if tag == "blob" and inner == NAT8:
            return node[1]
        if tag != "vec":
            raise CandidError(f"expected vec, got {_describe(node)}")
        items = [_coerce(n, e.inner, env) for n in node[1]]
        return bytes(items) if inner == NAT8 else items
    if isinstance(e, Record):
        if tag != "record":
            raise CandidError(f"expected record, got {_describe(node)}")
        given = {fid: value for fid, _, value in node[1]}
        out = {}
        for f in e.fields:
            if f.id in given:
                try:
                    out[field_key(f)] = _coerce(given[f.id], f.type, env)
                except CandidError as exc:
                    raise CandidError(f"field {f.label}: {exc}") from None
            elif accepts_null(f.type, env):
                out[field_key(f)] = None
            else:
                raise CandidError(f"record field {f.label} is missing")
        if e.is_tuple:
            return tuple(out[field_key(f)] for f in e.fields)
        return out
    if isinstance(e, Variant):
        if tag != "variant":
            raise CandidError(f"expected variant, got {_describe(node)}")
        fid, name, value = node[1]
        for f in e.fields:
            if f.id == fid:
                return {field_key(f): _coerce(value, f.type, env)}
        raise CandidError(f"variant field {name or fid} is not in the type")
    if isinstance(e, Func):
        if tag != "func":
            raise CandidError(f"expected func, got {_describe(node)}")
        return (make_principal(node[1]), node[2])
    if isinstance(e, Service):
        if tag != "service":
            raise CandidError(f"expected service, got {_describe(node)}")
        return make_principal(node[1])
    raise CandidError(f"cannot convert to type {e!r}")


def _coerce_prim(node, e: Prim):
    tag, name = node[0], e.name
    if name in _INT_RANGES:
        if tag != "num":
            raise CandidError(f"expected {name}, got {_describe(node)}")
        lo, hi = _INT_RANGES[name]
        v = node[1]
        if (lo is not None and v < lo) or (hi is not None and v >= hi):
            raise CandidError(f"{v} is out of range for {name}")
        return v
    if e in (FLOAT32, FLOAT64):
        if tag not in ("num", "float"):
            raise CandidError(f"expected {name}, got {_describe(node)}")
        v = float(node[1])
        if e == FLOAT32 and math.isfinite(v):
            try:
                v = struct.unpack("<f", struct.pack("<f", v))[0]
            except OverflowError:
                raise CandidError(f"{node[1]} does not fit in float32") from None
        return v
    if e == TEXT and tag == "text":
        return text_of(node[1])
    if e == BOOL and tag == "bool":
        return node[1]
    if e == NULL and tag == "null":
        return None
    if e == PRINCIPAL and tag in ("principal", "service"):
        return make_principal(node[1])
    if e == EMPTY:
        raise CandidError("no value has type empty")
    raise CandidError(f"expected {name}, got {_describe(node)}")


def parse_args(text: str, types: Optional[Sequence[Type]] = None, env: Optional[TypeEnv] = None) -> list:
    """Parse `(v1, v2, ...)` (a single value without parentheses is accepted too). With
    `types`, convert to them; missing trailing arguments that accept null become None."""
    cur = Cursor(text)
    if cur.at_sym("("):
        nodes = read_args_tree(cur)
    else:
        nodes = [_read_annotated(cur)]
    cur.expect_eof()
    return args_to_values(nodes, types, env)


def args_to_values(nodes: list, types: Optional[Sequence[Type]] = None, env: Optional[TypeEnv] = None) -> list:
    """Untyped nodes (from `read_args_tree`) to Python values, at `types` if given."""
    env = env if env is not None else _EMPTY_ENV
    i = 0
    try:
        out = []
        if types is None:
            for i, node in enumerate(nodes):
                out.append(_natural(node))
            return out
        types = list(types)
        for i, t in enumerate(types):
            if i < len(nodes):
                out.append(_coerce(nodes[i], t, env))
            elif accepts_null(t, env):
                out.append(None)
            else:
                raise CandidError("missing, and its type does not accept null")
        for i in range(len(types), len(nodes)):
            _natural(nodes[i])  # extra arguments are dropped, but must still be valid
        return out
    except CandidError as exc:
        raise CandidError(f"argument {i}: {exc}") from None
    except RecursionError:
        raise CandidError("value nested too deeply") from None
    except (KeyError, ValueError) as exc:
        raise CandidError(f"argument {i}: invalid type: {exc}") from None


# ---------------------------------------------------------------------------------------
# printing


def _group(n: int) -> str:
    s = str(abs(n))
    parts = []
    while len(s) > 3:
        parts.append(s[-3:])
        s = s[:-3]
    parts.append(s)
    return ("-" if n < 0 else "") + "_".join(reversed(parts))


def _format_float(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    s = repr(v)
    return s if ("." in s or "e" in s or "E" in s) else s + "."


def _format_blob(raw: bytes) -> str:
    out = []
    for b in raw:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            out.append(chr(b))
        else:
            out.append(f"\\{b:02x}")
    return 'blob "' + "".join(out) + '"'


def _label(f: Field) -> str:
    return format_name(f.name) if f.name is not None else _group(f.id)


def format_value(v, t: Type, env: TypeEnv) -> str:
    e = resolve(t, env)
    if isinstance(e, Prim):
        name = e.name
        if name in _INT_RANGES:
            lo, hi = _INT_RANGES[name]
            if (
                not isinstance(v, int)
                or isinstance(v, bool)
                or (lo is not None and v < lo)
                or (hi is not None and v >= hi)
            ):
                raise CandidError(f"expected {name}, got {v!r}")
            return f"{_group(v)} : {name}"
        if e in (FLOAT32, FLOAT64):
            return f"{_format_float(float(v))} : {name}"
        if e == TEXT:
            if not isinstance(v, str):
                raise CandidError(f"expected text, got {v!r}")
            return quote_text(v)
        if e == BOOL:
            return "true" if v else "false"
        if e in (NULL, RESERVED):
            return "null"
        if e == PRINCIPAL:
            return f'principal "{principal_to_text(principal_bytes(v))}"'
        raise CandidError("no value has type empty")
    if isinstance(e, Opt):
        if v is None:
            return "null"
        inner = format_value(v, e.inner, env)
        annotated = resolve(e.inner, env)
        if isinstance(annotated, Prim) and (annotated.name in _INT_RANGES or annotated in (FLOAT32, FLOAT64)):
            inner = f"({inner})"  # `opt 1 : nat` would annotate the opt
        return "opt " + inner
    if isinstance(e, Vec):
        if resolve(e.inner, env) == NAT8 and isinstance(v, (bytes, bytearray, memoryview)):
            return _format_blob(bytes(v))
        if not v:
            return "vec {}"
        return "vec { " + "; ".join(format_value(x, e.inner, env) for x in v) + " }"
    if isinstance(e, Record):
        if not e.fields:
            return "record {}"
        if e.is_tuple and isinstance(v, (tuple, list)):
            parts = [format_value(x, f.type, env) for x, f in zip(v, e.fields)]
        else:
            if not isinstance(v, dict):
                raise CandidError(f"expected a dict for record, got {v!r}")
            parts = [f"{_label(f)} = {format_value(v.get(field_key(f)), f.type, env)}" for f in e.declared_fields]
        return "record { " + "; ".join(parts) + " }"
    if isinstance(e, Variant):
        if not isinstance(v, dict) or len(v) != 1:
            raise CandidError(f"expected a one-key dict for variant, got {v!r}")
        ((key, value),) = v.items()
        for f in e.fields:
            if field_key(f) == key:
                if resolve(f.type, env) == NULL:
                    return f"variant {{ {_label(f)} }}"
                return f"variant {{ {_label(f)} = {format_value(value, f.type, env)} }}"
        raise CandidError(f"unknown variant tag {key!r}")
    if isinstance(e, Func):
        p, method = v
        return f'func "{principal_to_text(principal_bytes(p))}".{format_name(method)}'
    if isinstance(e, Service):
        return f'service "{principal_to_text(principal_bytes(v))}"'
    raise CandidError(f"cannot print type {e!r}")


def format_args(values: Sequence, types: Sequence[Type], env: Optional[TypeEnv] = None) -> str:
    """`(v1, v2)` in Candid text, numbers annotated with their type like dfx prints them."""
    env = env if env is not None else _EMPTY_ENV
    if len(values) != len(types):
        raise CandidError(f"{len(types)} types but {len(values)} values")
    try:
        return "(" + ", ".join(format_value(v, t, env) for v, t in zip(values, types)) + ")"
    except (KeyError, ValueError, TypeError) as exc:
        raise CandidError(f"cannot print values: {exc}") from None


# ---------------------------------------------------------------------------------------
# untyped text <-> bytes (Kybra's ic.candid_encode / ic.candid_decode)


def infer_type(node) -> Type:
    """The type an unannotated value gets, as the reference implementation infers it:
    integers are `int`, decimals `float64`, `vec` takes its first element's type."""
    tag = node[0]
    simple = {
        "num": INT,
        "float": FLOAT64,
        "text": TEXT,
        "bool": BOOL,
        "null": NULL,
        "blob": BLOB,
        "principal": PRINCIPAL,
    }
    if tag in simple:
        return simple[tag]
    if tag == "opt":
        return Opt(infer_type(node[1]))
    if tag == "vec":
        return Vec(infer_type(node[1][0]) if node[1] else EMPTY)
    if tag == "record":
        return Record(tuple(Field(fid, infer_type(v), name) for fid, name, v in node[1]))
    if tag == "variant":
        fid, name, v = node[1]
        return Variant((Field(fid, infer_type(v), name),))
    if tag == "service":
        return Service(())
    if tag == "func":
        return Func((), (), ())
    if tag == "ann":
        return node[2]
    raise CandidError(f"cannot infer a type for {tag}")


def encode_text(text: str) -> bytes:
    """Candid bytes of a textual argument list without a type description."""
    cur = Cursor(text)
    nodes = read_args_tree(cur) if cur.at_sym("(") else [_read_annotated(cur)]
    cur.expect_eof()
    types = [infer_type(n) for n in nodes]
    return encode(types, args_to_values(nodes, types), _EMPTY_ENV)


def decode_to_text(data: bytes) -> str:
    """Textual form of a Candid message, typed by its own type table."""
    values, types, env = decode_with_types(data)
    return format_args(values, types, env)
