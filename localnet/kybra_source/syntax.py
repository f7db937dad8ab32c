"""Python syntax that CPython 3.10+ accepts but the parser kybra_generate uses does not.

kybra 0.7.1's kybra_generate parses every module the bundler reaches (project and
site-packages alike: py_ast/py_ast.rs, `parser::parse(&source, Mode::Module, "")`) with
`rustpython-parser` from demergent-labs/RustPython branch `kybra_initial` (kybra_generate's
Cargo.toml; the branch head is 7527234, 2022-09-20). Its LALRPOP grammar
(compiler/parser/python.lalrpop on that branch) predates several 3.10/3.11 features.
`bundle.parse_module` already parses with CPython's `feature_version=(3, 10)` (which refuses
`except*` and 3.12 `type` statements / type parameters); the rules here catch the rest.
Line numbers below are python.lalrpop's at 7527234.

| rule | what |
| --- | --- |
| match-statement | `match`/`case` statements: CompoundStatement (l.331) has no match (the soft keyword as a name, e.g. kybra's `match(...)` function, is fine) |
| parenthesized-with | `with (a as b, c):`: WithItem (l.461) is `Test ("as" Expression)?`, so a parenthesised item list is a syntax error (or, without `as`, one tuple that is no context manager) |
| starred-subscript | `a[*b]`, `a[1, *b]`, `*args: *Ts` (PEP 646, 3.11): Subscript (l.945) and TypedParameter (l.583) take a Test, not a star-expression |
| walrus-position | an unparenthesised `:=` in an index (`a[x := 1]`) or as a set comprehension's element (3.10): Subscript takes a Test and SetComp a Test (l.1087), not NamedExpressionTest |
| fstring-syntax | PEP 701 f-strings (3.12): the outer quote reused inside (the 2022 lexer ends the literal at the first unescaped matching quote: compiler/parser/src/lexer.rs lex_string, l.486), a backslash in a replacement field (the lexer has already unescaped it when fstring.rs parses the expression), a `#` in one (refused by CPython <= 3.11, so refused here on every Python) |
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import List, Optional

from localnet.kybra_source.findings import Finding

RULES = ("match-statement", "parenthesized-with", "starred-subscript", "walrus-position", "fstring-syntax")


class _Lines:
    """Source text addressed by the AST's (line, UTF-8 byte column) positions."""

    def __init__(self, source: str):
        self.lines = [line.encode("utf-8") for line in source.splitlines(True)]

    def between(self, start: tuple, end: tuple) -> str:
        (l1, c1), (l2, c2) = start, end
        if l1 > l2 or l1 < 1 or l2 > len(self.lines):
            return ""
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2].decode("utf-8", "replace")
        parts = [self.lines[l1 - 1][c1:]] + self.lines[l1 : l2 - 1] + [self.lines[l2 - 1][:c2]]
        return b"".join(parts).decode("utf-8", "replace")

    def at(self, node: ast.AST) -> str:
        """The first character of `node` (a parenthesised tuple starts with its `(`)."""
        line = self.lines[node.lineno - 1] if 0 < node.lineno <= len(self.lines) else b""
        return line[node.col_offset : node.col_offset + 1].decode("utf-8", "replace")

    def before(self, node: ast.AST) -> str:
        """The nearest non-blank character before `node` (comments are not expected there)."""
        line, col = node.lineno, node.col_offset
        while line >= 1:
            text = self.lines[line - 1][:col].decode("utf-8", "replace").rstrip(" \t\r\n\\")
            if text:
                return text[-1]
            line -= 1
            col = len(self.lines[line - 1]) if line >= 1 else 0
        return ""


def _start(node) -> tuple:
    return node.lineno, node.col_offset


def _end(node) -> tuple:
    return node.end_lineno, node.end_col_offset


