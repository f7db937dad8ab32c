"""Heap snapshots of a canister's module globals, for trap rollback.

On the IC a trap discards every heap change since the last commit point. The canister's
heap here is the globals of its bundle modules (the only roots canister code can reach
across messages), so a snapshot copies those globals' data values: everything except
modules, functions, classes and StableBTreeMap handles (those are code, or state kept
elsewhere), and remembers which object each code name was bound to, so a trap also undoes
a rebinding. The copy is a pickle (fast, C-implemented; canister classes and functions are
pickled by reference to the canister's own modules), falling back to `copy.deepcopy` for
values pickle cannot handle (closures, lambdas). Restoring writes the copies back *in
place* for top-level dicts, lists, sets, bytearrays and plain objects, so functions holding
references to them see the restored contents, and rebinds anything else.

A snapshot is taken at every commit point, so telling data from code must not walk every
global each time: each canister namespace keeps the last layout of each module (`_Scan`),
re-checked with C-level dict view operations.
"""

from __future__ import annotations

import copy
import io
import pickle
import types
from typing import Dict, Optional

import kybra

_SKIP_TYPES = (
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    type,
    types.MethodType,
    staticmethod,
    classmethod,
    property,
    kybra.StableBTreeMap,
)
_MISSING = object()
_RESOLVING: list = []  # module dicts used by `_resolve` while unpickling


_STATE_BY_TYPE: Dict[type, bool] = {}  # the skip test depends on the type only: cached


def _state_type(t: type) -> bool:
    if issubclass(t, _SKIP_TYPES):
        return False
    return t.__module__ != "typing"  # typing aliases (Opt[...], Alias[...]): shared, cached by typing


def _is_state(name: str, value) -> bool:
    t = type(value)
    state = _STATE_BY_TYPE.get(t)
    if state is None:
        state = _STATE_BY_TYPE[t] = _state_type(t)
    return state and not (name.startswith("__") and name.endswith("__"))


class _Scan:
    """One module's layout at a scan: its code entries (functions, classes, modules,
    dunders: never copied) and, in a fixed order, the names of its data globals. A scan is
    never changed after it is made, so snapshots can keep it."""

    __slots__ = ("module", "size", "code", "names")

    def __init__(self, module, d: dict):
        self.module, self.size = module, len(d)
        self.code = {n: v for n, v in d.items() if not _is_state(n, v)}
        self.names = sorted(d.keys() - self.code.keys())

    def valid(self, module, d: dict) -> bool:
        """Still the module's layout: same size, every code entry bound to the same object
        and every data name present (C-level dict view operations, no walk)."""
        return (
            self.module is module
            and len(d) == self.size
            and self.code.items() <= d.items()
            and all(n in d for n in self.names)
        )


def _scan(modules: Dict[str, types.ModuleType], scans: Optional[dict]):
    """({module: scan}, {(module, name): value}) of the data globals now. Runs at every
    commit point, so a `scans` cache (one per canister namespace) keeps each module's last
    scan: while its layout holds and its data names still hold data, the module is not
    walked again (a canister has about 1,500 globals, most of them code)."""
    layout: Dict[str, _Scan] = {}
    found = {}
    for mname, module in modules.items():
        d = module.__dict__
        scan = scans.get(mname) if scans is not None else None
        if scan is not None and scan.valid(module, d) and all(_is_state(n, d[n]) for n in scan.names):
            pass
        else:
            scan = _Scan(module, d)
            if scans is not None:
                scans[mname] = scan
        layout[mname] = scan
        for name in scan.names:
            found[(mname, name)] = d[name]
    return layout, found


def _resolve(module: str, qualname: str):
    obj = _RESOLVING[-1][module]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class _Pickler(pickle.Pickler):
    """Pickles the canister's own classes/functions by reference to its module objects."""

    def __init__(self, buf, modules: Dict[str, types.ModuleType]):
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.modules = modules

    def reducer_override(self, obj):
        if isinstance(obj, (type, types.FunctionType)):
            module = getattr(obj, "__module__", None)
            if module in self.modules:
                found = self.modules[module]
                for part in obj.__qualname__.split("."):
                    found = getattr(found, part, None)
                if found is not obj:  # a lambda, closure or shadowed name
                    raise pickle.PicklingError(f"cannot pickle {obj!r} by reference")
                return _resolve, (module, obj.__qualname__)
        return NotImplemented


