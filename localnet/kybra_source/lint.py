"""Lint canister source for what Kybra 0.7.1 rejects at build time or breaks at run time.

Run at install time (via `lint_bundle`) and from `localnet lint PATH...` (`main`). A finding
prints as `path:line: rule: message`. Rule ids are stable; the source of each rule is the
kybra_generate Rust (kybra 0.7.1 `compiler/kybra_generate/src/`) or `shared/KYBRA.md`.

Rejected by kybra_generate (reported by `analyze.py`):
| rule | what |
| --- | --- |
| syntax | the module does not parse with the Python 3.10 grammar Kybra's parser accepts (e.g. `except*`) |
| unsupported-type | `float`, `bytes`, `list`, `dict`, `Optional`, `Any`, `None`, `kybra.nat`... as a type |
| invalid-subscriptable | subscripts other than Vec/Opt/Tuple/Async/Manual (`list[int]`, `Optional[T]`) |
| unknown-type | a type name that is neither a Kybra type nor defined in the canister's modules |
| record-member | a Record/Variant body line that is not `name: type` (docstring, method, `pass`, default) |
| service-member | a Service body with something other than methods, or with no methods |
| service-decorator | a Service method without exactly one `@service_query`/`@service_update` |
| self-param | a canister method taking `self`, or a Service method not taking `self` first |
| param-kind | `*args`, `**kwargs`, keyword-only or positional-only parameters |
| too-many-params | more than 5 parameters (Service methods: 5 besides `self`) |
| missing-annotation | a parameter or return type without annotation |
| init-return-void | `@init`/`@post_upgrade` not annotated `-> void` |
| multiple-system-methods | two `@init` (or post_upgrade, pre_upgrade, heartbeat, inspect_message) |
| duplicate-method | two canister methods with the same name |
| guard-reference | `guard=` that is not a plain function name |
| guard-params | a guard function (returning GuardResult) with parameters |
| unknown-guard | `guard=g` where g is not a top-level function returning GuardResult |
| func-format | `Func(...)` not of the form `Func(Query|Update|Oneway[[params], ret])` |
| module-assignment | a module-level assignment not binding exactly one plain name |
| duplicate-type-name | two type classes/aliases with the same name across modules |
| recursive-alias | an `Alias` that refers to itself without a Record/Variant in between |
| stable-map-format | `StableBTreeMap` not subscripted with exactly `[Key, Value]` |
| stable-map-memory-id | memory_id missing, not an int literal, outside 0..254, or reused |
| stable-map-size | max_key_size/max_value_size missing, not an int literal, or outside u32 |

Accepted by kybra_generate but broken under Kybra (checked here):
| rule | what |
| --- | --- |
| async-method | `async def` canister methods (silently not exported) |
| qualified-decorator | `@kybra.query` etc. (decorators are matched by bare name: not exported) |
| private-method | canister method names starting with `_` (not importable by `from main import *`) |
| method-not-exported | a method defined in another module but not imported into the entry module |
| variant-total | a Variant class without `total=False` |
| qualified-type-base | `class X(kybra.Record)` (type classes are matched by bare base name) |
| aliased-kybra-import | `from kybra import Record as R` (Kybra matches the original names) |
| namespace-package | an import reaches a directory without `__init__.py` (frozen imports cannot load it; bundle.py) |
| third-party-import | an import of a package installed in site-packages (localnet runs only the bundle, stdlib and kybra; bundle.py) |
| module-basename-clash | two bundled modules with the same file name (Kybra flattens by basename) |
| reserved-module-name | a module named like a stdlib or kybra module (`types.py`, `principal.py`) |
| broken-stdlib-import | pathlib, asyncio, sqlite3, zoneinfo, socket, threading, subprocess, email.*, http.* |
| dict-unpacking | `{**d}` in a dict display (RustPython bug #4932) |
| print-call | plain `print(...)`: use `ic.print` |

More rules, each documented in its own module: the 2022 parser's missing syntax
(`syntax.py`: match-statement, parenthesized-with, starred-subscript, walrus-position,
fstring-syntax), in project and third-party modules alike (`third_party.py`); what Kybra's
`from main import *` exports (`exports.py`: method-not-exported, guard-not-exported,
dynamic-all); type names the generated Rust cannot take (`rust_names.py`: rust-name-clash).
Checked by `lint_paths` only (they need the project's files): the committed stable-map layouts
(`layouts.py`: stable-layout-changed/-removed/-unrecorded).
"""

from __future__ import annotations

import ast
import os
import sys
from typing import Dict, Iterable, List, Optional, Sequence, Set

from localnet.kybra_source.analyze import METHOD_KINDS, analyze_with_findings, method_kinds, name_of, parsed_modules
from localnet.kybra_source.bundle import BundleError, SourceBundle, find_project_root
from localnet.kybra_source.exports import export_findings
from localnet.kybra_source.findings import Finding
from localnet.kybra_source.layouts import layout_findings
from localnet.kybra_source.rust_names import rust_name_findings
from localnet.kybra_source.syntax import syntax_findings
from localnet.kybra_source.third_party import third_party_findings

