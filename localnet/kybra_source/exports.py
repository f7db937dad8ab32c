"""What Kybra can call: the names `from <entry> import *` binds.

kybra 0.7.1's init and post_upgrade run `from <entry module> import *` in a fresh scope
(kybra_generate src/canister_method/init_method/rust.rs l.65-73, `generate_code_init`), and
every canister method and guard function is later looked up *by name in that scope*
(src/body/call_global_python_function.rs l.22-27 and l.52-58; a guard is
`call_global_python_function_sync(name, ())`: src/guard_function/guard_function.rs l.4-8).
So what Python's star import gives decides what exists: the module's `__all__` if it has
one, else every top-level name not starting with `_` (names it defines *or imports*, and
what its own `from x import *` lines bring in). A method or guard outside that set is
"not defined" on the IC although the source looks right.

| rule | what |
| --- | --- |
| method-not-exported | a canister method the entry's star import does not bind (defined elsewhere and not imported into the entry, left out of `__all__`, ...) |
| guard-not-exported | a guard function (`guard=g`) the entry's star import does not bind: every call of the guarded method fails |
| dynamic-all | `__all__` that is not one literal list/tuple of strings (Kybra's scope cannot be checked) |
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from localnet.kybra_source.bundle import SourceBundle
from localnet.kybra_source.findings import Finding


def _literal_all(tree: ast.Module) -> Tuple[Optional[List[str]], Optional[ast.stmt]]:
    """(names, None) for a literal `__all__`, (None, stmt) for a dynamic one, (None, None)
    for none. Any later `__all__ +=`/`.append` makes it dynamic."""
    names: Optional[List[str]] = None
    for st in tree.body:
        targets = (
            st.targets
            if isinstance(st, ast.Assign)
            else [st.target]
            if isinstance(st, (ast.AnnAssign, ast.AugAssign))
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            if (
                isinstance(st, ast.Expr)
                and isinstance(st.value, ast.Call)
                and isinstance(st.value.func, ast.Attribute)
                and isinstance(st.value.func.value, ast.Name)
                and st.value.func.value.id == "__all__"
            ):
                return None, st
            continue
        value = getattr(st, "value", None)
        if (
            isinstance(st, ast.AugAssign)
            or not isinstance(value, (ast.List, ast.Tuple))
            or not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts)
        ):
            return None, st
        names = [e.value for e in value.elts]
    return names, None


def _bound_names(tree: ast.Module, resolve, seen: Set[str]) -> Set[str]:
    """Top-level names a module binds (what `vars(module)` holds after it runs)."""
    out: Set[str] = set()

    def targets(t):
        if isinstance(t, ast.Name):
            out.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)
        elif isinstance(t, ast.Starred):
            targets(t.value)

    def walk(body):
        for st in body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(st.name)
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    targets(t)
            elif isinstance(st, (ast.AnnAssign, ast.AugAssign)) and (
                not isinstance(st, ast.AnnAssign) or st.value is not None
            ):
                targets(st.target)
            elif isinstance(st, ast.Import):
                for a in st.names:
                    out.add(a.asname or a.name.split(".")[0])
            elif isinstance(st, ast.ImportFrom):
                for a in st.names:
                    if a.name == "*":
                        out.update(star_names(resolve(st), resolve, seen))
                    else:
                        out.add(a.asname or a.name)
            elif isinstance(st, (ast.If, ast.Try, ast.For, ast.While, ast.With)):
                for part in ("body", "orelse", "finalbody"):
                    walk(getattr(st, part, []) or [])
                for h in getattr(st, "handlers", []) or []:
                    walk(h.body)

    walk(tree.body)
    return out


def star_names(target: Optional[Tuple[str, ast.Module]], resolve, seen: Set[str]) -> Set[str]:
    """The names `from <target> import *` binds; an unknown module (stdlib, kybra) counts as
    binding nothing the canister's methods or guards could be."""
    if target is None:
        return set()
    name, tree = target
    if name in seen:
        return set()
    seen = seen | {name}
    listed, dynamic = _literal_all(tree)
    if listed is not None:
        return set(listed)
    if dynamic is not None:
        return set()
    return {n for n in _bound_names(tree, resolve, seen) if not n.startswith("_")}


def _resolver(bundle: SourceBundle, trees: Dict[str, ast.Module]):
    def resolve(st: ast.ImportFrom) -> Optional[Tuple[str, ast.Module]]:
        if st.level:
            return None if st.module is None else _relative(bundle, trees, st)
        tree = trees.get(st.module or "")
        return (st.module, tree) if tree is not None else None

    return resolve


def _relative(bundle, trees, st):
    for name in trees:  # relative star imports: match by the module's final name
        if name == st.module or name.endswith("." + st.module):
            return name, trees[name]
    return None


def entry_scope(bundle: SourceBundle, trees: Dict[str, ast.Module]) -> Set[str]:
    """The names Kybra's `from <entry> import *` binds."""
    resolve = _resolver(bundle, trees)
    return star_names((bundle.entry, trees[bundle.entry]), resolve, set())


def export_findings(bundle: SourceBundle, trees: Dict[str, ast.Module], methods, guards: Set[str]) -> List[Finding]:
    """method-not-exported / guard-not-exported / dynamic-all for one canister. `methods` are
    the analyzer's MethodSig values, `trees` the project modules' ASTs by module name."""
    out: List[Finding] = []
    if bundle.entry not in trees:
        return out
    for name, tree in trees.items():
        _, dynamic = _literal_all(tree)
        if dynamic is not None:
            out.append(
                Finding(
                    bundle.path_of(name),
                    dynamic.lineno,
                    "dynamic-all",
                    "write `__all__` as one literal list of strings: Kybra "
                    "exports exactly what `from main import *` binds",
                )
            )
    scope = entry_scope(bundle, trees)
    listed, _ = _literal_all(trees[bundle.entry])
    why = " (it is not in the entry's `__all__`)" if listed is not None else ""
    for m in methods:
        if m.name not in scope and not m.name.startswith("_"):
            imp = "" if why or m.module == bundle.entry else f" (`from {m.module} import {m.name}`)"
            out.append(
                Finding(
                    bundle.path_of(m.module),
                    m.line,
                    "method-not-exported",
                    f"canister method `{m.name}` is not bound by `from "
                    f"{bundle.entry} import *`, where Kybra looks it up{why}"
                    f"{imp}",
                )
            )
    used = {}
    for m in methods:
        if m.guard is not None and m.guard in guards:
            used.setdefault(m.guard, m)
    for g, m in sorted(used.items()):
        if g not in scope:
            hint = (
                "it starts with `_`"
                if g.startswith("_")
                else "it is not in the entry's `__all__`"
                if listed is not None
                else "import it into the entry module"
            )
            out.append(
                Finding(
                    bundle.path_of(m.module),
                    m.line,
                    "guard-not-exported",
                    f"guard `{g}` of `{m.name}` is not bound by `from "
                    f"{bundle.entry} import *` ({hint}): Kybra looks guards up "
                    "there, so every call of the method would fail",
                )
            )
    return out