class HeapSnapshot:
    """Copies of the data globals of a set of modules, taken at a commit point, and the
    bindings of their code names (a trap undoes a rebinding of those too)."""

    def __init__(self, modules: Dict[str, types.ModuleType], scans: Optional[dict] = None):
        self.modules = dict(modules)
        self.layout, originals = _scan(self.modules, scans)
        self.originals = originals
        self.pickled = None
        self.copies = None
        if not originals:
            self.copies = {}
            return
        buf = io.BytesIO()
        try:
            _Pickler(buf, self.modules).dump(originals)
            self.pickled = buf.getvalue()
        except Exception:
            self.copies = self._deepcopy(originals)

    @staticmethod
    def _deepcopy(originals):
        memo: dict = {}
        copies = {}
        for key, value in originals.items():
            try:
                copies[key] = copy.deepcopy(value, memo)
            except Exception:  # e.g. a generator or lock: cannot be copied, kept as is
                copies[key] = value
        return copies

    def _copies(self, reusable: bool):
        if self.pickled is not None:
            _RESOLVING.append(self.modules)
            try:
                return pickle.loads(self.pickled)
            finally:
                _RESOLVING.pop()
        return copy.deepcopy(self.copies) if reusable else self.copies

    def unchanged(self) -> bool:
        """True when every module keeps its layout, every data global is the same object
        and they all pickle to the snapshot's bytes: restoring can then be skipped, which
        makes the common query (that changes nothing) cheap."""
        if self.pickled is None:
            return False
        current = {}
        for mname, scan in self.layout.items():
            d = self.modules[mname].__dict__
            if not scan.valid(self.modules[mname], d):
                return False
            for name in scan.names:
                value = d[name]
                if value is not self.originals[(mname, name)]:
                    return False
                current[(mname, name)] = value
        buf = io.BytesIO()
        try:
            _Pickler(buf, self.modules).dump(current)
        except Exception:
            return False
        return buf.getvalue() == self.pickled

    def restore(self, reusable: bool = False) -> None:
        """Put every module global back to its value at snapshot time. With `reusable`
        the snapshot stays valid (it can be restored again)."""
        if self.unchanged():
            return
        copies = self._copies(reusable)
        for mname, scan in self.layout.items():
            d = self.modules[mname].__dict__
            for name in [n for n in d if n not in scan.code and (mname, n) not in self.originals]:
                del d[name]  # created after the snapshot
            for name, value in scan.code.items():
                if d.get(name, _MISSING) is not value:
                    d[name] = value  # a code name rebound or deleted since
        for (mname, name), original in self.originals.items():
            saved = copies[(mname, name)]
            d = self.modules[mname].__dict__
            current = d.get(name)
            if current is original and _restore_in_place(original, saved):
                d[name] = original
            else:
                d[name] = saved


def _restore_in_place(target, saved) -> bool:
    if type(target) is not type(saved):
        return False
    if isinstance(target, (dict, set)):
        target.clear()
        target.update(saved)
        return True
    if isinstance(target, (list, bytearray)):
        target[:] = saved
        return True
    if hasattr(target, "__dict__") and not isinstance(target, type):
        try:
            target.__dict__.clear()
            target.__dict__.update(saved.__dict__)
            return True
        except (AttributeError, TypeError):
            return False
    return False


# -- persistence (state.py): heap globals and timers across a save/load ---------------------
def dump_globals(modules: Dict[str, types.ModuleType]) -> bytes:
    """Pickle of the data globals (raises pickle.PicklingError/TypeError if impossible)."""
    modules = dict(modules)
    _, originals = _scan(modules, None)
    buf = io.BytesIO()
    _Pickler(buf, modules).dump(originals)
    return buf.getvalue()


def load_globals(modules: Dict[str, types.ModuleType], data: bytes) -> None:
    """Assign globals pickled by dump_globals into freshly executed modules."""
    _RESOLVING.append(modules)
    try:
        values = pickle.loads(data)
    finally:
        _RESOLVING.pop()
    for (mname, name), value in values.items():
        modules[mname].__dict__[name] = value


def dump_objects(obj, modules: Dict[str, types.ModuleType]) -> bytes:
    """Pickle any value that refers to canister functions/classes by reference."""
    buf = io.BytesIO()
    _Pickler(buf, dict(modules)).dump(obj)
    return buf.getvalue()


def load_objects(data: bytes, modules: Dict[str, types.ModuleType]):
    _RESOLVING.append(dict(modules))
    try:
        return pickle.loads(data)
    finally:
        _RESOLVING.pop()
