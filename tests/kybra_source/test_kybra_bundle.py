"""localnet's bundle holds exactly the modules Kybra 0.7.1's own bundler freezes (issue 15.2).

Each canister is bundled twice: by localnet (SourceBundle.from_entry) and by the kybra
wheel's `bundle_python_code` under Python 3.10 (kybra_bundler.py). Both the importable
modules (py_freeze's names over Kybra's python_source tree, each traced to its source file)
and the modules kybra_generate parses must be the same. Needs a Python 3.10 (found, never
downloaded); without one the tests skip, except with CI=true where they fail.
"""

import glob
import json
import os

import pytest

from localnet.kybra_source.bundle import BundleError, SourceBundle
from localnet.kybra_source.kybra_bundler import KybraUnavailable, compare, kybra_tree, kybra_trees, venv_python
from localnet.kybra_source.lint import lint_paths
from localnet.runtime import Network

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _canister_entries():
    with open(os.path.join(ROOT, "dfx.json"), encoding="utf-8") as f:
        dfx = json.load(f)
    entries = {c["main"] for c in dfx["canisters"].values() if c.get("type") == "kybra"}
    entries |= {os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "src", "*", "main.py"))}
    for pattern in ("tests/canisters/*/main.py", "tests/*/canisters/*/main.py", "tests/*/*/main.py"):
        entries |= {os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, pattern))}
    entries.discard("tests/canisters/namespace_pkg/main.py")  # refused: see below
    return sorted(entries)


@pytest.fixture(scope="module")
def kybra_python():
    try:
        return venv_python(ROOT)
    except KybraUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {e}")
        pytest.skip(str(e))


def test_every_dfx_canister_is_compared():
    entries = _canister_entries()
    for name in (
        "src/user_payment_canister/main.py",
        "src/payment_backend/main.py",
        "src/icrc_ledger/main.py",
        "src/exchange_rate/main.py",
        "src/asset_canister/main.py",
        "tests/canisters/counter/main.py",
    ):
        assert name in entries


@pytest.fixture(scope="module")
def kybra_trees_of_canisters(kybra_python):
    return kybra_trees([os.path.join(ROOT, e) for e in _canister_entries()], ROOT, python=kybra_python)


@pytest.mark.parametrize("entry", _canister_entries())
def test_localnet_bundle_is_kybras(entry, kybra_trees_of_canisters):
    path = os.path.join(ROOT, entry)
    diffs, sizes = compare(path, ROOT, tree=kybra_trees_of_canisters[path])
    assert diffs == {}, f"{entry}: {{what: (only Kybra's, only localnet's)}} = {diffs}"
    assert sizes["reached"] >= 1


def test_merchant_tree_is_importable_in_kybra(kybra_trees_of_canisters):
    tree = kybra_trees_of_canisters[os.path.join(ROOT, "src/user_payment_canister/main.py")]
    frozen = tree.project_frozen()
    assert tree.namespace_packages() == []
    assert frozen["main"] == "src/user_payment_canister/main.py"
    assert frozen["src.user_payment_canister"] == "src/user_payment_canister/__init__.py"
    assert frozen["src.user_payment_canister.checkout_sessions"] == "src/user_payment_canister/checkout_sessions.py"
    # the whole src/ package is copied; every reached module is also frozen by file name
    assert frozen["src.icrc_ledger.main"] == "src/icrc_ledger/main.py"
    assert frozen["validation"] == "src/common/validation.py"


TRICKY = {
    "src/c/main.py": """
        from kybra import query
        import helpers
        from src.common import money
        from src.common.deep import leaf
        import src.common.lazy_user
        try:
            import optional_missing
        except ImportError:
            optional_missing = None

        def later() -> None:
            from src.common import inner_lazy
        """,
    "src/c/helpers.py": "import src.common.rounding\n",
    "src/common/money.py": "from . import rounding\n",
    "src/common/rounding.py": "R = 2\n",
    "src/common/deep/__init__.py": "from .leaf import LEAF\n",
    "src/common/deep/leaf.py": "LEAF = 1\n",
    "src/common/lazy_user.py": "import json\n",
    "src/common/inner_lazy.py": "X = 1\n",
    "src/common/unused.py": "U = 1\n",
    "src/common/data/notes.py": "N = 1\n",  # a directory without __init__.py, not imported
    "src/other/__init__.py": "",
    "src/other/x.py": "X = 1\n",
}