class _SyntaxLint(ast.NodeVisitor):
    def __init__(self, path: str, source: str, out: List[Finding]):
        self.path, self.out, self.src = path, out, _Lines(source)

    def add(self, node, rule: str, message: str) -> None:
        self.out.append(Finding(self.path, getattr(node, "lineno", 1), rule, message))

    def generic_visit(self, node):
        if type(node).__name__ == "Match":
            self.add(node, "match-statement", "Kybra's parser (RustPython, 2022) has no `match` statement: use if/elif")
        super().generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        self._with(node)
        self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self._with(node)
        self.generic_visit(node)

    def _with(self, node) -> None:
        items = node.items
        first = items[0].context_expr
        last = items[-1].optional_vars or items[-1].context_expr
        head = self.src.between((node.lineno, node.col_offset), _start(first))
        tail = self.src.between(_end(last), _start(node.body[0]))
        opened = "(" in head.split("with", 1)[-1]
        closed = tail.lstrip(" \t\r\n,\\").startswith(")")
        if opened and closed and (len(items) > 1 or items[0].optional_vars is not None):
            self.add(
                node,
                "parenthesized-with",
                "Kybra's parser (RustPython, 2022) has no "
                "parenthesised context managers: write `with a as x, b as y:` on one "
                "line, or nest the `with` statements",
            )

    def visit_Subscript(self, node: ast.Subscript) -> None:
        sl = node.slice
        bare = isinstance(sl, ast.Tuple) and self.src.at(sl) != "("
        elts = sl.elts if bare else [sl]
        if any(isinstance(e, ast.Starred) for e in elts):
            self.add(
                node,
                "starred-subscript",
                "Kybra's parser (RustPython, 2022) does not accept `*` inside `[...]` (PEP 646): build the tuple first",
            )
        for e in elts:
            if isinstance(e, ast.NamedExpr) and self.src.before(e) != "(":
                self.add(
                    e,
                    "walrus-position",
                    "Kybra's parser (RustPython, 2022) needs parentheses around `:=` in an index: write `a[(x := 1)]`",
                )
        self.generic_visit(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        if isinstance(node.elt, ast.NamedExpr) and self.src.before(node.elt) != "(":
            self.add(
                node.elt,
                "walrus-position",
                "Kybra's parser (RustPython, 2022) needs parentheses around `:=` as a set comprehension's element",
            )
        self.generic_visit(node)

    def visit_arguments(self, node: ast.arguments) -> None:
        if node.vararg is not None and isinstance(node.vararg.annotation, ast.Starred):
            self.add(
                node.vararg,
                "starred-subscript",
                "Kybra's parser (RustPython, 2022) does not accept `*args: *Ts` (PEP 646)",
            )
        self.generic_visit(node)


def fstring_problem(literal: str) -> Optional[str]:
    """Why one f-string literal (prefix and quotes included) is not 3.11 syntax, or None:
    the 2022 lexer ends it at the first unescaped closing quote and unescapes backslashes
    before the replacement fields are parsed; a `#` in a field is refused as CPython 3.11
    does."""
    i = 0
    while i < len(literal) and literal[i] not in "'\"":
        i += 1
    if "f" not in literal[:i].lower():
        return None
    quote = literal[i : i + 3] if literal[i : i + 3] in ('"""', "'''") else literal[i]
    body = literal[i + len(quote) : len(literal) - len(quote)]
    depth, j, raw = 0, 0, "r" in literal[:i].lower()
    while j < len(body):
        ch = body[j]
        if depth == 0:
            if ch == "\\" and not raw:
                j += 2
                continue
            if body.startswith(quote, j):
                return "the f-string's own quote appears inside it"
            if ch == "{":
                if body.startswith("{{", j):
                    j += 2
                    continue
                depth = 1
            j += 1
            continue
        if body.startswith(quote, j):
            return "the f-string's own quote is reused inside a replacement field"
        if ch == "\\":
            return "a backslash inside a replacement field"
        if ch == "#":
            return "a `#` inside a replacement field"
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        j += 1
    return None


def _fstring_literals(source: str):
    """(line, literal text) of every f-string token; on 3.12+ an f-string is a token run from
    FSTRING_START to its FSTRING_END."""
    lines = source.splitlines(True)
    start_type = getattr(tokenize, "FSTRING_START", None)
    end_type = getattr(tokenize, "FSTRING_END", None)
    stack = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if start_type is not None and tok.type == start_type:
                stack.append(tok.start)
            elif end_type is not None and tok.type == end_type and stack:
                (l1, c1), (l2, c2) = stack.pop(), tok.end
                if stack:
                    continue  # a nested f-string is part of the outer literal
                if l1 == l2:
                    text = lines[l1 - 1][c1:c2]
                else:
                    text = lines[l1 - 1][c1:] + "".join(lines[l1 : l2 - 1]) + lines[l2 - 1][:c2]
                yield l1, text
            elif tok.type == tokenize.STRING and not stack:
                yield tok.start[0], tok.string
    except (tokenize.TokenError, SyntaxError):
        return


def syntax_findings(path: str, source: str, tree: ast.Module) -> List[Finding]:
    """Findings for one module that CPython has parsed (see the table above)."""
    out: List[Finding] = []
    _SyntaxLint(path, source, out).visit(tree)
    for line, literal in _fstring_literals(source):
        problem = fstring_problem(literal)
        if problem:
            out.append(
                Finding(
                    path,
                    line,
                    "fstring-syntax",
                    f"Kybra's parser (RustPython, "
                    f"2022) cannot read this f-string: {problem} (Python 3.12 "
                    "syntax); use other quotes or compute the value first",
                )
            )
    return out
