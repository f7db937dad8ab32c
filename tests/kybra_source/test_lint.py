"""Each lint rule catches a bad example (rule id, file and line) and passes a good one.

In a bad example the line marked `# <-` is where the finding must point. A good example must
produce no finding at all."""

import textwrap

import pytest

from localnet.kybra_source import lint
from localnet.kybra_source.bundle import BundleError, SourceBundle
from localnet.kybra_source.layouts import write_layout
from localnet.kybra_source.lint import lint_paths

H = "from kybra import *\n"
M = "src/c/main.py"

Q = (
    H
    + """
@query
def ping() -> str:
    return "pong"
"""
)

CASES = {
    "syntax": (
        {M: H + "def f() -> None:\n    try:\n        pass\n    except* ValueError:  # <-\n        pass\n"},
        {M: H + "def f() -> None:\n    try:\n        pass\n    except ValueError:\n        pass\n"},
    ),
    "unsupported-type": (
        {M: H + "@query\ndef f(x: float) -> str:  # <-\n    return ''\n"},
        {M: H + "@query\ndef f(x: float64) -> str:\n    return ''\n"},
    ),
    "invalid-subscriptable": (
        {M: H + "@query\ndef f() -> list[str]:  # <-\n    return []\n"},
        {M: H + "@query\ndef f() -> Vec[str]:\n    return []\n"},
    ),
    "unknown-type": (
        {M: H + "@query\ndef f() -> Missing:  # <-\n    return {}\n"},
        {M: H + "class Found(Record):\n    a: nat\n@query\ndef f() -> Found:\n    return {}\n"},
    ),
    "record-member": (
        {M: H + "class R(Record):\n    '''doc'''  # <-\n    a: nat\n"},
        {M: H + "class R(Record):\n    a: nat\n"},
    ),
    "service-member": (
        {M: H + "class S(Service):\n    x: nat  # <-\n    @service_query\n    def get(self) -> nat: ...\n"},
        {M: H + "class S(Service):\n    @service_query\n    def get(self) -> nat: ...\n"},
    ),
    "service-decorator": (
        {M: H + "class S(Service):\n    def get(self) -> nat: ...  # <-\n"},
        {M: H + "class S(Service):\n    @service_update\n    def get(self) -> nat: ...\n"},
    ),
    "self-param": (
        {M: H + "@query\ndef f(self) -> str:  # <-\n    return ''\n"},
        {M: H + "@query\ndef f() -> str:\n    return ''\n"},
    ),
    "param-kind": (
        {M: H + "@query\ndef f(*names: str) -> str:  # <-\n    return ''\n"},
        {M: H + "@query\ndef f(names: Vec[str]) -> str:\n    return ''\n"},
    ),
    "too-many-params": (
        {M: H + "@query\ndef f(a: nat, b: nat, c: nat, d: nat, e: nat, g: nat) -> nat:  # <-\n    return a\n"},
        {M: H + "@query\ndef f(a: nat, b: nat, c: nat, d: nat, e: nat) -> nat:\n    return a\n"},
    ),
    "missing-annotation": (
        {M: H + "@query\ndef f(a) -> nat:  # <-\n    return a\n"},
        {M: H + "@query\ndef f(a: nat) -> nat:\n    return a\n"},
    ),
    "init-return-void": (
        {M: H + "@init\ndef setup(owner: Principal) -> str:  # <-\n    return ''\n"},
        {M: H + "@init\ndef setup(owner: Principal) -> void:\n    pass\n"},
    ),
    "multiple-system-methods": (
        {M: H + "@init\ndef a() -> void:\n    pass\n@init\ndef b() -> void:  # <-\n    pass\n"},
        {M: H + "@init\ndef a() -> void:\n    pass\n@post_upgrade\ndef b() -> void:\n    pass\n"},
    ),
    "duplicate-method": (
        {M: H + "@query\ndef a() -> nat:\n    return 1\n@update\ndef a() -> nat:  # <-\n    return 2\n"},
        {M: H + "@query\ndef a() -> nat:\n    return 1\n@update\ndef b() -> nat:\n    return 2\n"},
    ),
    "guard-reference": (
        {
            M: H + "import src.common.guards as g\n@update(guard=g.is_owner)\ndef a() -> nat:  # <-\n    return 1\n",
            "src/common/guards.py": H + "def is_owner() -> GuardResult:\n    return {'Ok': None}\n",
        },
        {
            M: H + "from src.common.guards import is_owner\n@update(guard=is_owner)\ndef a() -> nat:\n    return 1\n",
            "src/common/guards.py": H + "def is_owner() -> GuardResult:\n    return {'Ok': None}\n",
        },
    ),
    "guard-params": (
        {M: H + "def allow(x: nat) -> GuardResult:  # <-\n    return {'Ok': None}\n"},
        {M: H + "def allow() -> GuardResult:\n    return {'Ok': None}\n"},
    ),
    "unknown-guard": (
        {M: H + "def allow():\n    return {'Ok': None}\n@update(guard=allow)\ndef a() -> nat:  # <-\n    return 1\n"},
        {
            M: H
            + "def allow() -> GuardResult:\n    return {'Ok': None}\n@update(guard=allow)\ndef a() -> nat:\n    return 1\n"
        },
    ),
    "func-format": (
        {M: H + "Callback = Func(Query[str, str])  # <-\n"},
        {M: H + "Callback = Func(Query[[str], str])\n"},
    ),
    "module-assignment": (
        {M: H + "LIMIT, PAGE = 100, 10  # <-\n"},
        {M: H + "LIMIT = 100\nPAGE = 10\n"},
    ),
    "duplicate-type-name": (
        {
            M: H + "from src.common.models import Thing\nclass Item(Record):\n    a: nat\n",
            "src/common/models.py": H + "class Item(Record):  # <-\n    b: nat\nclass Thing(Record):\n    c: nat\n",
        },
        {
            M: H + "from src.common.models import Thing\nclass Item(Record):\n    a: nat\n",
            "src/common/models.py": H + "class Thing(Record):\n    c: nat\n",
        },
    ),
    "recursive-alias": (
        {M: H + "Chain = Alias[Vec['Chain']]  # <-\n"},
        {M: H + "class Chain(Record):\n    next: Vec['Chain']\n"},
    ),
    "stable-map-format": (
        {M: H + "m = StableBTreeMap[str](memory_id=0, max_key_size=10, max_value_size=10)  # <-\n"},
        {M: H + "m = StableBTreeMap[str, nat](memory_id=0, max_key_size=10, max_value_size=10)\n"},
    ),
    "stable-map-memory-id": (
        {M: H + "m = StableBTreeMap[str, nat](memory_id=255, max_key_size=10, max_value_size=10)  # <-\n"},
        {M: H + "m = StableBTreeMap[str, nat](memory_id=254, max_key_size=10, max_value_size=10)\n"},
    ),
    "stable-map-size": (
        {M: H + "m = StableBTreeMap[str, nat](memory_id=1, max_key_size=10)  # <-\n"},
        {M: H + "m = StableBTreeMap[str, nat](memory_id=1, max_key_size=10, max_value_size=100)\n"},
    ),
    "async-method": (
        {M: H + "@update\nasync def f() -> nat:  # <-\n    return 1\n"},
        {M: H + "@update\ndef f() -> Async[nat]:\n    return 1\n    yield\n"},
    ),
    "qualified-decorator": (
        {M: H + "import kybra\n@kybra.query  # <-\ndef f() -> nat:\n    return 1\n"},
        {M: H + "@query\ndef f() -> nat:\n    return 1\n"},
    ),
    "private-method": (
        {M: H + "@query\ndef _hidden() -> nat:  # <-\n    return 1\n"},
        {M: H + "@query\ndef shown() -> nat:\n    return 1\n"},
    ),
    "method-not-exported": (
        {
            M: Q + "import src.common.extra\n",
            "src/common/extra.py": H + "@query\ndef extra() -> nat:  # <-\n    return 1\n",
        },
        {
            M: Q + "from src.common.extra import extra\n",
            "src/common/extra.py": H + "@query\ndef extra() -> nat:\n    return 1\n",
        },
    ),
    "variant-total": (
        {M: H + "class V(Variant):  # <-\n    A: null\n"},
        {M: H + "class V(Variant, total=False):\n    A: null\n"},
    ),
    "qualified-type-base": (
        {M: H + "import kybra\nclass R(kybra.Record):  # <-\n    a: nat\n"},
        {M: H + "class R(Record):\n    a: nat\n"},
    ),
    "aliased-kybra-import": (
        {M: "from kybra import Record as R, nat  # <-\nclass X(R):\n    a: nat\n"},
        {M: "from kybra import Record, nat\nclass X(Record):\n    a: nat\n"},
    ),
    "module-basename-clash": (
        {
            M: H + "import src.a.util\nimport src.b.util\n",
            "src/a/util.py": "A = 1\n",
            "src/b/util.py": "B = 2  # <-\n",
            "src/a/__init__.py": "",
            "src/b/__init__.py": "",
        },
        {
            M: H + "import src.a.util_a\nimport src.b.util_b\n",
            "src/a/util_a.py": "A = 1\n",
            "src/b/util_b.py": "B = 2\n",
            "src/a/__init__.py": "",
            "src/b/__init__.py": "",
        },
    ),
    "namespace-package": (
        {M: H + "from src.a.util import A  # <-\n", "src/a/util.py": "A = 1\n"},
        {M: H + "from src.a.util import A\n", "src/a/util.py": "A = 1\n", "src/a/__init__.py": ""},
    ),
    "third-party-import": (
        {M: H + "import json\nimport cbor2  # <-\n"},
        {M: H + "import json\n"},
    ),
    "reserved-module-name": (
        {M: H + "import src.common.principal\n", "src/common/principal.py": "X = 1  # <-\n"},
        {M: H + "import src.common.principal_ids\n", "src/common/principal_ids.py": "X = 1\n"},
    ),
    "broken-stdlib-import": (
        {M: H + "from http import client  # <-\n"},
        {M: H + "from http import HTTPStatus\nimport json\n"},
    ),
    "dict-unpacking": (
        {M: H + "def merge(d):\n    return {**d, 'a': 1}  # <-\n"},
        {M: H + "def merge(d):\n    out = dict(d)\n    out['a'] = 1\n    return out\n"},
    ),
    "print-call": (
        {M: H + "@query\ndef f() -> nat:\n    print('hi')  # <-\n    return 1\n"},
        {M: H + "@query\ndef f() -> nat:\n    ic.print('hi')\n    return 1\n"},
    ),
}


