"""Rules for what Kybra 0.7.1's own tools refuse beyond the Candid rules: the 2022 RustPython
parser (syntax.py), the names `from main import *` binds (exports.py), Rust item names
(rust_names.py) and third-party modules the bundler reaches (third_party.py). Each rule has
a bad example (the finding must point at the `# <-` line) and a good one (no finding)."""

import sys

import pytest
from test_lint import H, M, _lint, _marked

from localnet.kybra_source import exports, rust_names, syntax, third_party
from localnet.kybra_source.syntax import fstring_problem

PKG = {"src/c/__init__.py": ""}

CASES = {
    "match-statement": (
        {M: H + "def f(x):\n    match x:  # <-\n        case 1:\n            return 1\n    return 0\n"},
        {M: H + "def f(x, res):\n    match = 1\n    return match(res, {'Ok': lambda v: v})\n"},
    ),
    "parenthesized-with": (
        {M: H + "def f(a, b):\n    with (a as x, b as y):  # <-\n        pass\n"},
        {M: H + "def f(a, b):\n    with a as x, b as y:\n        pass\n    with (a) as z:\n        pass\n"},
    ),
    "starred-subscript": (
        {M: H + "def f(a, b):\n    return a[1, *b]  # <-\n"},
        {M: H + "def f(a, b):\n    return a[(1, *b)]\n"},
    ),
    "walrus-position": (
        {M: H + "def f(a):\n    return a[i := 1]  # <-\n"},
        {M: H + "def f(a):\n    return a[(i := 1)], {(j := k) for k in a}, {n := 1, 2}\n"},
    ),
    "method-not-exported": (
        {
            M: H
            + "__all__ = ['a']\n@query\ndef a() -> nat:\n    return 1\n@query\ndef b() -> nat:  # <-\n    return 2\n"
        },
        {M: H + "__all__ = ['a', 'b']\n@query\ndef a() -> nat:\n    return 1\n@query\ndef b() -> nat:\n    return 2\n"},
    ),
    "guard-not-exported": (
        {
            M: H + "from src.c.ops import run\n",
            **PKG,
            "src/c/guards.py": H + "def is_owner() -> GuardResult:\n    return {'Ok': None}\n",
            "src/c/ops.py": H
            + "from src.c.guards import is_owner\n@update(guard=is_owner)\ndef run() -> nat:  # <-\n    return 1\n",
        },
        {
            M: H + "from src.c.ops import run\nfrom src.c.guards import is_owner\n",
            **PKG,
            "src/c/guards.py": H + "def is_owner() -> GuardResult:\n    return {'Ok': None}\n",
            "src/c/ops.py": H
            + "from src.c.guards import is_owner\n@update(guard=is_owner)\ndef run() -> nat:\n    return 1\n",
        },
    ),
    "dynamic-all": (
        {M: H + "__all__ = ['ping'] + []  # <-\n@query\ndef ping() -> nat:\n    return 1\n"},
        {M: H + "__all__ = ('ping',)\n@query\ndef ping() -> nat:\n    return 1\n"},
    ),
    "rust-name-clash": (
        {M: H + "class Result(Variant, total=False):  # <-\n    Ok: nat\n    Err: str\n"},
        {M: H + "class RunResult(Variant, total=False):\n    Ok: nat\n    Err: str\n"},
    ),
}
DOCUMENTED = {
    m: {
        line.split("|")[1].strip()
        for line in m.__doc__.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() not in ("rule", "---")
    }
    for m in (syntax, exports, rust_names)
}


def test_every_documented_rule_has_a_case():
    lint_only = DOCUMENTED[syntax] - {"fstring-syntax"}  # only Python >= 3.12 gets that far
    assert set(CASES) == lint_only | DOCUMENTED[exports] | DOCUMENTED[rust_names]
    assert set(syntax.RULES) == DOCUMENTED[syntax]


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_catches_bad_example(rule, write_project, monkeypatch):
    bad, _ = CASES[rule]
    findings = _lint(write_project, monkeypatch, bad)
    assert [(f.path, f.line) for f in findings if f.rule == rule] == [_marked(bad)], findings


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_passes_good_example(rule, write_project, monkeypatch):
    _, good = CASES[rule]
    assert _lint(write_project, monkeypatch, good) == []


