"""`PaymentFactory` in src/common/factory_api.py is what merchant canisters call: every
method it declares must exist in the factory's .did with the same query/update mode and the
same argument and result types (compared as Candid types, names resolved)."""

from __future__ import annotations

import ast
import os

from factory_client import FACTORY_DID, FACTORY_ENTRY, ROOT

API = os.path.join(ROOT, "src", "common", "factory_api.py")


def signature(fn: ast.FunctionDef, skip: int) -> tuple:
    """Parameter and return annotations as source text (both sides use the same type
    classes from factory_api.py, so equal text means equal Candid types)."""
    return (tuple(ast.unparse(a.annotation) for a in fn.args.args[skip:]), ast.unparse(fn.returns))


def declared() -> dict:
    tree = ast.parse(open(API, encoding="utf-8").read())
    (service,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PaymentFactory"]
    out = {}
    for fn in service.body:
        if isinstance(fn, ast.FunctionDef):
            (deco,) = fn.decorator_list
            out[fn.name] = (
                "query" if deco.id == "service_query" else "update",
                len(fn.args.args) - 1,
                signature(fn, 1),
            )
    return out


def implemented() -> dict:
    """Canister methods of the factory source: name -> signature (Async[T] unwrapped)."""
    out = {}
    folder = os.path.dirname(FACTORY_ENTRY)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for fn in tree.body:
                if isinstance(fn, ast.FunctionDef) and any(
                    getattr(d, "id", None) in ("query", "update") for d in fn.decorator_list
                ):
                    params, ret = signature(fn, 0)
                    if ret.startswith("Async[") and ret.endswith("]"):
                        ret = ret[len("Async[") : -1]
                    out[fn.name] = (params, ret)
    return out


def test_payment_factory_matches_the_factory_interface():
    from localnet.candid.did import parse_did
    from localnet.kybra_source.analyze import analyze
    from localnet.kybra_source.bundle import SourceBundle

    with open(FACTORY_DID, encoding="utf-8") as f:
        desc = parse_did(f.read())
    methods = dict(desc.service.methods)
    iface = analyze(SourceBundle.from_entry(FACTORY_ENTRY, ROOT))
    api = declared()
    impl = implemented()
    assert len(api) >= 15
    for name, (mode, nargs, sig_text) in api.items():
        assert impl[name] == sig_text, name
        assert name in methods, name
        func = desc.env.resolve(methods[name])
        assert ("query" in func.modes) == (mode == "query"), name
        assert len(func.args) == nargs, name
        sig = iface.methods[name]
        assert sig.kind == mode, name
