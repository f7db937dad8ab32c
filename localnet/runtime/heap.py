"""Heap snapshots of a canister's module globals, for trap rollback.

On the IC a trap discards every heap change since the last commit point. The canister's
heap here is the globals of its bundle modules (the only roots canister code can reach
across messages), so a snapshot deep-copies those globals' data values: everything except
modules, functions, classes and StableBTreeMap handles (those are code, or state kept
elsewhere). Restoring writes the copies back *in place* for top-level dicts, lists, sets,
bytearrays and plain objects, so functions holding references to them see the restored
contents, and rebinds anything else.
"""
from __future__ import annotations

import copy
import types
from typing import Dict

import kybra

_SKIP_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type,
               types.MethodType, staticmethod, classmethod, property, kybra.StableBTreeMap)


def _is_state(name: str, value) -> bool:
    if name.startswith("__") and name.endswith("__"):
        return False
    if isinstance(value, _SKIP_TYPES):
        return False
    if getattr(value, "__module__", None) == "typing" or type(value).__module__ == "typing":
        return False  # typing aliases (Opt[...], Alias[...]: shared, cached by typing)
    return True


class HeapSnapshot:
    """Deep copies of the data globals of a set of modules, taken at a commit point."""

    def __init__(self, modules: Dict[str, types.ModuleType]):
        self.modules = dict(modules)
        originals = {}
        for mname, module in self.modules.items():
            for name, value in module.__dict__.items():
                if _is_state(name, value):
                    originals[(mname, name)] = value
        self.originals = originals
        memo: dict = {}
        copies = {}
        for key, value in originals.items():
            try:
                copies[key] = copy.deepcopy(value, memo)
            except Exception:  # e.g. a generator or lock: cannot be copied, kept as is
                copies[key] = value
        self.copies = copies

    def restore(self, reusable: bool = False) -> None:
        """Put every module global back to its value at snapshot time. With `reusable`
        the snapshot's own copies stay untouched (it can be restored again)."""
        copies = copy.deepcopy(self.copies) if reusable else self.copies
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
    if isinstance(target, dict):
        target.clear()
        target.update(saved)
        return True
    if isinstance(target, list):
        target[:] = saved
        return True
    if isinstance(target, set):
        target.clear()
        target.update(saved)
        return True
    if isinstance(target, bytearray):
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
