"""Kybra 0.7.1's own bundler, run on a canister, to check localnet's bundle against it.

Kybra's build needs Python 3.10 (kybra/__main__.py uses `list[str]` annotations in
signatures and modulegraph 0.19.3's `imp`), so this module keeps a venv of an existing
Python 3.10 with `kybra==0.7.1` in the project (`.venv-kybra310`, gitignored) and runs
`kybra_driver.py` there, which calls the wheel's own `bundle_python_code` unchanged. The
result, `KybraTree`, is the `python_source` tree Kybra would freeze: `frozen` names every
module in it as RustPython's py_freeze does and `origins` says which source file each came
from, so `project_frozen()` can be compared with `SourceBundle.frozen` and
`project_reached()` with `SourceBundle.paths`.

    python -m localnet.kybra_source.kybra_bundler --setup   # create the venv (scripts/test.sh)
    python -m localnet.kybra_source.kybra_bundler ENTRY   # print Kybra's module set
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from localnet.kybra_source.bundle import find_project_root, importable

VENV_DIR = ".venv-kybra310"
KYBRA_VERSION = "0.7.1"
# kybra 0.7.1 pins modulegraph==0.19.3; modulegraph needs altgraph, pinned here.
REQUIREMENTS = [f"kybra=={KYBRA_VERSION}", "altgraph==0.17.5"]
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kybra_driver.py")


class KybraUnavailable(Exception):
    """Kybra's bundler cannot run here: no Python 3.10, or its venv could not be set up (the
    message says what was looked for or what failed)."""


def _is_python310(path: str) -> bool:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.strip() == "(3, 10)"


def find_python310() -> Optional[str]:
    """An installed CPython 3.10: $KYBRA_PYTHON310, pyenv's versions, then python3.10 on
    PATH. Nothing is downloaded."""
    candidates = [os.environ.get("KYBRA_PYTHON310", "")]
    for home in ("/root/.pyenv", os.path.expanduser("~/.pyenv"), os.environ.get("PYENV_ROOT", "")):
        if home:
            candidates += sorted(glob.glob(os.path.join(home, "versions", "3.10*", "bin", "python")), reverse=True)
    candidates += [shutil.which("python3.10") or ""]
    for c in candidates:
        if c and os.path.isfile(c) and _is_python310(c):
            return c
    return None


def venv_python(root: str) -> str:
    """The venv's python, creating the venv (once) with an installed 3.10 and PyPI's
    kybra==0.7.1. Raises KybraUnavailable when there is no Python 3.10."""
    venv = os.path.join(root, VENV_DIR)
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, f"kybra-{KYBRA_VERSION}.ok")
    if os.path.isfile(marker) and os.path.isfile(python):
        return python
    base = find_python310()
    if base is None:
        raise KybraUnavailable(
            "Kybra 0.7.1's bundler needs Python 3.10 and none was found (looked at "
            "$KYBRA_PYTHON310, ~/.pyenv/versions/3.10*/bin/python and python3.10 on PATH)"
        )
    try:
        if not os.path.isfile(python) or not _is_python310(python):
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([base, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise KybraUnavailable(
            f"could not set up {VENV_DIR} with {base} and {' '.join(REQUIREMENTS)} from PyPI: {e}"
        ) from None
    with open(marker, "w", encoding="utf-8") as f:
        f.write(" ".join(REQUIREMENTS) + "\n")
    return python


@dataclass
class KybraTree:
    """Kybra's python_source tree for one canister (paths absolute)."""

    root: str
    entry: str  # the entry module name (`main`)
    nodes: List[list]  # modulegraph's flattened graph: [type, identifier, filename, packagepath]
    search_path: List[str]
    frozen: Dict[str, str]  # every py_freeze module name -> tree file (relative to the tree)
    origins: Dict[str, str]  # tree file -> the source file it is a copy of (absolute)

    def _site_dirs(self) -> List[str]:
        return [p for p in self.search_path if "site-packages" in p]

    def _is_project(self, path: Optional[str]) -> bool:
        if not path:
            return False
        path = os.path.abspath(path)
        if any(path.startswith(s + os.sep) for s in self._site_dirs()):
            return False
        return path.startswith(self.root + os.sep)

    def _rel(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    def importable(self) -> Dict[str, str]:
        """{module name: tree file} of every module an import in the canister can load."""
        return importable(self.frozen)

    def project_frozen(self) -> Dict[str, str]:
        """{module name: source path relative to the project root} of every importable module
        copied from the project (not kybra's own modules or custom_modules)."""
        out = {}
        for name, tree_file in self.importable().items():
            origin = self.origins.get(tree_file)
            if self._is_project(origin):
                out[name] = self._rel(origin)
        return dict(sorted(out.items()))

    def project_reached(self) -> Dict[str, str]:
        """{module name: source path} of the project nodes of the graph (what kybra_generate
        parses: py_file_names); the entry Script is named after its stem."""
        out = {}
        for kind, ident, filename, _ in self.nodes:
            if kind in ("Script", "SourceModule", "Package") and self._is_project(filename):
                out[self.entry if kind == "Script" else ident] = self._rel(filename)
        return dict(sorted(out.items()))

    def namespace_packages(self) -> List[str]:
        return [ident for kind, ident, *_ in self.nodes if kind == "NamespacePackage"]


def _py_freeze_names(tree: str) -> Dict[str, str]:
    """Module names as py_freeze!(dir = ...) gives them (RustPython e87c5ddc,
    derive-impl/src/compile_bytecode.rs `compile_dir`): every directory recursively, the
    directory names joined by dots, `__init__.py` named after its directory."""
    out: Dict[str, str] = {}
    for d, dirs, files in os.walk(tree):
        dirs.sort()
        rel = os.path.relpath(d, tree)
        parent = "" if rel == "." else rel.replace(os.sep, ".")
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            stem = f[:-3]
            name = parent if stem == "__init__" else (f"{parent}.{stem}" if parent else stem)
            out[name] = os.path.relpath(os.path.join(d, f), tree).replace(os.sep, "/")
    return out


def _origins(tree: str, nodes: List[list], custom_modules: str) -> Dict[str, str]:
    """The source file each tree file was copied from, replaying bundle_python_code's copies
    in graph order (custom_modules first; a later copy to the same file wins)."""
    flat: Dict[str, str] = {}
    for f in os.listdir(custom_modules):
        flat[f] = os.path.join(custom_modules, f)
    dirs: Dict[str, str] = {}
    for kind, ident, filename, packagepath in nodes:
        if kind in ("Script", "SourceModule") and filename:
            flat[os.path.basename(filename)] = filename
        elif kind in ("Package", "NamespacePackage") and packagepath:
            dirs.setdefault(ident, packagepath[0])
    out: Dict[str, str] = {}
    for name, rel in _py_freeze_names(tree).items():
        first, _, rest = rel.partition("/")
        if not rest:
            if first in flat:
                out[rel] = flat[first]
        elif first in dirs:
            out[rel] = os.path.join(dirs[first], *rest.split("/"))
    return out


def kybra_trees(
    entry_paths: List[str], project_root: Optional[str] = None, python: Optional[str] = None
) -> Dict[str, KybraTree]:
    """Run Kybra's bundle_python_code on entries of one project, from its root as dfx does
    (one Python 3.10 process for all): {entry path as given: KybraTree}."""
    if not entry_paths:
        return {}
    first = os.path.abspath(entry_paths[0])
    root = os.path.abspath(project_root or find_project_root(os.path.dirname(first)))
    python = python or venv_python(root)
    # Kybra's bundler copies ~500 files per canister: a memory filesystem makes that fast.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    out = tempfile.mkdtemp(prefix="kybra-tree-", dir=shm)
    try:
        args, names = [], {}
        for i, entry in enumerate(entry_paths):
            names[entry] = f"c{i}_" + os.path.basename(os.path.dirname(os.path.abspath(entry)))
            args += [names[entry], os.path.relpath(os.path.abspath(entry), root)]
        proc = subprocess.run(
            [python, "-W", "ignore", DRIVER, out, *args], cwd=root, capture_output=True, text=True, timeout=600
        )
        if proc.returncode != 0:
            raise RuntimeError(f"Kybra's bundler failed:\n{proc.stderr}")
        return {entry: _read_tree(os.path.join(out, names[entry]), root, entry) for entry in entry_paths}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _read_tree(out: str, root: str, entry: str) -> KybraTree:
    with open(os.path.join(out, "graph.json"), encoding="utf-8") as f:
        graph = json.load(f)
    tree = os.path.join(out, "python_source")
    kybra_dir = next(n[3][0] for n in graph["nodes"] if n[0] == "Package" and n[1] == "kybra")
    custom = os.path.join(kybra_dir, "compiler", "custom_modules")
    return KybraTree(
        root=root,
        entry=os.path.splitext(os.path.basename(entry))[0],
        nodes=graph["nodes"],
        search_path=graph["path"],
        frozen=_py_freeze_names(tree),
        origins={k: os.path.abspath(v) for k, v in _origins(tree, graph["nodes"], custom).items()},
    )


def kybra_tree(entry_path: str, project_root: Optional[str] = None, python: Optional[str] = None) -> KybraTree:
    return kybra_trees([entry_path], project_root, python)[entry_path]


def compare(
    entry_path: str, project_root: Optional[str] = None, python: Optional[str] = None, tree: Optional[KybraTree] = None
) -> Tuple[dict, dict]:
    """({what: (only Kybra's, only localnet's)} differences, sizes) for one entry: the
    importable modules and the reached ones, each as {name: source path}."""
    from localnet.kybra_source.bundle import SourceBundle

    tree = tree or kybra_tree(entry_path, project_root, python)
    bundle = SourceBundle.from_entry(entry_path, project_root)
    diffs = {}
    for what, kybra_side, ours in (
        ("frozen", tree.project_frozen(), bundle.frozen),
        ("reached", tree.project_reached(), bundle.paths),
    ):
        if kybra_side != ours:
            diffs[what] = (
                {k: v for k, v in kybra_side.items() if ours.get(k) != v},
                {k: v for k, v in ours.items() if kybra_side.get(k) != v},
            )
    return diffs, {"frozen": len(bundle.frozen), "reached": len(bundle.paths)}


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = find_project_root(os.getcwd())
    if args == ["--setup"]:
        try:
            print(venv_python(root))
        except KybraUnavailable as e:
            print(f"kybra_bundler: {e}", file=sys.stderr)
            return 1
        return 0
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    tree = kybra_tree(args[0])
    print(
        json.dumps(
            {
                "frozen": tree.project_frozen(),
                "reached": tree.project_reached(),
                "namespace_packages": tree.namespace_packages(),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