def _marked(files):
    for path, src in files.items():
        for i, line in enumerate(src.splitlines(), 1):
            if "# <-" in line:
                return path, i
    raise AssertionError("bad example without a `# <-` marker")


def _lint(write_project, monkeypatch, files):
    """Findings for src/c/main.py, its stable maps recorded first (layout rules: test_layouts)."""
    root = write_project(files)
    monkeypatch.chdir(root)
    try:
        write_layout(SourceBundle.from_entry(M))
    except BundleError:
        pass
    return lint_paths([M])


def test_every_documented_rule_has_a_case():
    documented = {
        line.split("|")[1].strip()
        for line in lint.__doc__.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() not in ("rule", "---")
    }
    assert documented == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_catches_bad_example(rule, write_project, monkeypatch):
    bad, _ = CASES[rule]
    findings = _lint(write_project, monkeypatch, bad)
    path, line = _marked(bad)
    hits = [f for f in findings if f.rule == rule]
    assert [(f.path, f.line) for f in hits] == [(path, line)], findings


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_passes_good_example(rule, write_project, monkeypatch):
    _, good = CASES[rule]
    assert _lint(write_project, monkeypatch, good) == []


def test_stable_map_ids_must_be_literal_and_unique(write_project, monkeypatch):
    src = H + textwrap.dedent("""
        ID = 1
        a = StableBTreeMap[str, nat](memory_id=0, max_key_size=10, max_value_size=10)
        b = StableBTreeMap[str, nat](memory_id=0, max_key_size=10, max_value_size=10)
        c = StableBTreeMap[str, nat](memory_id=ID, max_key_size=10, max_value_size=10)
        d = StableBTreeMap[str, nat](2, 10, max_value_size=-1)
        """)
    findings = _lint(write_project, monkeypatch, {M: src})
    got = [(f.line, f.rule) for f in findings]
    assert got == [(5, "stable-map-memory-id"), (6, "stable-map-memory-id"), (7, "stable-map-size")]
    assert "already used by `a`" in findings[0].message
    assert "integer literal" in findings[1].message


