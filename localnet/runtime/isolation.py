"""Per-canister module namespaces.

Each canister instance executes its bundle's modules as its own module objects. While a
canister runs, `activate()` swaps those objects into `sys.modules` (so `from src.common.x
import y` and lazy imports inside methods resolve to this canister's copies), installs a
meta-path finder that loads not-yet-imported bundle modules into the same private dict
(imports are frozen-style, as in Kybra's RustPython: canister code imports only modules of
its bundle's frozen tree, the stdlib and kybra; nothing comes from the filesystem, and
`__import__`/`importlib.import_module` refuse host modules too),
puts `_kybra_ic` into builtins, and makes `os.urandom`, `random`, `secrets` and
`uuid.uuid4` deterministic per canister (seeded from the network seed and canister id), as
they are inside a Kybra Wasm. (As in Kybra, init/post_upgrade also arm a zero-delay timer
that reseeds `random` with `raw_rand`, so `random` is only deterministic until the first
round after install; `os.urandom`/`secrets`/`uuid4` stay deterministic.) Everything is put
back on exit, so two canisters built from one source share no state. The runtime is
single-threaded: hold the HTTP server's lock to drive a Network from another thread.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.abc
import importlib.util
import linecache
import os
import random
import sys
import threading
import types
from typing import Dict, Iterable, List, Optional

_MISSING = object()
CANISTER_FILE_PREFIX = "<canister "  # co_filename of canister code: "<canister LABEL>/a/b.py"
_ACTIVE: List["CanisterNamespace"] = []
_HOST_URANDOM = os.urandom  # captured before any patching: the host's real randomness


def host_urandom(n: int) -> bytes:
    """Real randomness of the host (used by the management canister's raw_rand)."""
    return _HOST_URANDOM(n)


class DeterministicBytes:
    """A SHA-256 counter stream: the per-canister replacement of `os.urandom`. Only the
    thread executing the canister sees it (an HTTP server thread keeps real randomness)."""

    def __init__(self, seed: bytes):
        self.seed = seed
        self.counter = 0
        self.thread = None

    def __call__(self, n: int) -> bytes:
        if self.thread is not None and threading.get_ident() != self.thread:
            return _HOST_URANDOM(n)
        if not isinstance(n, int) or n < 0:
            raise ValueError("negative argument not allowed")
        out = bytearray()
        while len(out) < n:
            out += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        return bytes(out[:n])


class _BundleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Frozen-style imports for the active canister, as Kybra's RustPython has them: a module
    of the bundle's frozen tree loads from its source; a bundle package has an empty
    `__path__`, so nothing beneath it comes from the filesystem; any other top-level name
    that canister code imports must be the stdlib or kybra (the RustPython VM has no
    filesystem and no site-packages to fall back on). Imports by the host (localnet itself,
    running inside a canister call) fall through."""

    def find_spec(self, fullname, path=None, target=None):
        if not _ACTIVE:
            return None
        ns = _ACTIVE[-1]
        if not ns.owns(fullname):
            if "." not in fullname and _canister_import():
                _refuse_outside_bundle(fullname)
            return None
        is_pkg = fullname in ns.packages
        spec = importlib.util.spec_from_loader(fullname, self, origin=ns.filename(fullname), is_package=is_pkg)
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        ns = _ACTIVE[-1]
        name = module.__name__
        ns.modules[name] = module
        module.__file__ = ns.filename(name)
        source = ns.sources[name]
        filename = module.__file__
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)


_STDLIB = frozenset(sys.stdlib_module_names)
_IMPORT_MACHINERY = ("<frozen importlib", os.path.dirname(importlib.util.__file__))
_HOST_IMPORT = builtins.__import__
_HOST_IMPORT_MODULE = importlib.import_module


def _runtime_provided(name: str) -> bool:
    return name in _STDLIB or name == "kybra" or name == "_kybra_ic"


def _canister_import() -> bool:
    """Whether the import being resolved was started by canister code (the first frame
    outside the import machinery runs a canister module's code)."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_IMPORT_MACHINERY):
        f = f.f_back
    return f is not None and f.f_code.co_filename.startswith(CANISTER_FILE_PREFIX)


def _refuse_outside_bundle(name: str) -> None:
    """Canister code importing a top-level name that is neither frozen in its bundle nor
    provided by the runtime gets the error a frozen-only import gives, even when the host
    process has such a module loaded (localnet itself, pytest, site-packages)."""
    top = name.partition(".")[0]
    if _ACTIVE and not _runtime_provided(top) and not _ACTIVE[-1].owns(top):
        raise ModuleNotFoundError(
            f"No module named {top!r} (a Kybra canister imports only "
            "the modules Kybra froze from its source, the standard "
            "library and kybra)",
            name=top,
        )


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    """builtins.__import__ while a canister runs: `import x` statements of canister code
    cannot reach modules the host has loaded (sys.modules is consulted before finders)."""
    if level == 0:
        importer = (
            globals.get("__file__") if globals is not None else sys._getframe(1).f_code.co_filename
        )  # a direct __import__() call
        if isinstance(importer, str) and importer.startswith(CANISTER_FILE_PREFIX):
            _refuse_outside_bundle(name)
    return _HOST_IMPORT(name, globals, locals, fromlist, level)


def _guarded_import_module(name, package=None):
    """importlib.import_module while a canister runs, with the same rule for canister code."""
    if not name.startswith(".") and sys._getframe(1).f_code.co_filename.startswith(CANISTER_FILE_PREFIX):
        _refuse_outside_bundle(name)
    return _HOST_IMPORT_MODULE(name, package)


_FINDER = _BundleFinder()


def _ensure_finder():
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


class CanisterNamespace:
    """The modules of one installed canister (rebuilt from scratch on every install,
    reinstall and upgrade, as Kybra's fresh interpreter is)."""

    def __init__(self, sources: Dict[str, str], packages: Iterable[str], entry: str, label: str, seed: bytes):
        """`sources`: every importable module of the canister (SourceBundle.frozen_sources())
        and `packages` the names among them that are packages (frozen from __init__.py)."""
        if entry not in sources:
            raise ValueError(f"entry module {entry!r} is not in the bundle")
        self.sources = {n: s for n, s in sources.items() if not _is_kybra(n)}
        self.entry = entry
        self.label = label
        self.packages = set(packages) & set(self.sources)
        self.modules: Dict[str, types.ModuleType] = {}
        self.heap_scans: dict = {}  # heap.py's per-module scan cache (lives as long as the modules)
        self.urandom = DeterministicBytes(seed)
        rng = random.Random(seed)
        self.random_state = rng.getstate()
        self.kybra_ic = None
        # What Kybra's `from <entry> import *` bound: methods and guards are looked up here
        self.scope: Dict[str, object] = {}

    def owns(self, name: str) -> bool:
        return name in self.sources

    def filename(self, name: str) -> str:
        suffix = "/__init__.py" if name in self.packages else ".py"
        return f"{CANISTER_FILE_PREFIX}{self.label}>/{name.replace('.', '/')}{suffix}"

    @property
    def names(self):
        return set(self.sources)

    @contextlib.contextmanager
    def activate(self, kybra_ic):
        """Run canister code: swap modules, builtins and randomness in; restore on exit."""
        _ensure_finder()
        saved_modules = {}
        for name in self.names:
            saved_modules[name] = sys.modules.get(name, _MISSING)
            if name in self.modules:
                sys.modules[name] = self.modules[name]
            else:
                sys.modules.pop(name, None)
        saved_ic = getattr(builtins, "_kybra_ic", _MISSING)
        saved_import, saved_import_module = builtins.__import__, importlib.import_module
        builtins.__import__, importlib.import_module = _guarded_import, _guarded_import_module
        saved_urandom = os.urandom
        saved_random_urandom = getattr(random, "_urandom", _MISSING)
        host_random_state = random.getstate()
        builtins._kybra_ic = kybra_ic
        self.urandom.thread = threading.get_ident()
        os.urandom = self.urandom
        random._urandom = self.urandom
        random.setstate(self.random_state)
        _ACTIVE.append(self)
        try:
            yield self
        finally:
            _ACTIVE.pop()
            builtins.__import__, importlib.import_module = saved_import, saved_import_module
            self.random_state = random.getstate()
            random.setstate(host_random_state)
            os.urandom = saved_urandom
            if saved_random_urandom is not _MISSING:
                random._urandom = saved_random_urandom
            if saved_ic is _MISSING:
                with contextlib.suppress(AttributeError):
                    del builtins._kybra_ic
            else:
                builtins._kybra_ic = saved_ic
            for name, old in saved_modules.items():
                if old is _MISSING:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = old

    def import_entry(self) -> types.ModuleType:
        """Import the entry module (and what it imports), as Kybra's init and post_upgrade
        run `from <entry> import *` in a fresh scope (kybra_generate init_method/rust.rs
        `generate_code_init`); `scope` then holds what that binds (the entry's `__all__`, or
        its names not starting with `_`), which is where Kybra looks methods and guards up
        (body/call_global_python_function.rs). Must run inside activate()."""
        import importlib

        module = importlib.import_module(self.entry)
        scope: Dict[str, object] = {}
        exec(f"from {self.entry} import *", scope)  # noqa: S102 - Python's own star import
        scope.pop("__builtins__", None)
        self.scope = scope
        return module

    @property
    def entry_module(self) -> Optional[types.ModuleType]:
        return self.modules.get(self.entry)

    def heap_snapshot(self):
        """A snapshot of the data globals, for rollback at a trap (heap.py)."""
        from localnet.runtime.heap import HeapSnapshot

        return HeapSnapshot(self.modules, self.heap_scans)

    def bundle_modules(self) -> Dict[str, types.ModuleType]:
        """The canister's own modules that have been executed (heap state lives there)."""
        return dict(self.modules)


def _is_kybra(name: str) -> bool:
    return name == "kybra" or name.startswith("kybra.")