def test_a_private_guard_is_not_exported(write_project, monkeypatch):
    src = (
        H
        + "def _owner() -> GuardResult:\n    return {'Ok': None}\n@update(guard=_owner)\ndef run() -> nat:\n    return 1\n"
    )
    findings = _lint(write_project, monkeypatch, {M: src})
    assert [(f.line, f.rule) for f in findings] == [(5, "guard-not-exported")]
    assert "starts with `_`" in findings[0].message


def test_star_imports_bind_what_python_binds(write_project, monkeypatch):
    files = {
        M: H + "from src.c.ops import *\n",
        **PKG,
        "src/c/ops.py": H + "from src.c.guards import is_owner\n__all__ = ['run']\n"
        "@update(guard=is_owner)\ndef run() -> nat:\n    return 1\n"
        "@query\ndef hidden() -> nat:  # <-\n    return 2\n",
        "src/c/guards.py": H + "def is_owner() -> GuardResult:\n    return {'Ok': None}\n",
    }
    findings = _lint(write_project, monkeypatch, files)
    assert sorted((f.path, f.line, f.rule) for f in findings) == [
        ("src/c/ops.py", 5, "guard-not-exported"),
        ("src/c/ops.py", 8, "method-not-exported"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Box",
        "String",
        "Option",
        "Vec",
        "Ok",
        "Self",
        "match",
        "Ic",
        "UnwrapOrTrap",
        "Encode",
        "StableBTreeMap3KeyType",
        "candid",
    ],
)
def test_rust_name_clashes(name, write_project, monkeypatch):
    findings = _lint(
        write_project, monkeypatch, {M: H + f"class {name}(Record):\n    a: nat\n{name}_list = Vec[{name}]\n"}
    )
    assert [(f.line, f.rule) for f in findings] == [(2, "rust-name-clash")], findings


def test_rust_name_clash_covers_aliases_and_tuples(write_project, monkeypatch):
    src = H + "String = Alias[text]\nOption = Tuple[nat, text]\nIc = Func(Query[[], nat])\n"
    findings = _lint(write_project, monkeypatch, {M: src})
    assert [(f.line, f.rule) for f in findings] == [
        (2, "rust-name-clash"),
        (3, "rust-name-clash"),
        (4, "rust-name-clash"),
    ]


@pytest.mark.parametrize(
    "literal, problem",
    [
        ('f"{d["a"]}"', "own quote is reused"),
        ("f'{x!r:>{w}} {d[\"a\"]}'", None),
        ("f\"{chr(10)} {'\\\\n'.join(x)}\"", "backslash"),
        ('f"""{x # c\n}"""', "`#`"),
        ('f"{{x}} \\" ok {y}"', None),
        ('rf"\\d{x}"', None),
        ('b"not an f-string {"', None),
    ],
)
def test_fstring_problems(literal, problem):
    got = fstring_problem(literal)
    assert (got is None) if problem is None else (problem in got)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Python < 3.12 refuses PEP 701 f-strings itself (rule `syntax`)")
def test_pep701_fstrings_are_refused_on_newer_pythons(write_project, monkeypatch):
    findings = _lint(write_project, monkeypatch, {M: H + 'X = f"{"a"}"\n'})
    assert [(f.line, f.rule) for f in findings] == [(2, "fstring-syntax")]


def test_third_party_modules_are_parsed_too(write_project, monkeypatch):
    files = {
        M: H + "import thirdpkg\nfrom othermod import helper\n",
        "site/thirdpkg/__init__.py": "from thirdpkg import inner\n",
        "site/thirdpkg/inner.py": "def f(x):\n    match x:  # <-\n        case _:\n            return 1\n",
        "site/othermod.py": "try:\n    pass\nexcept* ValueError:  # <-\n    pass\n",
    }
    root = write_project(files)
    monkeypatch.setattr(third_party, "site_dirs", lambda: [str(root / "site")])
    findings = _lint(write_project, monkeypatch, files)
    assert sorted((f.path, f.line, f.rule) for f in findings) == [
        ("site/othermod.py", 3, "syntax"),
        ("site/thirdpkg/inner.py", 2, "match-statement"),
    ]
    assert "third-party" in next(f for f in findings if f.rule == "syntax").message


def test_stdlib_and_kybra_are_not_third_party(write_project, monkeypatch):
    files = {M: H + "import json\nimport kybra.canisters.management\nfrom typing import Any\n"}
    assert _lint(write_project, monkeypatch, files) == []