def test_record_default_and_variant_ellipsis_are_members_errors(write_project, monkeypatch):
    src = H + "class R(Record):\n    a: nat = 1\n    ...\nclass V(Variant, total=False):\n    A: null\n    ...\n"
    findings = _lint(write_project, monkeypatch, {M: src})
    # a record may hold `...` (kybra skips it), a variant may not; defaults are ignored by Kybra
    assert [(f.line, f.rule) for f in findings] == [(3, "record-member"), (7, "record-member")]
    assert "default value" in findings[0].message


def test_module_assignment_forms(write_project, monkeypatch):
    src = H + "import types as t\nx = y = 1\nt.z = 2\nD = {}\nD['k'] = 3\nw: nat = 4\nw += 1\n"
    findings = _lint(write_project, monkeypatch, {M: src})
    assert [(f.line, f.rule) for f in findings] == [
        (3, "module-assignment"),
        (4, "module-assignment"),
        (6, "module-assignment"),
    ]


def test_finding_format_and_cli_exit_codes(write_project, monkeypatch, capsys):
    root = write_project({M: H + "import pathlib\n"})
    monkeypatch.chdir(root)
    assert lint.main([M]) == 1
    out = capsys.readouterr()
    assert out.out.strip() == (
        "src/c/main.py:2: broken-stdlib-import: `pathlib` does not work under Kybra's RustPython"
    )
    assert "1 finding(s)" in out.err
    (root / M).write_text(Q)
    assert lint.main(["src"]) == 0
    assert lint.main(["missing/dir"]) == 2
    assert "no such file or directory: missing/dir" in capsys.readouterr().err


