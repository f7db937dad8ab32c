"""The site-packages modules a canister's bundle reaches: kybra_generate parses them too.

Kybra's bundler (kybra 0.7.1 `__main__.py` `bundle_python_code`, l.190-256) runs modulegraph
with the search path [sys.path entries under the project, the entry's directory,
`site.getsitepackages()`] and hands *every* `.py` file of the graph to kybra_generate,
which parses each one (py_ast/py_ast.rs l.17-24) and fails the build on the first that its
2022 parser cannot read. The standard library is not on that path (RustPython's frozen
`Lib` provides it), and `kybra` itself is written for that parser; everything else a
project imports from site-packages, and whatever that imports in turn, must parse.

The lint reports their syntax problems at the third-party file (rules `syntax`, and those
of `localnet.kybra_source.syntax`).
"""

from __future__ import annotations

import ast
import importlib.machinery
import site
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from localnet.kybra_source.bundle import BundleError, SourceBundle, imported_names, parse_module
from localnet.kybra_source.findings import Finding
from localnet.kybra_source.syntax import syntax_findings

SKIP_TOP_LEVEL = frozenset({"kybra", "__future__"})


def site_dirs() -> List[str]:
    """Where Kybra's bundler looks for third-party modules."""
    return list(site.getsitepackages())


def _spec(name: str, dirs: Sequence[str]):
    """The module's spec found without importing anything (parents searched first)."""
    parent, _, _ = name.rpartition(".")
    if not parent:
        return importlib.machinery.PathFinder.find_spec(name, list(dirs))
    pspec = _spec(parent, dirs)
    locs = getattr(pspec, "submodule_search_locations", None) if pspec else None
    if not locs:
        return None
    return importlib.machinery.PathFinder.find_spec(name, list(locs))


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def third_party_modules(
    bundle: SourceBundle, trees: Dict[str, ast.Module], dirs: Optional[Sequence[str]] = None
) -> List[Tuple[str, str, str]]:
    """(module name, file path, source) of every site-packages module reached from the
    bundle's modules, transitively."""
    dirs = site_dirs() if dirs is None else list(dirs)
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    found: Dict[str, Tuple[str, str]] = {}
    pending: List[Tuple[str, ast.Module, bool]] = [(m, t, m in bundle.packages) for m, t in trees.items()]
    seen = set(bundle.modules)
    project = {m.split(".")[0] for m in bundle.modules}
    while pending:
        mod, tree, is_pkg = pending.pop()
        for name, _ in imported_names(tree, mod, is_pkg):
            top = name.split(".")[0]
            if name in seen or top in stdlib or top in SKIP_TOP_LEVEL or top in project:
                continue
            seen.add(name)
            spec = _spec(name, dirs)
            origin = getattr(spec, "origin", None) if spec else None
            if not origin or not origin.endswith(".py"):
                continue
            source = _read(origin)
            if source is None:
                continue
            found[name] = (origin, source)
            try:
                sub = ast.parse(source)
            except SyntaxError:
                continue
            pending.append((name, sub, origin.endswith("__init__.py")))
    return [(n, p, s) for n, (p, s) in sorted(found.items())]


def third_party_findings(
    bundle: SourceBundle, trees: Dict[str, ast.Module], dirs: Optional[Sequence[str]] = None
) -> List[Finding]:
    out: List[Finding] = []
    for _, path, source in third_party_modules(bundle, trees, dirs):
        try:
            tree = parse_module(source, path)
        except BundleError as e:
            out.append(
                Finding(
                    path,
                    e.line,
                    "syntax",
                    f"{e.message} (a third-party module the bundle reaches: kybra_generate parses it too)",
                )
            )
            continue
        out.extend(syntax_findings(path, source, tree))
    return out
