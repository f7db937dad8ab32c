"""Gather a canister's Python source the way `python -m kybra` does, as one portable bundle.

Kybra's bundler (kybra/__main__.py) runs modulegraph over the entry file with the search path
[project root (the cwd dfx builds from), the entry file's directory, site-packages] and freezes
every project module it reaches. So an entry `src/shop/main.py` can import `helpers` (next to
it) and `src.common.validation` (from the root). Modules outside the project (stdlib, `kybra`,
site-packages) are not part of the bundle: the runtime provides them.

A bundle maps module names (as imported) to source text. `to_bytes()` is deterministic
(sorted JSON, gzip with mtime 0), so the same source always gives the same module hash.
"""
from __future__ import annotations

import ast
import gzip
import json
import os
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

FORMAT = "localnet-kybra-bundle/1"
ROOT_MARKERS = ("dfx.json", "pyproject.toml")
EXCLUDED_TOP_LEVEL = frozenset({"kybra"})
# Kybra parses with a Python 3.10 grammar (RustPython 0.2); CPython should not accept more.
PARSE_VERSION = (3, 10)


class BundleError(Exception):
    """The source cannot be bundled (missing entry, unreadable file, syntax error, bad bytes)."""

    def __init__(self, message: str, path: Optional[str] = None, line: int = 0):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}" if path else message)


def find_project_root(start: str) -> str:
    """Nearest ancestor of `start` (a directory) holding dfx.json or pyproject.toml."""
    d = os.path.abspath(start)
    while True:
        if any(os.path.isfile(os.path.join(d, m)) for m in ROOT_MARKERS):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return os.path.abspath(start)
        d = parent


def parse_module(source: str, path: str) -> ast.Module:
    """Parse with the 3.10 grammar Kybra's parser accepts; a SyntaxError becomes a BundleError."""
    try:
        return ast.parse(source, filename=path, feature_version=PARSE_VERSION)
    except SyntaxError as e:
        raise BundleError(f"syntax error: {e.msg}", path, _newer_syntax_line(source) or
                          e.lineno or 0) from None


