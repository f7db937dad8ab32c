"""The Candid subtype relation `t1 <: t2` (spec "Subtyping"), decided coinductively so that
recursive types terminate. The decoder uses it where the spec checks types rather than values:
function and service references."""

from __future__ import annotations

from .types import (
    EMPTY,
    INT,
    NAT,
    NULL,
    PRINCIPAL,
    RESERVED,
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


class FutureType(Type):
    """A wire type with an opcode this implementation does not know (spec: "future types");
    its values are skipped. Only `opt _` and `reserved` accept it."""

    def __init__(self, opcode: int):
        self.opcode = opcode

    def __repr__(self):
        return f"FutureType({self.opcode})"


def resolve(t: Type, env: TypeEnv) -> Type:
    return env.resolve(t) if isinstance(t, Var) else t


def accepts_null(t: Type, env: TypeEnv) -> bool:
    """`null <: t`: the types whose value may be omitted (missing args, record fields)."""
    t = resolve(t, env)
    return t == NULL or t == RESERVED or isinstance(t, Opt)


def is_subtype(t1: Type, env1: TypeEnv, t2: Type, env2: TypeEnv) -> bool:
    return _Relation().sub(t1, env1, t2, env2)


def is_tuple_subtype(ts1, env1: TypeEnv, ts2, env2: TypeEnv) -> bool:
    return _Relation().tuple_sub(ts1, env1, ts2, env2)


class _Relation:
    def __init__(self):
        self.assumed = set()

    def sub(self, t1: Type, e1: TypeEnv, t2: Type, e2: TypeEnv) -> bool:
        if isinstance(t1, Var) or isinstance(t2, Var):
            key = (t1, id(e1), t2, id(e2))
            if key in self.assumed:  # coinduction: a cycle that did not fail holds
                return True
            self.assumed.add(key)
        a, b = resolve(t1, e1), resolve(t2, e2)
        if b == RESERVED or a == EMPTY or isinstance(b, Opt):
            return True  # `t <: opt t'` always holds: decoding falls back to null
        if isinstance(a, FutureType):
            return False
        if isinstance(a, Prim) or isinstance(b, Prim):
            if isinstance(a, Service) and b == PRINCIPAL:
                return True
            return a == b or (a == NAT and b == INT)
        if isinstance(a, Vec) and isinstance(b, Vec):
            return self.sub(a.inner, e1, b.inner, e2)
        if isinstance(a, Record) and isinstance(b, Record):
            have = {f.id: f.type for f in a.fields}
            for f in b.fields:
                if f.id in have:
                    if not self.sub(have[f.id], e1, f.type, e2):
                        return False
                elif not accepts_null(f.type, e2):
                    return False
            return True
        if isinstance(a, Variant) and isinstance(b, Variant):
            want = {f.id: f.type for f in b.fields}
            return all(f.id in want and self.sub(f.type, e1, want[f.id], e2) for f in a.fields)
        if isinstance(a, Func) and isinstance(b, Func):
            return (
                set(a.modes) == set(b.modes)
                and self.tuple_sub(b.args, e2, a.args, e1)
                and self.tuple_sub(a.rets, e1, b.rets, e2)
            )
        if isinstance(a, Service) and isinstance(b, Service):
            have = dict(a.methods)
            return all(name in have and self.sub(have[name], e1, t, e2) for name, t in b.methods)
        return False

    def tuple_sub(self, ts1, e1: TypeEnv, ts2, e2: TypeEnv) -> bool:
        """Argument sequences: extra values on the left are dropped, missing ones on the
        right must accept null."""
        for i, t2 in enumerate(ts2):
            if i < len(ts1):
                if not self.sub(ts1[i], e1, t2, e2):
                    return False
            elif not accepts_null(t2, e2):
                return False
        return True
