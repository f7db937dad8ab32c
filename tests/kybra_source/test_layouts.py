"""The committed stable-map layouts (candid/layouts/<canister>.json): `localnet layout`
records new memory ids, and `localnet lint` fails on any change to a recorded entry (a type
or a max size, up or down) and on a removed one."""

import json
import os

import pytest

from localnet.cli import main as cli_main
from localnet.kybra_source import layouts
from localnet.kybra_source.lint import lint_paths

M = "src/c/main.py"
LAYOUT = "candid/layouts/c.json"
H = "from kybra import *\n"
BASE = (
    H
    + """
class Item(Record):
    name: str
    price: nat64

class Tree(Variant, total=False):
    Leaf: nat
    Node: Vec["Tree"]

items = StableBTreeMap[nat64, Item](memory_id=0, max_key_size=20, max_value_size=200)
names = StableBTreeMap[str, str](memory_id=1, max_key_size=40, max_value_size=100)
trees = StableBTreeMap[nat8, Tree](memory_id=2, max_key_size=10, max_value_size=500)
"""
)


@pytest.fixture
def project(write_project, monkeypatch):
    root = write_project({M: BASE})
    monkeypatch.chdir(root)
    assert cli_main(["layout", M]) == 0
    return root


def _line(source, needle):
    return next(i for i, text in enumerate(source.splitlines(), 1) if needle in text)


def _rules(root, source):
    (root / M).write_text(source)
    return [(f.path, f.line, f.rule) for f in lint_paths([M])]


def test_layout_file_records_types_and_sizes(project):
    doc = json.loads((project / LAYOUT).read_text())
    assert doc["0"] == {
        "name": "items",
        "key": "nat64",
        "value": "record { name : text; price : nat64 }",
        "max_key_size": 20,
        "max_value_size": 200,
        "types": {},
    }
    assert doc["2"]["value"] == "variant { Leaf : nat; Node : vec Tree }"
    assert doc["2"]["types"] == {"Tree": "variant { Leaf : nat; Node : vec Tree }"}
    assert lint_paths([M]) == []


@pytest.mark.parametrize(
    "old, new",
    [
        ("max_value_size=200", "max_value_size=300"),  # raised: traps after the upgrade
        ("max_value_size=200", "max_value_size=100"),  # lowered: reads at wrong offsets
        ("max_key_size=20, max_value_size=200", "max_key_size=30, max_value_size=200"),
        ("StableBTreeMap[nat64, Item]", "StableBTreeMap[nat32, Item]"),  # key type
        ("    price: nat64\n", "    price: nat64\n    tag: Opt[str]\n"),  # value type (Record)
    ],
)
def test_any_change_of_a_recorded_entry_fails(project, old, new):
    assert old in BASE
    src = BASE.replace(old, new)
    assert _rules(project, src) == [(M, _line(src, "memory_id=0"), "stable-layout-changed")]


def test_a_changed_recursive_type_fails(project):
    src = BASE.replace("    Leaf: nat\n", "    Leaf: text\n")
    assert _rules(project, src) == [(M, _line(src, "memory_id=2"), "stable-layout-changed")]


def test_reordering_record_members_is_no_change(project):
    src = BASE.replace("    name: str\n    price: nat64\n", "    price: nat64\n    name: str\n")
    assert _rules(project, src) == []


def test_a_removed_entry_fails_and_points_at_the_layout_file(project):
    src = BASE.replace("names = StableBTreeMap[str, str](memory_id=1, max_key_size=40, max_value_size=100)\n", "")
    got = _rules(project, src)
    line = next(
        i for i, text in enumerate((project / LAYOUT).read_text().splitlines(), 1) if text.strip().startswith('"1"')
    )
    assert got == [(LAYOUT, line, "stable-layout-removed")]


def test_a_new_memory_id_is_fine_once_recorded(project, capsys):
    src = BASE + "extra = StableBTreeMap[str, nat](memory_id=3, max_key_size=9, max_value_size=9)\n"
    assert _rules(project, src) == [(M, _line(src, "memory_id=3"), "stable-layout-unrecorded")]
    assert cli_main(["layout", M]) == 0
    assert "wrote candid/layouts/c.json" in capsys.readouterr().out
    assert json.loads((project / LAYOUT).read_text())["3"]["key"] == "text"
    assert lint_paths([M]) == []


def test_layout_refuses_to_rewrite_a_changed_entry(project, capsys):
    before = (project / LAYOUT).read_text()
    (project / M).write_text(BASE.replace("max_key_size=40", "max_key_size=50"))
    assert cli_main(["layout", M]) == 1
    assert "stable-layout-changed" in capsys.readouterr().err
    assert (project / LAYOUT).read_text() == before


def test_a_canister_without_layout_file_is_unrecorded(project):
    os.remove(project / LAYOUT)
    assert {r for _, _, r in _rules(project, BASE)} == {"stable-layout-unrecorded"}


def test_every_layout_rule_is_documented():
    documented = {
        line.split("|")[1].strip()
        for line in layouts.__doc__.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() not in ("rule", "---")
    }
    assert documented == {"stable-layout-changed", "stable-layout-removed", "stable-layout-unrecorded"}


def test_committed_layouts_match_the_source():
    """candid/layouts/ holds every map of every src/<canister>/main.py, unchanged."""
    from localnet.kybra_source.bundle import SourceBundle
    from localnet.kybra_source.did import canister_entries

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name, entry in canister_entries(root).items():
        bundle = SourceBundle.from_entry(entry, root)
        assert layouts.layout_findings(bundle) == [], name


def test_only_src_canisters_have_layouts(write_project, monkeypatch):
    """Test fixtures (any entry but src/<canister>/main.py) are not deployed: no layout."""
    fixture = "tests/canisters/f/main.py"
    root = write_project({fixture: BASE})
    monkeypatch.chdir(root)
    assert lint_paths([fixture]) == []
    assert cli_main(["layout", fixture]) == 0
    assert not (root / "candid").exists()