def test_lint_paths_on_a_directory_finds_each_canister_entry(write_project, monkeypatch):
    root = write_project(
        {"src/a/main.py": H + "print(1)\n", "src/b/main.py": H + "print(2)\n", "src/b/helper.py": "print(3)\n"}
    )
    monkeypatch.chdir(root)
    # helper.py is not imported by any entry, so it is not part of any canister
    assert [(f.path, f.rule) for f in lint_paths(["src"])] == [
        ("src/a/main.py", "print-call"),
        ("src/b/main.py", "print-call"),
    ]


@pytest.mark.parametrize(
    "annotation, rule",
    [
        ("float", "unsupported-type"),
        ("bytes", "unsupported-type"),
        ("dict", "unsupported-type"),
        ("list", "unsupported-type"),
        ("None", "unsupported-type"),
        ("kybra.nat", "unsupported-type"),
        ("Optional[str]", "invalid-subscriptable"),
        ("list[str]", "invalid-subscriptable"),
        ("dict[str, nat]", "invalid-subscriptable"),
        ("Vec[float]", "unsupported-type"),
        ("Opt['Nowhere']", "unknown-type"),
        ("Func(Query[[nat]])", "func-format"),
        ("Func(Call[[nat], nat])", "func-format"),
    ],
)
def test_unsupported_annotations(annotation, rule, write_project, monkeypatch):
    src = H + f"import kybra\nfrom typing import Optional\n@query\ndef f(x: {annotation}) -> nat:\n    return 1\n"
    findings = _lint(write_project, monkeypatch, {M: src})
    assert [(f.line, f.rule) for f in findings] == [(5, rule)]


def test_service_method_parameter_rules(write_project, monkeypatch):
    src = H + textwrap.dedent("""
        class S(Service):
            @service_query
            def many(self, a: nat, b: nat, c: nat, d: nat, e: nat, f: nat) -> nat: ...
            @service_update
            def no_self(a: nat) -> nat: ...
            @service_query
            @service_update
            def twice(self) -> nat: ...
            @service_query
            def fine(self, a: nat, b: nat, c: nat, d: nat, e: nat) -> nat: ...
        """)
    findings = _lint(write_project, monkeypatch, {M: src})
    assert [(f.line, f.rule) for f in findings] == [
        (5, "too-many-params"),
        (7, "self-param"),
        (10, "service-decorator"),
    ]
