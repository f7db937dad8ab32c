"""The Candid type model shared by the codec, the textual format, .did files and the Kybra
source analyser.

Types are immutable dataclasses. Named (possibly recursive) types are `Var(name)` resolved
through a `TypeEnv` (name -> type), the way a .did file's `type X = ...;` lines work.
Record and variant fields carry their label id (the Candid field hash, or the number for
tuple fields) and, when known, their name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple


def label_hash(name: str) -> int:
    """Candid field id of a textual label: fold(h * 223 + byte) mod 2**32 over UTF-8."""
    h = 0
    for b in name.encode("utf-8"):
        h = (h * 223 + b) & 0xFFFFFFFF
    return h


class Type:
    """Base of every Candid type."""


@dataclass(frozen=True)
class Prim(Type):
    """A primitive: null bool nat int nat8..nat64 int8..int64 float32 float64 text
    reserved empty principal."""

    name: str


NULL = Prim("null")
BOOL = Prim("bool")
NAT = Prim("nat")
INT = Prim("int")
NAT8 = Prim("nat8")
NAT16 = Prim("nat16")
NAT32 = Prim("nat32")
NAT64 = Prim("nat64")
INT8 = Prim("int8")
INT16 = Prim("int16")
INT32 = Prim("int32")
INT64 = Prim("int64")
FLOAT32 = Prim("float32")
FLOAT64 = Prim("float64")
TEXT = Prim("text")
RESERVED = Prim("reserved")
EMPTY = Prim("empty")
PRINCIPAL = Prim("principal")

PRIMITIVES: Dict[str, Prim] = {
    p.name: p
    for p in (
        NULL,
        BOOL,
        NAT,
        INT,
        NAT8,
        NAT16,
        NAT32,
        NAT64,
        INT8,
        INT16,
        INT32,
        INT64,
        FLOAT32,
        FLOAT64,
        TEXT,
        RESERVED,
        EMPTY,
        PRINCIPAL,
    )
}


@dataclass(frozen=True)
class Opt(Type):
    inner: Type


@dataclass(frozen=True)
class Vec(Type):
    inner: Type


BLOB = Vec(NAT8)


@dataclass(frozen=True)
class Field:
    """A record or variant field: `id` is the label hash (or tuple index); `name` is the
    textual label when there is one (None for numeric labels)."""

    id: int
    type: Type
    name: Optional[str] = None

    @staticmethod
    def named(name: str, type: Type) -> "Field":
        return Field(label_hash(name), type, name)

    @property
    def label(self) -> str:
        return self.name if self.name is not None else str(self.id)


def _sorted(fields) -> Tuple[Field, ...]:
    return tuple(sorted(fields, key=lambda f: f.id))


def _declared(fields: Tuple[Field, ...], order: Tuple[int, ...]) -> Tuple[Field, ...]:
    by_id = {f.id: f for f in fields}
    if sorted(order) != sorted(by_id):
        return fields
    return tuple(by_id[i] for i in order)


@dataclass(frozen=True)
class _Composite(Type):
    """What Record and Variant share. `fields` are sorted by id (the wire order); `order`
    keeps the ids in the order the fields were given (declaration order, for printing) and
    takes no part in equality."""

    fields: Tuple[Field, ...] = ()
    order: Tuple[int, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        if not self.order:
            object.__setattr__(self, "order", tuple(f.id for f in self.fields))
        object.__setattr__(self, "fields", _sorted(self.fields))

    @property
    def declared_fields(self) -> Tuple[Field, ...]:
        return _declared(self.fields, self.order)


@dataclass(frozen=True)
class Record(_Composite):
    """A record type (see _Composite for `fields` and `order`)."""

    @property
    def is_tuple(self) -> bool:
        return bool(self.fields) and all(f.name is None and f.id == i for i, f in enumerate(self.fields))


@dataclass(frozen=True)
class Variant(_Composite):
    """A variant type (see _Composite for `fields` and `order`)."""


def tuple_record(*types: Type) -> Record:
    return Record(tuple(Field(i, t) for i, t in enumerate(types)))


@dataclass(frozen=True)
class Func(Type):
    args: Tuple[Type, ...] = ()
    rets: Tuple[Type, ...] = ()
    modes: Tuple[str, ...] = ()  # subset of "query", "oneway", "composite_query"


@dataclass(frozen=True)
class Service(Type):
    methods: Tuple[Tuple[str, Type], ...] = ()  # (name, Func or Var naming a func), sorted

    def __post_init__(self):
        object.__setattr__(self, "methods", tuple(sorted(self.methods, key=lambda m: m[0])))


@dataclass(frozen=True)
class Var(Type):
    """A reference to a named type in a TypeEnv."""

    name: str


@dataclass
class TypeEnv:
    """Named type definitions; resolves `Var` chains."""

    types: Dict[str, Type] = field(default_factory=dict)

    def resolve(self, t: Type) -> Type:
        seen = set()
        while isinstance(t, Var):
            if t.name in seen:
                raise ValueError(f"type {t.name} is defined only in terms of itself")
            seen.add(t.name)
            if t.name not in self.types:
                raise KeyError(f"unknown type {t.name}")
            t = self.types[t.name]
        return t


@dataclass(frozen=True)
class ServiceDescription:
    """A whole .did: its type definitions, the init arguments of a service class
    (`service : (InitArgs) -> { ... }`) and the service itself."""

    env: TypeEnv
    service: Service
    init_args: Optional[Tuple[Type, ...]] = None
