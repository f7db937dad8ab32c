"""Generates the front ends' canister bindings from the committed .did files, with the
project's one Candid implementation (localnet.candid): for each canister an IDL factory
(`<name>.idl.js`, for @icp-sdk/core's `Actor.createActor`) and its TypeScript types
(`<name>.idl.d.ts`, the `_SERVICE` interface). Run by `npm run build` (script `idl`), so an
interface change in a canister reaches the web code at the next build.

    python web/scripts/gen_idl.py [--check]
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from localnet.candid import types as T  # noqa: E402
from localnet.candid.did import parse_did  # noqa: E402

CANISTERS = ("user_payment_canister", "payment_backend", "icrc_ledger")
OUT = os.path.join(os.path.dirname(HERE), "src", "generated")
BIGINT = {"nat", "int", "nat64", "int64"}
NUMBER = {"nat8", "nat16", "nat32", "int8", "int16", "int32", "float32", "float64"}
IDL_PRIM = {
    "null": "Null",
    "bool": "Bool",
    "nat": "Nat",
    "int": "Int",
    "nat8": "Nat8",
    "nat16": "Nat16",
    "nat32": "Nat32",
    "nat64": "Nat64",
    "int8": "Int8",
    "int16": "Int16",
    "int32": "Int32",
    "int64": "Int64",
    "float32": "Float32",
    "float64": "Float64",
    "text": "Text",
    "reserved": "Reserved",
    "empty": "Empty",
    "principal": "Principal",
}


def key(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_tuple(t) -> bool:
    return isinstance(t, T.Record) and t.fields and t.is_tuple


def field_name(f) -> str:
    return f.name if f.name is not None else f"_{f.id}_"


class Emitter:
    """Candid types -> IDL expressions (JS) and TypeScript types."""

    def __init__(self, env: T.TypeEnv):
        self.env = env

    def idl(self, t) -> str:
        if isinstance(t, T.Var):
            return t.name
        if isinstance(t, T.Prim):
            return f"IDL.{IDL_PRIM[t.name]}"
        if isinstance(t, T.Opt):
            return f"IDL.Opt({self.idl(t.inner)})"
        if isinstance(t, T.Vec):
            return f"IDL.Vec({self.idl(t.inner)})"
        if is_tuple(t):
            return "IDL.Tuple(" + ", ".join(self.idl(f.type) for f in t.fields) + ")"
        if isinstance(t, (T.Record, T.Variant)):
            kind = "Record" if isinstance(t, T.Record) else "Variant"
            body = ", ".join(f"{key(field_name(f))}: {self.idl(f.type)}" for f in t.declared_fields)
            return f"IDL.{kind}({{ {body} }})"
        if isinstance(t, T.Func):
            return self.func(t)
        if isinstance(t, T.Service):
            return "IDL.Service({ " + ", ".join(f"{key(n)}: {self.idl(f)}" for n, f in t.methods) + " })"
        raise TypeError(f"unsupported Candid type {t!r}")

    def func(self, t: T.Func) -> str:
        args = ", ".join(self.idl(a) for a in t.args)
        rets = ", ".join(self.idl(r) for r in t.rets)
        modes = ", ".join(f"'{m}'" for m in t.modes)
        return f"IDL.Func([{args}], [{rets}], [{modes}])"

    def ts(self, t) -> str:
        if isinstance(t, T.Var):
            return t.name
        if isinstance(t, T.Prim):
            if t.name in BIGINT:
                return "bigint"
            if t.name in NUMBER:
                return "number"
            return {
                "null": "null",
                "bool": "boolean",
                "text": "string",
                "reserved": "any",
                "empty": "never",
                "principal": "Principal",
            }[t.name]
        if isinstance(t, T.Opt):
            return f"[] | [{self.ts(t.inner)}]"
        if isinstance(t, T.Vec):
            inner = self.env.resolve(t.inner) if isinstance(t.inner, T.Var) else t.inner
            if inner == T.NAT8:
                return "Uint8Array | number[]"
            return f"Array<{self.ts(t.inner)}>"
        if is_tuple(t):
            return "[" + ", ".join(self.ts(f.type) for f in t.fields) + "]"
        if isinstance(t, T.Record):
            return "{ " + "; ".join(f"{key(field_name(f))}: {self.ts(f.type)}" for f in t.declared_fields) + " }"
        if isinstance(t, T.Variant):
            if not t.fields:
                return "never"
            return " | ".join("{ " + f"{key(field_name(f))}: {self.ts(f.type)}" + " }" for f in t.declared_fields)
        if isinstance(t, T.Func):
            return "[Principal, string]"
        if isinstance(t, T.Service):
            return "Principal"
        raise TypeError(f"unsupported Candid type {t!r}")

    def method_ts(self, f: T.Func) -> str:
        args = ", ".join(self.ts(a) for a in f.args)
        if not f.rets:
            ret = "undefined"
        elif len(f.rets) == 1:
            ret = self.ts(f.rets[0])
        else:
            ret = "[" + ", ".join(self.ts(r) for r in f.rets) + "]"
        return f"ActorMethod<[{args}], {ret}>"


def references(t, out: set) -> set:
    """Names of the named types `t` mentions directly."""
    if isinstance(t, T.Var):
        out.add(t.name)
    elif isinstance(t, (T.Opt, T.Vec)):
        references(t.inner, out)
    elif isinstance(t, (T.Record, T.Variant)):
        for f in t.fields:
            references(f.type, out)
    elif isinstance(t, T.Func):
        for a in (*t.args, *t.rets):
            references(a, out)
    elif isinstance(t, T.Service):
        for _, f in t.methods:
            references(f, out)
    return out


def definition_order(env: T.TypeEnv) -> tuple[set, list]:
    """(names on a reference cycle, all names in an order where every non-recursive name
    comes after the names it uses)."""
    deps = {n: references(t, set()) & set(env.types) for n, t in env.types.items()}

    def reaches(start: str) -> set:
        seen, todo = set(), list(deps[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(deps[n])
        return seen

    recursive = {n for n in deps if n in reaches(n)}
    order, done = [], set()

    def visit(n: str):
        if n in done:
            return
        done.add(n)
        for d in sorted(deps[n] - recursive):
            visit(d)
        order.append(n)

    for n in sorted(deps):
        visit(n)
    return recursive, order


def generate(name: str, did_text: str) -> tuple[str, str]:
    desc = parse_did(did_text)
    em = Emitter(desc.env)
    names = sorted(desc.env.types)
    recursive, order = definition_order(desc.env)
    js = [
        f"// Generated by web/scripts/gen_idl.py from candid/{name}.did: do not edit.",
        "export const idlFactory = ({ IDL }) => {",
    ]
    # recursive types are declared first as IDL.Rec and filled in dependency order
    js += [f"  const {n} = IDL.Rec();" for n in sorted(recursive)]
    js += [
        f"  {n}.fill({em.idl(desc.env.types[n])});" if n in recursive else f"  const {n} = {em.idl(desc.env.types[n])};"
        for n in order
    ]
    methods = []
    for method, func in desc.service.methods:
        f = desc.env.resolve(func) if isinstance(func, T.Var) else func
        methods.append(f"    {key(method)}: {em.func(f)},")
    js += ["  return IDL.Service({", *methods, "  });", "};", ""]

    ts = [
        f"// Generated by web/scripts/gen_idl.py from candid/{name}.did: do not edit.",
        "import type { ActorMethod } from '@icp-sdk/core/agent';",
        "import type { IDL } from '@icp-sdk/core/candid';",
        "import type { Principal } from '@icp-sdk/core/principal';",
        "",
    ]
    ts += [f"export type {n} = {em.ts(desc.env.types[n])};" for n in names]
    ts.append("export interface _SERVICE {")
    for method, func in desc.service.methods:
        f = desc.env.resolve(func) if isinstance(func, T.Var) else func
        ts.append(f"  {key(method)}: {em.method_ts(f)};")
    ts += ["}", "export declare const idlFactory: IDL.InterfaceFactory;", ""]
    return "\n".join(js), "\n".join(ts)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    os.makedirs(OUT, exist_ok=True)
    stale = []
    for name in CANISTERS:
        path = os.path.join(ROOT, "candid", f"{name}.did")
        try:
            with open(path, encoding="utf-8") as f:
                js, ts = generate(name, f.read())
        except OSError as exc:
            print(f"Error: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return 1
        for suffix, text in ((".idl.js", js), (".idl.d.ts", ts)):
            out = os.path.join(OUT, name + suffix)
            old = open(out, encoding="utf-8").read() if os.path.exists(out) else None
            if old == text:
                continue
            if check:
                stale.append(out)
            else:
                with open(out, "w", encoding="utf-8") as f:
                    f.write(text)
    if stale:
        print("stale generated bindings: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
