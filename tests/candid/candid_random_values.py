"""Seeded random Candid types and host values for round-trip tests."""

from __future__ import annotations

import random
import string
import struct

from kybra import Principal

from localnet.candid.binary import field_key
from localnet.candid.subtype import resolve
from localnet.candid.types import (
    BLOB,
    INT,
    NAT,
    NAT8,
    PRIMITIVES,
    TEXT,
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
    label_hash,
    tuple_record,
)

# recursive named types every random type may refer to
ENV = TypeEnv(
    {
        "List": Opt(Record((Field.named("head", NAT), Field.named("tail", Var("List"))))),
        "Tree": Variant((Field.named("leaf", INT), Field.named("node", tuple_record(Var("Tree"), Var("Tree"))))),
        "Callback": Func((TEXT,), (Opt(Var("Callback")),), ("query",)),
        "Api": Service((("get", Var("Callback")),)),
    }
)
_PRIMS = [p for name, p in PRIMITIVES.items() if name != "empty"]
_INT_BOUNDS = {
    "nat": (0, 1 << 80),
    "int": (-(1 << 80), 1 << 80),
    "nat8": (0, 255),
    "nat16": (0, 65535),
    "nat32": (0, 2**32 - 1),
    "nat64": (0, 2**64 - 1),
    "int8": (-128, 127),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


def random_label(rng: random.Random) -> str:
    first = rng.choice(string.ascii_letters + "_")
    return first + "".join(rng.choice(string.ascii_letters + string.digits + "_") for _ in range(rng.randint(0, 8)))


def random_fields(rng: random.Random, depth: int, least: int):
    fields, used = [], set()
    for _ in range(rng.randint(least, 5)):
        name = random_label(rng)
        if label_hash(name) in used:
            continue
        used.add(label_hash(name))
        fields.append(Field.named(name, random_type(rng, depth - 1)))
    return tuple(fields)


def random_type(rng: random.Random, depth: int = 3) -> Type:
    roll = rng.random()
    if depth <= 0 or roll < 0.35:
        return rng.choice(_PRIMS)
    if roll < 0.42:
        return Var(rng.choice(sorted(ENV.types)))
    kind = rng.choice(["opt", "vec", "blob", "record", "tuple", "variant"])
    if kind == "opt":
        return Opt(random_type(rng, depth - 1))
    if kind == "vec":
        return Vec(random_type(rng, depth - 1))
    if kind == "blob":
        return BLOB
    if kind == "tuple":
        return tuple_record(*[random_type(rng, depth - 1) for _ in range(rng.randint(1, 3))])
    if kind == "record":
        return Record(random_fields(rng, depth, 0))
    return Variant(random_fields(rng, depth, 1))


def random_principal(rng: random.Random) -> Principal:
    return Principal(bytes(rng.randrange(256) for _ in range(rng.randint(0, 29))))


def random_text(rng: random.Random) -> str:
    alphabet = string.printable + "é☃🐂\u0000\u007f\"\\'"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def random_value(rng: random.Random, t: Type, env: TypeEnv = ENV, depth: int = 4, finite_floats: bool = False):
    e = resolve(t, env)
    if isinstance(e, Prim):
        name = e.name
        if name in _INT_BOUNDS:
            lo, hi = _INT_BOUNDS[name]
            return rng.choice([lo, hi, 0, rng.randint(lo, hi)])
        if name == "float64":
            choices = [0.0, -0.5, 1e300, rng.uniform(-1e6, 1e6)]
            return rng.choice(choices if finite_floats else choices + [float("inf")])
        if name == "float32":
            return struct.unpack("<f", struct.pack("<f", rng.uniform(-1e6, 1e6)))[0]
        if name == "text":
            return random_text(rng)
        if name == "bool":
            return rng.random() < 0.5
        if name in ("null", "reserved"):
            return None
        if name == "principal":
            return random_principal(rng)
    if isinstance(e, Opt):
        if depth <= 0 or rng.random() < 0.3:
            return None
        return random_value(rng, e.inner, env, depth - 1, finite_floats)
    if isinstance(e, Vec):
        if resolve(e.inner, env) == NAT8:
            return bytes(rng.randrange(256) for _ in range(rng.randint(0, 10)))
        n = 0 if depth <= 0 else rng.randint(0, 3)
        return [random_value(rng, e.inner, env, depth - 1, finite_floats) for _ in range(n)]
    if isinstance(e, Record):
        values = {field_key(f): random_value(rng, f.type, env, depth - 1, finite_floats) for f in e.fields}
        if e.is_tuple:
            return tuple(values[field_key(f)] for f in e.fields)
        return values
    if isinstance(e, Variant):
        fields = e.fields
        if depth <= 0:  # prefer a non-recursive case so the value stays finite
            fields = [f for f in fields if not isinstance(f.type, (Var, Record))] or fields
        f = rng.choice(fields)
        return {field_key(f): random_value(rng, f.type, env, depth - 1, finite_floats)}
    if isinstance(e, Func):
        return (random_principal(rng), random_label(rng))
    if isinstance(e, Service):
        return random_principal(rng)
    raise AssertionError(f"no value for {e!r}")
