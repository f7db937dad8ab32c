"""Heap snapshots of a canister's module globals, for trap rollback.

On the IC a trap discards every heap change since the last commit point. The canister's
heap here is the globals of its bundle modules (the only roots canister code can reach
across messages), so a snapshot copies those globals' data values: everything except
modules, functions, classes and StableBTreeMap handles (those are code, or state kept
elsewhere). The copy is a pickle (fast, C-implemented; canister classes and functions are
pickled by reference to the canister's own modules), falling back to `copy.deepcopy` for
values pickle cannot handle (closures, lambdas). Restoring writes the copies back *in
place* for top-level dicts, lists, sets, bytearrays and plain objects, so functions holding
references to them see the restored contents, and rebinds anything else.
"""
from __future__ import annotations

import copy
import io
import pickle
import types
from typing import Dict

import kybra

_SKIP_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type,
               types.MethodType, staticmethod, classmethod, property, kybra.StableBTreeMap)
_RESOLVING: list = []  # module dicts used by `_resolve` while unpickling


def _is_state(name: str, value) -> bool:
    if name.startswith("__") and name.endswith("__"):
        return False
    if isinstance(value, _SKIP_TYPES):
        return False
    if getattr(value, "__module__", None) == "typing" or type(value).__module__ == "typing":
        return False  # typing aliases (Opt[...], Alias[...]): shared and cached by typing
    return True


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
    """Copies of the data globals of a set of modules, taken at a commit point."""

    def __init__(self, modules: Dict[str, types.ModuleType]):
        self.modules = dict(modules)
        originals = {}
        for mname, module in self.modules.items():
            for name, value in module.__dict__.items():
                if _is_state(name, value):
                    originals[(mname, name)] = value
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

    def _current(self) -> dict:
        current = {}
        for mname, module in self.modules.items():
            for name, value in module.__dict__.items():
                if _is_state(name, value):
                    current[(mname, name)] = value
        return current

    def unchanged(self) -> bool:
        """True when the globals still pickle to the snapshot's bytes (same names, same
        objects, same contents): restoring can then be skipped, which makes the common
        query (that changes nothing) cheap."""
        if self.pickled is None:
            return False
        current = self._current()
        if current.keys() != self.originals.keys() or \
                any(current[k] is not self.originals[k] for k in current):
            return False
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
        for mname, module in self.modules.items():
            d = module.__dict__
            for name in [n for n, v in d.items() if _is_state(n, v)]:
                if (mname, name) not in self.originals:
                    del d[name]  # created after the snapshot
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
    snap = HeapSnapshot.__new__(HeapSnapshot)
    snap.modules = dict(modules)
    originals = snap._current()
    buf = io.BytesIO()
    _Pickler(buf, snap.modules).dump(originals)
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
