"""Gather a canister's Python source the way `python -m kybra` does, as one portable bundle.

Kybra 0.7.1's build (`bundle_python_code` in kybra/__main__.py) runs modulegraph over the
entry file with the search path [the sys.path entries under the project root (the cwd dfx
builds from), the entry file's directory, site-packages], copies the graph's nodes into
`.kybra/<name>/python_source` (the entry and every module by file name, every package as its
whole directory) and RustPython's `py_freeze!` compiles that tree into the Wasm. The canister
has no filesystem: it imports only frozen modules, so a directory without `__init__.py` (a
namespace package to modulegraph) cannot be imported, and this bundler refuses it. The
stdlib and `kybra` are not part of the bundle: the runtime provides them.
`localnet/kybra_source/kybra_bundler.py` runs Kybra's own bundler so tests can check that
this one produces the same modules.

`to_bytes()` is deterministic (sorted JSON, gzip with mtime 0, paths relative to the project
root), so the same source always gives the same module hash.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

FORMAT = "localnet-kybra-bundle/2"
ROOT_MARKERS = ("dfx.json", "pyproject.toml")
EXCLUDED_TOP_LEVEL = frozenset({"kybra"})
STDLIB_NAMES = frozenset(sys.stdlib_module_names)
# Kybra parses with a Python 3.10 grammar (RustPython 0.2); CPython should not accept more.
PARSE_VERSION = (3, 10)


class BundleError(Exception):
    """The source cannot be bundled (missing entry, unreadable file, syntax error, bad bytes)."""

    def __init__(self, message: str, path: Optional[str] = None, line: int = 0, rule: str = "syntax"):
        self.path = path
        self.line = line
        self.message = message
        self.rule = rule  # the lint rule id a finding about this error carries
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
        raise BundleError(f"syntax error: {e.msg}", path, _newer_syntax_line(source) or e.lineno or 0) from None


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
    path: str
    is_package: bool


class _NamespacePackage(Exception):
    """An import resolved to a directory without `__init__.py`."""

    def __init__(self, name: str, directory: str):
        super().__init__(name)
        self.name, self.directory = name, directory


class _ThirdParty(Exception):
    """An import resolved to a package installed in site-packages."""


class _Resolver:
    """Finds project modules as modulegraph does for Kybra: for each name, the first search
    base holding `name/__init__.py` (a package) or `name.py` (a module); a directory without
    `__init__.py` on the way is a namespace package (PEP 420), which modulegraph accepts but
    Kybra's frozen import cannot load, so it is refused here. Submodules are looked up only in
    their package's directory. Names found nowhere in the project are left to the runtime:
    the stdlib and `kybra` (RustPython and Kybra provide them), or missing, as in Kybra's
    graph; a package installed in site-packages is refused (Kybra would freeze its source,
    localnet runs only the canister's bundle, the stdlib and kybra)."""

    def __init__(self, bases: List[str]):
        self.bases = bases
        self.found: Dict[str, Optional[_Located]] = {}

    def find(self, name: str) -> Optional[_Located]:
        if name not in self.found:
            self.found[name] = self._find(name)
        return self.found[name]

    def _find(self, name: str) -> Optional[_Located]:
        parts = name.split(".")
        if not name or parts[0] in EXCLUDED_TOP_LEVEL:
            return None
        if len(parts) == 1:
            dirs = self.bases
        else:
            parent = self.find(".".join(parts[:-1]))
            if parent is None or not parent.is_package:
                return None
            dirs = [os.path.dirname(parent.path)]
        portion = None
        for d in dirs:
            last = os.path.join(d, parts[-1])
            if os.path.isdir(last) and os.path.isfile(os.path.join(last, "__init__.py")):
                return _Located(name, os.path.join(last, "__init__.py"), True)
            if os.path.isfile(last + ".py"):
                return _Located(name, last + ".py", False)
            if os.path.isdir(last) and portion is None:
                portion = last
        if portion is not None:
            raise _NamespacePackage(name, portion)
        if len(parts) == 1 and name not in STDLIB_NAMES and _installed_package(name):
            raise _ThirdParty(name)
        return None


def _installed_package(name: str) -> bool:
    """Whether a top-level name is importable from the host's site-packages."""
    import importlib.machinery
    import site

    dirs = [d for d in [*site.getsitepackages(), site.getusersitepackages()] if os.path.isdir(d)]
    return importlib.machinery.PathFinder.find_spec(name, dirs) is not None


def _tree_names(package: str, directory: str) -> Iterable[Tuple[str, str]]:
    """(module name, file) of every .py file under a package directory, named as RustPython's
    py_freeze names them (derive-impl/src/compile_bytecode.rs `compile_dir`: every directory
    recursively, `__init__.py` named after its directory), whether or not it is importable."""
    for d, dirs, files in os.walk(directory):
        dirs.sort()
        rel = os.path.relpath(d, directory)
        parent = package if rel == "." else package + "." + rel.replace(os.sep, ".")
        for f in sorted(files):
            if f.endswith(".py"):
                stem = f[:-3]
                yield (parent if stem == "__init__" else f"{parent}.{stem}"), os.path.join(d, f)


def importable(frozen: Dict[str, str]) -> Dict[str, str]:
    """The frozen modules an import can load: a dotted name needs every enclosing package to
    be frozen from an `__init__.py` (no filesystem, so no namespace packages)."""
    packages = {n for n, p in frozen.items() if p.endswith("__init__.py")}

    def reachable(name: str) -> bool:
        parts = name.split(".")
        return all(".".join(parts[:i]) in packages for i in range(1, len(parts)))

    return {n: p for n, p in frozen.items() if n and reachable(n)}


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
    """What Kybra's build makes of a canister's source, as two views of one set of files.

    `modules` ({module name: source}) are the project modules of modulegraph's graph: the
    entry and every project module and package it reaches, i.e. the files kybra_generate
    parses (`py_file_names`); `packages` are those that are packages, `paths` their files.
    `frozen` ({module name: file}) is what the canister can import at run time: the project
    part of the `python_source` tree `bundle_python_code` writes (kybra/__main__.py) as
    RustPython's py_freeze names it, keeping only names whose enclosing packages are frozen
    too. That tree holds the entry as `<stem>.py`, every reached module again under its file
    name (`src/common/ids.py` is also the top-level `ids`), and every reached package's whole
    directory (so `src` brings all of `src/`, reached or not). `files` maps each file (relative
    to the project root) to its source.
    """

    entry: str
    modules: Dict[str, str]
    packages: FrozenSet[str] = frozenset()
    paths: Dict[str, str] = field(default_factory=dict)  # module -> path relative to root
    root: Optional[str] = field(default=None, compare=False)
    frozen: Dict[str, str] = field(default_factory=dict)  # importable module -> path
    files: Dict[str, str] = field(default_factory=dict)  # path -> source

    @classmethod
    def from_entry(cls, entry_path: str, project_root: Optional[str] = None) -> "SourceBundle":
        entry_path = os.path.abspath(entry_path)
        if not os.path.isfile(entry_path) or not entry_path.endswith(".py"):
            raise BundleError(f"entry {entry_path} is not a .py file")
        entry_dir = os.path.dirname(entry_path)
        root = os.path.abspath(project_root) if project_root else find_project_root(entry_dir)
        resolver = _Resolver(list(dict.fromkeys([root, entry_dir])))
        entry = os.path.splitext(os.path.basename(entry_path))[0]

        def rel(path: str) -> str:
            return os.path.relpath(path, root).replace(os.sep, "/")

        reached: List[_Located] = []
        queue: List[_Located] = [_Located(entry, entry_path, False)]
        seen = {entry}
        while queue:
            loc = queue.pop(0)
            reached.append(loc)
            tree = parse_module(_read(loc.path), rel(loc.path))
            is_entry = loc.path == entry_path and loc.name == entry
            for name, line in imported_names(tree, loc.name, loc.is_package and not is_entry):
                if name in seen:
                    continue
                try:
                    found = resolver.find(name)
                except _NamespacePackage as e:
                    raise BundleError(
                        f"`{e.name}` is the directory {rel(e.directory)}/ without __init__.py: "
                        "Kybra's bundler takes it as a namespace package, py_freeze freezes no "
                        f"module `{e.name}`, and the import fails in the canister; add "
                        f"{rel(e.directory)}/__init__.py",
                        rel(loc.path),
                        line,
                        rule="namespace-package",
                    ) from None
                except _ThirdParty:
                    raise BundleError(
                        f"`{name}` is an installed third-party package: Kybra would freeze "
                        "its source from site-packages; localnet runs only the canister's "
                        "own modules, the standard library and kybra",
                        rel(loc.path),
                        line,
                        rule="third-party-import",
                    ) from None
                if found is not None:
                    seen.add(name)
                    queue.append(found)
        frozen: Dict[str, str] = {}
        for loc in reached:  # as bundle_python_code copies graph nodes into python_source
            if loc.is_package:
                for name, path in _tree_names(loc.name, os.path.dirname(loc.path)):
                    frozen.setdefault(name, path)
            else:  # the Script and every SourceModule, copied by file name
                frozen.setdefault(os.path.splitext(os.path.basename(loc.path))[0], loc.path)
        frozen = importable({n: rel(p) for n, p in frozen.items()})
        files = {p: _read(os.path.join(root, p)) for p in sorted(set(frozen.values()))}
        paths = {loc.name: rel(loc.path) for loc in reached}
        return cls(
            entry=entry,
            modules={n: files[p] for n, p in sorted(paths.items())},
            packages=frozenset(loc.name for loc in reached if loc.is_package),
            paths=dict(sorted(paths.items())),
            root=root,
            frozen=dict(sorted(frozen.items())),
            files=files,
        )

    def path_of(self, module: str) -> str:
        """The file a module came from (relative to the project root), for messages."""
        return self.paths.get(module) or self.frozen.get(module) or (module.replace(".", "/") + ".py")

    @property
    def frozen_packages(self) -> FrozenSet[str]:
        return frozenset(n for n, p in self.frozen.items() if p.endswith("__init__.py"))

    def frozen_sources(self) -> Dict[str, str]:
        """{module name: source} of every module the canister can import."""
        return {n: self.files[p] for n, p in self.frozen.items()}

    def to_bytes(self) -> bytes:
        doc = {"format": FORMAT, "entry": self.entry, "files": self.files, "modules": self.paths, "frozen": self.frozen}
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return gzip.compress(data.encode("utf-8"), mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> "SourceBundle":
        try:
            doc = json.loads(gzip.decompress(data).decode("utf-8"))
        except (OSError, EOFError, ValueError, UnicodeDecodeError) as e:
            raise BundleError(f"not a source bundle: {e}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise BundleError(
                f"not a source bundle: format is not {FORMAT} (a module built by another localnet version: rebuild it)"
            )
        entry, files = doc.get("entry"), doc.get("files")
        paths, frozen = doc.get("modules"), doc.get("frozen")
        if not (isinstance(files, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
            raise BundleError("bad source bundle: files must map paths to source text")
        for what, names in (("modules", paths), ("frozen", frozen)):
            if not (
                isinstance(names, dict)
                and all(isinstance(k, str) and isinstance(v, str) and v in files for k, v in names.items())
            ):
                raise BundleError(f"bad source bundle: {what} must map names to bundled files")
        if not isinstance(entry, str) or entry not in paths or frozen.get(entry) != paths[entry]:
            raise BundleError("bad source bundle: entry module missing")
        if importable(frozen) != frozen:
            raise BundleError(
                "bad source bundle: a frozen module outside a frozen package (namespace packages cannot be imported)"
            )
        packages = frozenset(n for n, p in paths.items() if n != entry and p.endswith("__init__.py"))
        return cls(
            entry=entry,
            modules={n: files[p] for n, p in paths.items()},
            packages=packages,
            paths=paths,
            frozen=frozen,
            files=files,
        )

    def parsed(self) -> Iterable[Tuple[str, ast.Module]]:
        """(module name, AST) for every reached module, entry first."""
        order = [self.entry] + [m for m in self.modules if m != self.entry]
        for name in order:
            yield name, parse_module(self.modules[name], self.path_of(name))
