"""Per-canister module namespaces.

Each canister instance executes its bundle's modules as its own module objects. While a
canister runs, `activate()` swaps those objects into `sys.modules` (so `from src.common.x
import y` and lazy imports inside methods resolve to this canister's copies), installs a
meta-path finder that loads not-yet-imported bundle modules into the same private dict,
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
from typing import Dict, List, Optional

_MISSING = object()
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
    """Finds modules of the active canister's bundle; other imports fall through."""

    def find_spec(self, fullname, path=None, target=None):
        if not _ACTIVE:
            return None
        ns = _ACTIVE[-1]
        if not ns.owns(fullname):
            return None
        is_pkg = fullname in ns.packages
        spec = importlib.util.spec_from_loader(fullname, self, origin=ns.filename(fullname),
                                               is_package=is_pkg)
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        ns = _ACTIVE[-1]
        name = module.__name__
        ns.modules[name] = module
        module.__file__ = ns.filename(name)
        source = ns.sources.get(name)
        if source is None:  # a package directory without its own __init__ source
            return
        filename = module.__file__
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        exec(code, module.__dict__)


_FINDER = _BundleFinder()


def _ensure_finder():
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


class CanisterNamespace:
    """The modules of one installed canister (rebuilt from scratch on every install,
    reinstall and upgrade, as Kybra's fresh interpreter is)."""

    def __init__(self, sources: Dict[str, str], entry: str, label: str, seed: bytes):
        if entry not in sources:
            raise ValueError(f"entry module {entry!r} is not in the bundle")
        self.sources = {n: s for n, s in sources.items() if not _is_kybra(n)}
        self.entry = entry
        self.label = label
        self.packages = set()
        for name in self.sources:
            parts = name.split(".")
            for i in range(1, len(parts)):
                self.packages.add(".".join(parts[:i]))
        self.modules: Dict[str, types.ModuleType] = {}
        self.heap_scans: dict = {}  # heap.py's per-module scan cache (lives as long as the modules)
        self.urandom = DeterministicBytes(seed)
        rng = random.Random(seed)
        self.random_state = rng.getstate()
        self.kybra_ic = None
        # What Kybra's `from <entry> import *` bound: methods and guards are looked up here
        self.scope: Dict[str, object] = {}

    def owns(self, name: str) -> bool:
        return name in self.sources or name in self.packages

    def filename(self, name: str) -> str:
        suffix = "/__init__.py" if name in self.packages else ".py"
        return f"<canister {self.label}>/{name.replace('.', '/')}{suffix}"

    @property
    def names(self):
        return set(self.sources) | self.packages

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