BROKEN_STDLIB = {"pathlib", "asyncio", "sqlite3", "zoneinfo", "socket", "threading", "subprocess"}
BROKEN_STDLIB_PACKAGES = {"email", "http"}  # their submodules are broken
# Names Kybra copies into the frozen module root: its package, compiler/custom_modules, and
# (bundle_python_code copies every reached module by file name) kybra.canisters.management's
# modules (`http` is a stdlib name already).
KYBRA_MODULE_NAMES = {"kybra", "principal", "basic", "bitcoin", "tecdsa"}
# Names kybra_generate matches by spelling, so importing them under another name breaks them.
KYBRA_MATCHED_NAMES = {
    "Record",
    "Variant",
    "Service",
    "Alias",
    "Tuple",
    "Vec",
    "Opt",
    "Func",
    "Query",
    "Update",
    "Oneway",
    "Async",
    "Manual",
    "StableBTreeMap",
    "GuardResult",
    "service_query",
    "service_update",
    *METHOD_KINDS,
    "blob",
    "empty",
    "float64",
    "float32",
    "int64",
    "int32",
    "int16",
    "int8",
    "nat",
    "nat64",
    "nat32",
    "nat16",
    "nat8",
    "null",
    "Principal",
    "reserved",
    "text",
    "void",
}
SKIP_DIRS = {".venv", "venv", "node_modules", "__pycache__", ".git", ".kybra", ".dfx"}


def _stdlib_names() -> Set[str]:
    return set(getattr(sys, "stdlib_module_names", ())) - {"__main__"}


class _ModuleLint(ast.NodeVisitor):
    """Per-module rules that need only the module's own AST."""

    def __init__(self, path: str, out: List[Finding]):
        self.path, self.out = path, out

    def add(self, node, rule: str, message: str) -> None:
        self.out.append(Finding(self.path, getattr(node, "lineno", 1), rule, message))

    def top_level(self, tree: ast.Module) -> None:
        for st in tree.body:
            if isinstance(st, ast.AsyncFunctionDef) and any(
                name_of(d.func if isinstance(d, ast.Call) else d) in METHOD_KINDS for d in st.decorator_list
            ):
                self.add(
                    st,
                    "async-method",
                    f"`async def {st.name}` is not exported by Kybra: use `def` returning Async[T] and `yield`",
                )
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in st.decorator_list:
                    target = d.func if isinstance(d, ast.Call) else d
                    if isinstance(target, ast.Attribute) and target.attr in METHOD_KINDS:
                        self.add(
                            d,
                            "qualified-decorator",
                            f"`@{ast.unparse(target)}` is not seen by Kybra: import and use the bare `@{target.attr}`",
                        )
                if method_kinds(st) and st.name.startswith("_"):
                    self.add(st, "private-method", f"canister method `{st.name}` starts with `_` and is not exported")
            if isinstance(st, ast.ClassDef):
                self.type_class(st)

    def type_class(self, cls: ast.ClassDef) -> None:
        for b in cls.bases:
            if isinstance(b, ast.Attribute) and b.attr in ("Record", "Variant", "Service"):
                self.add(
                    cls,
                    "qualified-type-base",
                    f"`{ast.unparse(b)}` is not seen by Kybra: import {b.attr} and write `class {cls.name}({b.attr})`",
                )
        if "Variant" in [name_of(b) for b in cls.bases]:
            total = next((k.value for k in cls.keywords if k.arg == "total"), None)
            if not (isinstance(total, ast.Constant) and total.value is False):
                self.add(
                    cls,
                    "variant-total",
                    f"write `class {cls.name}(Variant, total=False)`: a variant value has exactly one of the keys",
                )

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.stdlib(node, a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.stdlib(node, node.module)
            if node.module.split(".")[0] in BROKEN_STDLIB_PACKAGES and "." not in node.module:
                for a in node.names:
                    if a.name[:1].islower():
                        self.stdlib(node, f"{node.module}.{a.name}")
            if node.module.split(".")[0] == "kybra":
                for a in node.names:
                    if a.asname and a.asname != a.name and a.name in KYBRA_MATCHED_NAMES:
                        self.add(
                            node,
                            "aliased-kybra-import",
                            f"`{a.name} as {a.asname}`: Kybra recognises `{a.name}` only by that name",
                        )

    def stdlib(self, node, module: str) -> None:
        parts = module.split(".")
        if parts[0] in BROKEN_STDLIB or (parts[0] in BROKEN_STDLIB_PACKAGES and len(parts) > 1):
            self.add(node, "broken-stdlib-import", f"`{module}` does not work under Kybra's RustPython")

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(k is None for k in node.keys):
            self.add(
                node,
                "dict-unpacking",
                "`{**d}` is broken in Kybra's RustPython (bug #4932): copy the dict and assign keys",
            )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            self.add(node, "print-call", "use `ic.print(...)`: print output is lost in a canister")
        self.generic_visit(node)


def _bundle_rules(bundle: SourceBundle, out: List[Finding]) -> None:
    """Rules about the set of modules: basenames and methods reachable from the entry."""
    stdlib = _stdlib_names()
    by_base: Dict[str, str] = {}
    for name in sorted(bundle.modules):
        path = bundle.path_of(name)
        base = name.split(".")[0] if name in bundle.packages else name.rpartition(".")[2]
        if base in stdlib or base in KYBRA_MODULE_NAMES:
            out.append(
                Finding(
                    path,
                    1,
                    "reserved-module-name",
                    f"module `{base}` shadows the "
                    f"{'kybra' if base in KYBRA_MODULE_NAMES else 'standard library'} "
                    "module of that name once Kybra flattens modules: rename it",
                )
            )
        if name in bundle.packages:
            continue
        if base in by_base:
            out.append(
                Finding(
                    path,
                    1,
                    "module-basename-clash",
                    f"`{name}` and "
                    f"`{by_base[base]}` are both `{base}.py`; Kybra flattens modules "
                    "by file name: rename one",
                )
            )
        else:
            by_base[base] = name


def lint_bundle(bundle: SourceBundle) -> List[Finding]:
    """Every finding for one canister (its entry and the project modules it imports)."""
    iface, out = analyze_with_findings(bundle)
    out = list(out)
    trees: Dict[str, ast.Module] = {}
    for mod in parsed_modules(bundle, []):
        if not mod.is_project:
            continue
        trees[mod.name] = mod.tree
        v = _ModuleLint(mod.path, out)
        v.top_level(mod.tree)
        v.visit(mod.tree)
        out.extend(syntax_findings(mod.path, bundle.modules[mod.name], mod.tree))
    _bundle_rules(bundle, out)
    out.extend(export_findings(bundle, trees, iface.methods.values(), iface.guards))
    out.extend(rust_name_findings((bundle.path_of(n), t) for n, t in trees.items()))
    out.extend(third_party_findings(bundle, trees))
    return sorted(set(out))


def _entries(path: str) -> List[str]:
    if os.path.isfile(path):
        return [path]
    mains: List[str] = []
    others: List[str] = []
    for d, dirs, files in os.walk(path):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS and not x.startswith("."))
        for f in sorted(files):
            if f.endswith(".py"):
                (mains if f == "main.py" else others).append(os.path.join(d, f))
    return mains or others