def _newer_syntax_line(source: str) -> int:
    """CPython blames a whole `try` block for `except*`; point at the handler instead."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    for node in ast.walk(tree):
        if type(node).__name__ == "TryStar" and node.handlers:
            return node.handlers[0].lineno
    return 0


def _read(path: str) -> str:
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise BundleError(f"cannot read source: {e}", path) from None


@dataclass(frozen=True)
class _Located:
    name: str
    path: Optional[str]  # None for a namespace package (a directory without __init__.py)
    is_package: bool


class _Resolver:
    """Finds project modules under the search bases, as modulegraph does for Kybra."""

    def __init__(self, bases: List[str]):
        self.bases = bases

    def find(self, name: str) -> Optional[_Located]:
        if not name or name.split(".")[0] in EXCLUDED_TOP_LEVEL:
            return None
        for base in self.bases:
            found = self._find_in(base, name.split("."))
            if found is not None:
                return _Located(name, *found)
        return None

    @staticmethod
    def _find_in(base: str, parts: List[str]) -> Optional[Tuple[Optional[str], bool]]:
        d = base
        for part in parts[:-1]:
            d = os.path.join(d, part)
            if not os.path.isdir(d):
                return None
        last = os.path.join(d, parts[-1])
        if os.path.isfile(os.path.join(last, "__init__.py")):
            return os.path.join(last, "__init__.py"), True
        if os.path.isfile(last + ".py"):
            return last + ".py", False
        if os.path.isdir(last) and (len(parts) > 1 or _holds_python(last)):
            return None, True  # a namespace package (PEP 420), as modulegraph accepts
        return None


def _holds_python(d: str) -> bool:
    """A top-level directory counts as a namespace package only if it holds Python code
    (so a stray `docs/` or `json/` folder in the root does not shadow anything)."""
    for _, _, files in os.walk(d):
        if any(f.endswith(".py") for f in files):
            return True
    return False


def imported_names(tree: ast.Module, module: str, is_package: bool) -> List[Tuple[str, int]]:
    """Every module name an import in `tree` may load (with its line), parents included."""
    out: List[Tuple[str, int]] = []

    def add(name: str, line: int):
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            out.append((".".join(parts[:i]), line))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    pkg = pkg.rpartition(".")[0]
                base = ".".join(p for p in (pkg, node.module or "") if p)
            else:
                base = node.module or ""
            if base:
                add(base, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    out.append((f"{base}.{alias.name}" if base else alias.name, node.lineno))
    return out


@dataclass(frozen=True)
class SourceBundle:
    """The entry module plus every project module it imports, as {module name: source}."""

    entry: str
    modules: Dict[str, str]
    packages: FrozenSet[str] = frozenset()
    paths: Dict[str, str] = field(default_factory=dict)  # module -> path relative to root
    root: Optional[str] = field(default=None, compare=False)

    @classmethod
    def from_entry(cls, entry_path: str, project_root: Optional[str] = None) -> "SourceBundle":
        entry_path = os.path.abspath(entry_path)
        if not os.path.isfile(entry_path) or not entry_path.endswith(".py"):
            raise BundleError(f"entry {entry_path} is not a .py file")
        entry_dir = os.path.dirname(entry_path)
        root = os.path.abspath(project_root) if project_root else find_project_root(entry_dir)
        resolver = _Resolver(list(dict.fromkeys([root, entry_dir])))
        entry = os.path.splitext(os.path.basename(entry_path))[0]
        modules: Dict[str, str] = {}
        packages = set()
        paths: Dict[str, str] = {}
        queue: List[_Located] = [_Located(entry, entry_path, False)]
        seen = {entry}
        while queue:
            loc = queue.pop(0)
            rel = os.path.relpath(loc.path, root) if loc.path else None
            source = _read(loc.path) if loc.path else ""
            modules[loc.name] = source
            if loc.is_package:
                packages.add(loc.name)
            if rel:
                paths[loc.name] = rel.replace(os.sep, "/")
            if not loc.path:
                continue
            tree = parse_module(source, rel or loc.path)
            for name, _line in imported_names(tree, loc.name, loc.is_package):
                if name in seen:
                    continue
                found = resolver.find(name)
                if found is not None:
                    seen.add(name)
                    queue.append(found)
        return cls(entry=entry, modules=dict(sorted(modules.items())),
                   packages=frozenset(packages), paths=dict(sorted(paths.items())), root=root)

    def path_of(self, module: str) -> str:
        """The file a module came from (relative to the project root), for messages."""
        return self.paths.get(module, module.replace(".", "/") + ".py")

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT, "entry": self.entry, "modules": self.modules,
               "packages": sorted(self.packages), "paths": self.paths}
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return gzip.compress(data.encode("utf-8"), mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SourceBundle":
        try:
            doc = json.loads(gzip.decompress(data).decode("utf-8"))
        except (OSError, EOFError, ValueError, UnicodeDecodeError) as e:
            raise BundleError(f"not a source bundle: {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise BundleError(f"not a source bundle: format is not {FORMAT}")
        modules, entry = doc.get("modules"), doc.get("entry")
        packages, paths = doc.get("packages", []), doc.get("paths", {})
        if not (isinstance(modules, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in modules.items())):
            raise BundleError("bad source bundle: modules must map names to source text")
        if not isinstance(entry, str) or entry not in modules:
            raise BundleError("bad source bundle: entry module missing")
        if not (isinstance(packages, list) and all(isinstance(p, str) for p in packages)):
            raise BundleError("bad source bundle: packages must be a list of names")
        if not (isinstance(paths, dict) and all(isinstance(v, str) for v in paths.values())):
            raise BundleError("bad source bundle: paths must map names to paths")
        return cls(entry=entry, modules=modules, packages=frozenset(packages), paths=paths)

    def parsed(self) -> Iterable[Tuple[str, ast.Module]]:
        """(module name, AST) for every module with source, entry first."""
        order = [self.entry] + [m for m in self.modules if m != self.entry]
        for name in order:
            if self.modules[name] or name not in self.packages:
                yield name, parse_module(self.modules[name], self.path_of(name))
