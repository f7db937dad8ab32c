"""Reader and runner for the official Candid conformance files (`*.test.did`): type
definitions followed by `assert <input> (:|!:|==|!=) ... : (<types>) "<desc>";` lines."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from localnet.candid import CandidError, decode
from localnet.candid.did import check_env, read_definitions, read_tuple
from localnet.candid.lexer import Cursor, text_of
from localnet.candid.text import parse_args
from localnet.candid.types import Type, TypeEnv

CONFORMANCE_DIR = Path(__file__).parent / "conformance"


@dataclass(frozen=True)
class Input:
    is_blob: bool
    raw: bytes  # blob bytes, or the UTF-8 of the textual value


@dataclass(frozen=True)
class Assertion:
    file: str
    line: int
    kind: str  # ":" | "!:" | "==" | "!="
    left: Input
    right: Optional[Input]
    types: Tuple[Type, ...]
    env: TypeEnv
    desc: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line} {self.desc}".strip()


def _read_input(cur: Cursor) -> Input:
    is_blob = cur.accept_kw("blob")
    tok = cur.expect_kind("text", "an input string")
    return Input(is_blob, tok.value)


def load_file(path: Path) -> List[Assertion]:
    text = path.read_text(encoding="utf-8")
    cur = Cursor(text)
    env = TypeEnv({})
    read_definitions(cur, env)
    check_env(env)
    out = []
    while not cur.at("eof"):
        tok = cur.peek()
        if not cur.accept_kw("assert"):
            cur.fail("expected assert")
        line = text.count("\n", 0, tok.pos) + 1
        left = _read_input(cur)
        right = None
        if cur.accept_sym("=="):
            kind, right = "==", _read_input(cur)
            cur.expect_sym(":")
        elif cur.accept_sym("!="):
            kind, right = "!=", _read_input(cur)
            cur.expect_sym(":")
        elif cur.accept_sym("!:"):
            kind = "!:"
        else:
            cur.expect_sym(":")
            kind = ":"
        types = read_tuple(cur)
        desc = ""
        if cur.at("text"):
            desc = text_of(cur.next().value)
        cur.accept_sym(";")
        out.append(Assertion(path.name, line, kind, left, right, types, env, desc))
    return out


def load_all() -> List[Assertion]:
    out = []
    for path in sorted(CONFORMANCE_DIR.glob("*.test.did")):
        out.extend(load_file(path))
    return out


def run_input(inp: Input, types, env) -> list:
    if inp.is_blob:
        return decode(inp.raw, types, env)
    return parse_args(text_of(inp.raw), types, env)


def normalize(v):
    """Host-language equality, made total: principals compare by bytes (kybra's Principal
    has no __eq__), NaN equals NaN, tuples and lists stay distinct."""
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, normalize(x)) for k, x in v.items())))
    if isinstance(v, tuple):
        return ("tuple", tuple(normalize(x) for x in v))
    if isinstance(v, list):
        return ("list", tuple(normalize(x) for x in v))
    if isinstance(v, float) and math.isnan(v):
        return ("nan",)
    if hasattr(v, "bytes") and hasattr(v, "to_str"):
        return ("principal", bytes(v.bytes))
    return (type(v).__name__, v)


def check(a: Assertion) -> None:
    """Raise AssertionError unless the assertion holds."""
    if a.kind == "!:":
        try:
            value = run_input(a.left, a.types, a.env)
        except CandidError:
            return
        raise AssertionError(f"expected a CandidError, decoded {value!r}")
    left = run_input(a.left, a.types, a.env)
    if a.kind == ":":
        return
    right = run_input(a.right, a.types, a.env)
    same = normalize(left) == normalize(right)
    if a.kind == "==":
        assert same, f"{left!r} != {right!r}"
    else:
        assert not same, f"{left!r} == {right!r}"
