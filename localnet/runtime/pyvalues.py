"""Kybra's dict keys for Candid labels that are Python keywords.

Kybra code spells a record member or variant tag that is a Python keyword with a trailing
underscore (`from_: Account`); its Candid label is `from` (cdk_framework's keyword restore
rule, `localnet.kybra_source.analyze.candid_label`). Kybra's runtime hands canister code
dicts keyed by the Python spelling, so values crossing into canister code are re-keyed with
`python_key` and values coming out with `candid_label`. Types without such labels (almost
all) are detected once and passed through untouched.
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

from localnet.candid import types as T
from localnet.kybra_source.analyze import PYTHON_KEYWORDS, candid_label, python_key

_NEEDS: Dict[tuple, bool] = {}


def _is_keyword_label(name) -> bool:
    return name is not None and name.rstrip("_") in PYTHON_KEYWORDS


def _needs(t: T.Type, env, seen=None) -> bool:
    key = (t, id(env))
    cached = _NEEDS.get(key)
    if cached is not None:
        return cached
    seen = set() if seen is None else seen
    result = False
    if isinstance(t, T.Var):
        if t.name in seen:
            return False
        seen.add(t.name)
        result = env is not None and t.name in env.types and _needs(env.types[t.name], env, seen)
    elif isinstance(t, (T.Opt, T.Vec)):
        result = _needs(t.inner, env, seen)
    elif isinstance(t, (T.Record, T.Variant)):
        result = any(_is_keyword_label(f.name) or _needs(f.type, env, seen) for f in t.fields)
    if len(_NEEDS) > 4096:
        _NEEDS.clear()
    _NEEDS[key] = result
    return result


def _convert(t: T.Type, v: Any, env, to_python: bool) -> Any:
    if v is None:
        return v
    if isinstance(t, T.Var):
        return _convert(env.resolve(t), v, env, to_python)
    if isinstance(t, T.Opt):
        return _convert(t.inner, v, env, to_python)
    if isinstance(t, T.Vec):
        if isinstance(v, (bytes, bytearray)):
            return v
        return [_convert(t.inner, x, env, to_python) for x in v]
    if isinstance(t, T.Record):
        if isinstance(v, tuple):
            return tuple(_convert(f.type, x, env, to_python) for f, x in zip(t.fields, v))
        if not isinstance(v, dict):
            return v
        out = dict(v)
        for f in t.fields:
            if f.name is None:
                continue
            src = f.name if to_python else python_key(f.name)
            dst = python_key(f.name) if to_python else f.name
            if src in out:
                out[dst] = _convert(f.type, out.pop(src), env, to_python)
        return out
    if isinstance(t, T.Variant):
        if not isinstance(v, dict) or len(v) != 1:
            return v
        ((tag, inner),) = v.items()
        for f in t.fields:
            if f.name is None:
                continue
            if tag == (f.name if to_python else python_key(f.name)):
                key = python_key(f.name) if to_python else candid_label(tag)
                return {key: _convert(f.type, inner, env, to_python)}
        return v
    return v


def to_python(types: Sequence[T.Type], values: list, env) -> list:
    """Decoded Candid values -> the values Kybra code sees."""
    if not any(_needs(t, env) for t in types):
        return values
    return [_convert(t, v, env, True) for t, v in zip(types, values)]


def to_candid(types: Sequence[T.Type], values: list, env) -> list:
    """Values from Kybra code -> values the Candid encoder expects."""
    if not any(_needs(t, env) for t in types):
        return list(values)
    return [_convert(t, v, env, False) for t, v in zip(types, values)]
