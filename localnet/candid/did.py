"""Candid service descriptions (.did): parse to the type model and print canonical text.

The type-expression reader (`read_datatype`, `read_tuple`, `read_definitions`) is shared
with the textual value parser (annotations) and the conformance test grammar.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from .errors import CandidError
from .lexer import Cursor, text_of
from .types import (
    BLOB,
    NAT8,
    NULL,
    PRIMITIVES,
    Field,
    Func,
    Opt,
    Prim,
    Record,
    Service,
    ServiceDescription,
    Type,
    TypeEnv,
    Var,
    Variant,
    Vec,
)

KEYWORDS = frozenset(
    {
        "blob",
        "bool",
        "composite_query",
        "empty",
        "false",
        "float32",
        "float64",
        "func",
        "import",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "nat",
        "nat8",
        "nat16",
        "nat32",
        "nat64",
        "null",
        "oneway",
        "opt",
        "principal",
        "query",
        "record",
        "reserved",
        "service",
        "text",
        "true",
        "type",
        "variant",
        "vec",
    }
)
_MODES = ("query", "oneway", "composite_query")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
WIDTH = 80


# ---------------------------------------------------------------------------------------
# reading


def read_name(cur: Cursor) -> str:
    """A label or method name: identifier or quoted text."""
    tok = cur.peek()
    if tok.kind == "id":
        cur.next()
        return tok.value
    if tok.kind == "text":
        cur.next()
        return text_of(tok.value)
    cur.fail("expected a name")


def read_datatype(cur: Cursor) -> Type:
    tok = cur.peek()
    if tok.kind != "id":
        cur.fail("expected a type")
    word = tok.value
    cur.next()
    if word in PRIMITIVES:
        return PRIMITIVES[word]
    if word == "opt":
        return Opt(read_datatype(cur))
    if word == "vec":
        return Vec(read_datatype(cur))
    if word == "blob":
        return BLOB
    if word == "record":
        return Record(_read_fields(cur, record=True))
    if word == "variant":
        return Variant(_read_fields(cur, record=False))
    if word == "func":
        return read_functype(cur)
    if word == "service":
        return read_actortype(cur)
    if word in KEYWORDS:
        cur.i -= 1
        cur.fail("expected a type")
    return Var(word)


def _read_fields(cur: Cursor, record: bool) -> Tuple[Field, ...]:
    cur.expect_sym("{")
    fields: List[Field] = []
    positional = 0
    while not cur.at_sym("}"):
        tok = cur.peek()
        if tok.kind == "num" and cur.at("sym", ":", 1):
            cur.next()
            cur.next()
            if not 0 <= tok.value < 1 << 32:
                cur.fail("field id out of range")
            fields.append(Field(tok.value, read_datatype(cur)))
        elif tok.kind in ("id", "text") and cur.at("sym", ":", 1):
            name = read_name(cur)
            cur.next()
            fields.append(Field.named(name, read_datatype(cur)))
        elif (
            not record
            and tok.kind == "text"
            or (not record and tok.kind == "id" and tok.value not in PRIMITIVES and tok.value not in KEYWORDS)
        ):
            fields.append(Field.named(read_name(cur), NULL))  # `variant { A }`: A : null
        elif not record and tok.kind == "num":
            cur.next()
            fields.append(Field(tok.value, NULL))
        else:
            fields.append(Field(positional, read_datatype(cur)))
            positional += 1
        if not cur.accept_sym(";"):
            break
    cur.expect_sym("}")
    ids = [f.id for f in fields]
    if len(set(ids)) != len(ids):
        raise CandidError("duplicate field label (or label hash collision) in " + ("record" if record else "variant"))
    return tuple(fields)


def read_tuple(cur: Cursor) -> Tuple[Type, ...]:
    """`( t, name : t, ... )` — argument names are documentation and are dropped."""
    cur.expect_sym("(")
    out = []
    while not cur.at_sym(")"):
        if cur.peek().kind in ("id", "text") and cur.at("sym", ":", 1):
            cur.next()
            cur.next()
        out.append(read_datatype(cur))
        if not cur.accept_sym(","):
            break
    cur.expect_sym(")")
    return tuple(out)


def read_functype(cur: Cursor) -> Func:
    args = read_tuple(cur)
    cur.expect_sym("->")
    rets = read_tuple(cur)
    modes = []
    while cur.peek().kind == "id" and cur.peek().value in _MODES:
        modes.append(cur.next().value)
    return Func(args, rets, tuple(modes))


def read_actortype(cur: Cursor) -> Service:
    cur.expect_sym("{")
    methods: Dict[str, Type] = {}
    while not cur.at_sym("}"):
        name = read_name(cur)
        cur.expect_sym(":")
        if cur.at_sym("("):
            mt: Type = read_functype(cur)
        else:
            mt = read_datatype(cur)
            if not isinstance(mt, (Var, Func)):
                cur.fail(f"method {name} must have a function type")
        if name in methods:
            raise CandidError(f"duplicate method {name}")
        methods[name] = mt
        if not cur.accept_sym(";"):
            break
    cur.expect_sym("}")
    return Service(tuple(methods.items()))


def read_definitions(cur: Cursor, env: TypeEnv) -> None:
    """`type X = t;` and `import "...";` lines (imports are not supported)."""
    while True:
        if cur.at_kw("type") and cur.peek(1).kind == "id":
            cur.next()
            name = cur.next().value
            if name in KEYWORDS:
                cur.i -= 1
                cur.fail("a keyword cannot name a type")
            cur.expect_sym("=")
            if name in env.types:
                raise CandidError(f"type {name} is defined twice")
            env.types[name] = read_datatype(cur)
            cur.accept_sym(";")
        elif cur.at_kw("import"):
            cur.fail("imports are not supported")
        else:
            return


def check_env(env: TypeEnv) -> None:
    """Every referenced name is defined and no name is defined only as itself."""

    def walk(t: Type, seen):
        if isinstance(t, Var):
            if t.name not in env.types:
                raise CandidError(f"unbound type name {t.name}")
        elif isinstance(t, (Opt, Vec)):
            walk(t.inner, seen)
        elif isinstance(t, (Record, Variant)):
            for f in t.fields:
                walk(f.type, seen)
        elif isinstance(t, Func):
            for a in t.args + t.rets:
                walk(a, seen)
        elif isinstance(t, Service):
            for _, mt in t.methods:
                walk(mt, seen)

    for name, t in env.types.items():
        walk(t, None)
    for name in env.types:
        try:
            env.resolve(Var(name))
        except ValueError as e:
            raise CandidError(str(e)) from None


def parse_did(text: str) -> ServiceDescription:
    """Parse a .did file. A file without a service yields an empty service."""
    cur = Cursor(text)
    env = TypeEnv({})
    read_definitions(cur, env)
    service, init = Service(()), None
    if cur.accept_kw("service"):
        if cur.peek().kind == "id" and not cur.at_sym(":"):
            cur.next()  # optional service name
        cur.expect_sym(":")
        if cur.at_sym("("):
            init = read_tuple(cur)
            cur.expect_sym("->")
        if cur.at_sym("{"):
            service = read_actortype(cur)
        else:
            ref = read_datatype(cur)
            check_env(env)
            resolved = env.resolve(ref) if isinstance(ref, Var) else ref
            if not isinstance(resolved, Service):
                raise CandidError("the service must be a service type")
            service = resolved
        cur.accept_sym(";")
    cur.expect_eof()
    check_env(env)
    for name, mt in service.methods:
        if not isinstance(env.resolve(mt) if isinstance(mt, Var) else mt, Func):
            raise CandidError(f"method {name} must have a function type")
    return ServiceDescription(env, service, init)


def parse_type(text: str) -> Type:
    """One type expression, e.g. `record { a : nat }` (names stay `Var`s: resolve them in
    the env of the .did they come from)."""
    cur = Cursor(text)
    t = read_datatype(cur)
    cur.expect_eof()
    return t


def parse_types(text: str) -> Tuple[Type, ...]:
    """A parenthesised type sequence, e.g. `(nat, opt text)`."""
    cur = Cursor(text)
    ts = read_tuple(cur)
    cur.expect_eof()
    return ts


# ---------------------------------------------------------------------------------------
# printing


def format_name(name: str) -> str:
    if _IDENT.match(name) and name not in KEYWORDS:
        return name
    return quote_text(name)


def quote_text(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _format_label(f: Field) -> str:
    return format_name(f.name) if f.name is not None else str(f.id)


def format_type(t: Type, indent: str = "") -> str:
    """One type expression; records and variants that would make a line longer than
    WIDTH are laid out one field per line, indented under `indent`."""
    if isinstance(t, Prim):
        return t.name
    if isinstance(t, Var):
        return format_name(t.name)
    if isinstance(t, Opt):
        return "opt " + format_type(t.inner, indent)
    if isinstance(t, Vec):
        return "blob" if t.inner == NAT8 else "vec " + format_type(t.inner, indent)
    if isinstance(t, (Record, Variant)):
        keyword = "record" if isinstance(t, Record) else "variant"
        if not t.fields:
            return keyword + " {}"
        inner = indent + "  "
        if isinstance(t, Record) and t.is_tuple:
            parts = [format_type(f.type, inner) for f in t.fields]
        else:
            parts = [
                _format_label(f)
                if isinstance(t, Variant) and f.type == NULL
                else f"{_format_label(f)} : {format_type(f.type, inner)}"
                for f in t.declared_fields
            ]
        flat = keyword + " { " + "; ".join(parts) + " }"
        if len(indent) + len(flat) <= WIDTH and "\n" not in flat:
            return flat
        return keyword + " {\n" + "".join(f"{inner}{p};\n" for p in parts) + indent + "}"
    if isinstance(t, Func):
        return "func " + format_functype(t)
    if isinstance(t, Service):
        return "service " + format_actortype(t, indent="")
    raise CandidError(f"cannot print type {t!r}")


def format_tuple(ts, indent: str = "") -> str:
    return "(" + ", ".join(format_type(t, indent) for t in ts) + ")"


def format_functype(f: Func, indent: str = "") -> str:
    s = f"{format_tuple(f.args, indent)} -> {format_tuple(f.rets, indent)}"
    return s + "".join(" " + m for m in f.modes)


def format_actortype(s: Service, indent: str = "  ") -> str:
    if not s.methods:
        return "{}"
    lines = []
    for name, mt in s.methods:
        rendered = format_functype(mt, indent) if isinstance(mt, Func) else format_type(mt)
        lines.append(f"{format_name(name)} : {rendered};")
    if not indent:
        return "{ " + " ".join(lines) + " }"
    return "{\n" + "".join(f"{indent}{line}\n" for line in lines) + "}"


def format_did(desc: ServiceDescription) -> str:
    """Canonical .did text: type definitions sorted by name, then the service (methods
    sorted by name). Accepted by the reference candid parser."""
    out = [f"type {format_name(name)} = {format_type(t)};\n" for name, t in sorted(desc.env.types.items())]
    head = "service : "
    if desc.init_args is not None:
        head += format_tuple(desc.init_args) + " -> "
    out.append(head + format_actortype(desc.service) + "\n")
    return "".join(out)
