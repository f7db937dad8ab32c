"""Tokenizer shared by .did files and textual Candid values (and the conformance .test.did
grammar), plus a small cursor over the tokens for the recursive-descent parsers."""

from __future__ import annotations

import re
from typing import List, NamedTuple, Union

from .errors import CandidError


class Token(NamedTuple):
    kind: str  # "id" | "num" | "float" | "text" | "sym" | "eof"
    value: Union[str, int, float, bytes, None]
    pos: int


_SYMBOLS = ("->", "!:", "==", "!=", "(", ")", "{", "}", ";", ",", ":", "=", ".")
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEX = re.compile(r"[+-]?0x[0-9a-fA-F](_?[0-9a-fA-F])*")
_NUM = re.compile(
    r"[+-]?[0-9](_?[0-9])*"
    r"(?P<frac>\.([0-9](_?[0-9])*)?)?"
    r"(?P<exp>[eE][+-]?[0-9](_?[0-9])*)?"
)
_SIMPLE_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'"}
_HEXDIGITS = "0123456789abcdefABCDEF"


def tokenize(text: str) -> List[Token]:
    tokens: List[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            i = _skip_block_comment(text, i)
        elif c == '"':
            value, i2 = _read_string(text, i)
            tokens.append(Token("text", value, i))
            i = i2
        elif c.isdigit() or (c in "+-" and i + 1 < n and text[i + 1].isdigit()):
            m = _HEX.match(text, i)
            if m:
                tokens.append(Token("num", int(m.group().replace("_", ""), 16), i))
                i = m.end()
                continue
            m = _NUM.match(text, i)
            literal = m.group().replace("_", "")
            if m.group("frac") is not None or m.group("exp") is not None:
                tokens.append(Token("float", float(literal), i))
            else:
                tokens.append(Token("num", int(literal), i))
            i = m.end()
        elif c.isalpha() or c == "_":
            m = _ID.match(text, i)
            tokens.append(Token("id", m.group(), i))
            i = m.end()
        else:
            for sym in _SYMBOLS:
                if text.startswith(sym, i):
                    tokens.append(Token("sym", sym, i))
                    i += len(sym)
                    break
            else:
                raise CandidError(f"unexpected character {c!r} at offset {i}")
    tokens.append(Token("eof", None, n))
    return tokens


def _skip_block_comment(text: str, i: int) -> int:
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise CandidError("unterminated block comment")


def _read_string(text: str, start: int):
    """A string literal as raw bytes: escapes may produce any byte (\\xx), so whether it is
    valid UTF-8 is decided by the user of the literal (text vs blob)."""
    out = bytearray()
    i, n = start + 1, len(text)
    while True:
        if i >= n:
            raise CandidError(f"unterminated string literal at offset {start}")
        c = text[i]
        if c == '"':
            return bytes(out), i + 1
        if c != "\\":
            j = i
            while j < n and text[j] not in '"\\':
                j += 1
            out += text[i:j].encode("utf-8")
            i = j
            continue
        if i + 1 >= n:
            raise CandidError(f"unterminated escape at offset {i}")
        e = text[i + 1]
        if e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e]
            i += 2
        elif e == "u":
            if i + 2 >= n or text[i + 2] != "{":
                raise CandidError(f"invalid unicode escape at offset {i}")
            close = text.find("}", i + 3)
            digits = text[i + 3 : close].replace("_", "") if close >= 0 else ""
            if (
                close < 0
                or not digits
                or len(digits) > 6
                or any(d not in _HEXDIGITS for d in digits)
                or '"' in text[i:close]
            ):
                raise CandidError(f"invalid unicode escape at offset {i}")
            cp = int(digits, 16)
            if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                raise CandidError(f"invalid unicode code point {cp:#x} at offset {i}")
            out += chr(cp).encode("utf-8")
            i = close + 1
        elif i + 2 < n and e in _HEXDIGITS and text[i + 2] in _HEXDIGITS:
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            raise CandidError(f"invalid escape \\{e} at offset {i}")


class Cursor:
    """Position in a token list with the usual peek/accept/expect helpers."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def at(self, kind: str, value=None, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok.kind == kind and (value is None or tok.value == value)

    def at_sym(self, sym: str) -> bool:
        return self.at("sym", sym)

    def at_kw(self, word: str) -> bool:
        return self.at("id", word)

    def accept_sym(self, sym: str) -> bool:
        if self.at("sym", sym):
            self.i += 1
            return True
        return False

    def accept_kw(self, word: str) -> bool:
        if self.at("id", word):
            self.i += 1
            return True
        return False

    def expect_sym(self, sym: str) -> Token:
        if not self.at("sym", sym):
            self.fail(f"expected {sym!r}")
        return self.next()

    def expect_kind(self, kind: str, what: str) -> Token:
        if not self.at(kind):
            self.fail(f"expected {what}")
        return self.next()

    def expect_eof(self):
        if not self.at("eof"):
            self.fail("unexpected trailing input")

    def fail(self, message: str):
        tok = self.peek()
        line = self.text.count("\n", 0, tok.pos) + 1
        shown = "end of input" if tok.kind == "eof" else repr(tok.value)
        raise CandidError(f"{message} at line {line} (found {shown})")


def text_of(raw: bytes) -> str:
    """A string literal's bytes as text; it must be valid UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CandidError("string literal is not valid UTF-8") from None