canister_entries_under = _entries


def _display(root: Optional[str], path: str) -> str:
    full = os.path.join(root, path) if root and not os.path.isabs(path) else path
    rel = os.path.relpath(full)
    return full if rel.startswith("..") else rel


def lint_paths(paths: Iterable[str]) -> List[Finding]:
    """Lint canister entries: a file is an entry; in a directory every `main.py` is one (or,
    without any, every .py file). Paths in findings are relative to the current directory.
    Raises FileNotFoundError for a path that does not exist."""
    out: Set[Finding] = set()
    paths = list(paths)
    for p in paths:
        if not os.path.exists(p):
            raise FileNotFoundError(f"no such file or directory: {p}")
    for p in paths:
        for entry in _entries(p):
            try:
                bundle = SourceBundle.from_entry(entry)
            except BundleError as e:
                out.add(Finding(_bundle_error_path(entry, e), e.line, e.rule, e.message))
                continue
            for f in [*lint_bundle(bundle), *layout_findings(bundle)]:
                out.add(Finding(_display(bundle.root, f.path), f.line, f.rule, f.message))
    return sorted(out)


def _bundle_error_path(entry: str, e: BundleError) -> str:
    if not e.path:
        return _display(None, os.path.abspath(entry))
    if os.path.isabs(e.path):
        return _display(None, e.path)
    return _display(find_project_root(os.path.dirname(os.path.abspath(entry))), e.path)


def main(argv: Optional[Sequence[str]] = None, output: str = "text") -> int:
    """`localnet lint PATH...`: print findings (one a line, or with `output` "json" one JSON
    list of {path, line, rule, message}); exit 1 if any, 0 if clean, 2 on usage error."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print("usage: localnet lint PATH...  (files are canister entries; directories are searched for main.py)")
        return 0
    if not args:
        if not os.path.isdir("src"):
            print("localnet lint: give the canister entry files or directories to check", file=sys.stderr)
            return 2
        args = ["src"]
    try:
        findings = lint_paths(args)
    except FileNotFoundError as e:
        print(f"localnet lint: {e}", file=sys.stderr)
        return 2
    if output == "json":
        import dataclasses
        import json

        print(json.dumps([dataclasses.asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            print(f)
    print(f"{len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
