"""Reading canister results as ic-py returns them: one helper set for every test client.

ic-py returns a list of return values (our canister methods return one), `opt` as [] / [x],
and `variant { Ok; Err : text }` results as one-key dicts whose Err text starts with a
stable error code (`not_found: ...`)."""

from __future__ import annotations


def one(res):
    """The single return value of a call."""
    assert isinstance(res, list) and len(res) == 1, res
    return res[0]


def ok(res):
    value = one(res) if isinstance(res, list) else res
    assert isinstance(value, dict) and "Ok" in value, f"expected Ok, got {value}"
    return value["Ok"]


def err(res) -> str:
    value = one(res) if isinstance(res, list) else res
    assert isinstance(value, dict) and "Err" in value, f"expected Err, got {value}"
    return value["Err"]


def code(res) -> str:
    """The stable error code (text before the first colon) of an Err result."""
    return err(res).split(":", 1)[0]


def opt(x) -> list:
    """A Python value as ic-py's `opt` argument."""
    return [] if x is None else [x]


def tag(variant: dict) -> str:
    """The case name of a variant value."""
    (name,) = variant.keys()
    return name
