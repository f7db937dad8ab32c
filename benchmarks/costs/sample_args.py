"""A valid sample value for any Candid type, for methods the plans do not spell out.

The value decodes on the canister, so the call runs the method's own validation and
lookups (usually ending in a typed `Err` for a made-up id): enough to see whether its
cost depends on the amount of stored data."""

from __future__ import annotations

from typing import Any

from localnet.candid import types as T
from localnet.candid.binary import field_key

_INTS = {"nat", "int", "nat8", "nat16", "nat32", "nat64", "int8", "int16", "int32", "int64"}


def sample(t: T.Type, env: T.TypeEnv, principal, depth: int = 0) -> Any:
    """The smallest plausible value of `t`: 1 for integers, "bench" for text, the given
    principal, None for opt, [] for vectors, the first tag of a variant."""
    t = env.resolve(t)
    if depth > 20:
        raise ValueError("type nests too deeply for a sample value")
    if isinstance(t, T.Prim):
        if t.name in _INTS:
            return 1
        if t.name in ("float32", "float64"):
            return 1.0
        if t.name == "text":
            return "bench"
        if t.name == "bool":
            return False
        if t.name == "principal":
            return principal
        if t.name in ("null", "reserved"):
            return None
        raise ValueError(f"no sample value of type {t.name}")
    if isinstance(t, T.Opt):
        return None
    if isinstance(t, T.Vec):
        return b"" if t == T.BLOB else []
    if isinstance(t, T.Record):
        values = {field_key(f): sample(f.type, env, principal, depth + 1) for f in t.fields}
        if t.is_tuple:
            return tuple(values[field_key(f)] for f in t.fields)
        return values
    if isinstance(t, T.Variant):
        first = t.declared_fields[0]
        return {field_key(first): sample(first.type, env, principal, depth + 1)}
    if isinstance(t, T.Service):
        return principal
    if isinstance(t, T.Func):
        return (principal, "bench")
    raise ValueError(f"no sample value of type {t!r}")


def sample_args(sig, env: T.TypeEnv, principal) -> list:
    """Sample arguments for a method signature (`MethodSig.params`)."""
    return [sample(t, env, principal) for _, t in sig.params]