def test_tricky_imports_match_kybra(write_project, kybra_python):
    root = write_project(TRICKY)
    entry = str(root / "src/c/main.py")
    diffs, _ = compare(entry, str(root), python=kybra_python)
    assert diffs == {}
    b = SourceBundle.from_entry(entry)
    assert {"helpers", "src.common.inner_lazy", "src.common.deep.leaf"} <= set(b.modules)
    assert "src.common.unused" not in b.modules  # not parsed by kybra_generate...
    assert b.frozen["src.common.unused"] == "src/common/unused.py"  # ...but importable
    assert b.frozen["src.other.x"] == "src/other/x.py"
    assert b.frozen["rounding"] == b.frozen["src.common.rounding"]  # flat copy by file name
    assert "src.common.data.notes" not in b.frozen  # frozen by Kybra, but not importable
    assert "src.c.helpers" not in b.frozen and b.frozen["helpers"] == "src/c/helpers.py"


NAMESPACE_ENTRY = os.path.join(ROOT, "tests/canisters/namespace_pkg/main.py")


def test_kybra_cannot_import_a_namespace_package(kybra_python):
    tree = kybra_tree(NAMESPACE_ENTRY, ROOT, python=kybra_python)
    assert tree.namespace_packages() == ["ns_helpers"]
    assert tree.frozen["ns_helpers.tools"] == "ns_helpers/tools.py"  # py_freeze compiles it,
    assert "ns_helpers" not in tree.frozen  # but there is no package to import it from
    assert "ns_helpers.tools" not in tree.importable()


def test_localnet_refuses_a_namespace_package():
    with pytest.raises(BundleError) as e:
        SourceBundle.from_entry(NAMESPACE_ENTRY, ROOT)
    assert e.value.rule == "namespace-package"
    assert (e.value.path, e.value.line) == ("tests/canisters/namespace_pkg/main.py", 6)
    assert "ns_helpers/__init__.py" in e.value.message
    [finding] = lint_paths([NAMESPACE_ENTRY])
    assert finding.rule == "namespace-package" and finding.line == 6
    with pytest.raises(BundleError, match="namespace package"):
        Network().deploy(NAMESPACE_ENTRY, project_root=ROOT)


def test_a_subpackage_without_init_is_refused(write_project):
    root = write_project({"src/c/main.py": "from src.common.sub import tools\n", "src/common/sub/tools.py": "X = 1\n"})
    with pytest.raises(BundleError) as e:
        SourceBundle.from_entry(str(root / "src/c/main.py"))
    assert e.value.rule == "namespace-package" and "src/common/sub/__init__.py" in str(e.value)


def test_without_python_310_the_reason_is_clear(tmp_path, monkeypatch):
    import localnet.kybra_source.kybra_bundler as kb

    monkeypatch.setattr(kb, "find_python310", lambda: None)
    with pytest.raises(KybraUnavailable, match="needs Python 3.10 and none was found"):
        kb.venv_python(str(tmp_path))


def test_kybras_own_flat_copies_are_reserved_names(kybra_trees_of_canisters, write_project, monkeypatch):
    """bundle_python_code copies kybra.canisters.management's modules by file name too, so a
    project module named like one of them collides in python_source (lint: reserved)."""
    tree = kybra_trees_of_canisters[os.path.join(ROOT, "src/user_payment_canister/main.py")]
    kybra_flat = {
        name for name, f in tree.frozen.items() if "/" not in f and "site-packages" in tree.origins.get(f, "")
    }
    assert {"basic", "bitcoin", "tecdsa", "principal"} <= kybra_flat
    root = write_project(
        {"src/c/main.py": "from kybra import query\nimport src.common.tecdsa\n", "src/common/tecdsa.py": "X = 1\n"}
    )
    monkeypatch.chdir(root)
    assert [f.rule for f in lint_paths(["src/c/main.py"])] == ["reserved-module-name"]
