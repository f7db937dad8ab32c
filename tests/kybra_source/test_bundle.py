"""SourceBundle gathers the modules Kybra's bundler would, and serialises deterministically."""

import gzip
import json
import shutil

import pytest

from localnet.kybra_source.bundle import BundleError, SourceBundle

MAIN = """
import json
from kybra import query, nat
from src.common.money import add
import helpers
from .nothing import x  # relative import from a top-level module: ignored, as Python would fail
"""


def test_gathers_project_modules_transitively(write_project):
    root = write_project(
        {
            "src/c/main.py": MAIN.replace("from .nothing import x  #", "#"),
            "src/c/helpers.py": "def h():\n    from src.common import deep\n",
            "src/common/money.py": "from . import rounding\ndef add(a, b):\n    return a + b\n",
            "src/common/rounding.py": "R = 2\n",
            "src/common/deep/__init__.py": "from .leaf import LEAF\n",
            "src/common/deep/leaf.py": "LEAF = 1\n",
            "src/common/unused.py": "U = 1\n",
        }
    )
    b = SourceBundle.from_entry(str(root / "src/c/main.py"))
    assert b.entry == "main"
    assert set(b.modules) == {
        "main",
        "helpers",
        "src",
        "src.common",
        "src.common.money",
        "src.common.rounding",
        "src.common.deep",
        "src.common.deep.leaf",
    }
    assert b.packages == {"src", "src.common", "src.common.deep"}
    assert b.paths["helpers"] == "src/c/helpers.py"
    assert b.paths["src.common.deep"] == "src/common/deep/__init__.py"
    assert b.modules["src.common.rounding"] == "R = 2\n"


def test_project_root_is_nearest_dfx_json_or_pyproject(write_project, tmp_path):
    root = write_project({"src/c/main.py": "from src.common.m import X\n", "src/common/m.py": "X = 1\n"})
    (root / "pyproject.toml").unlink()
    (root / "dfx.json").write_text("{}")
    b = SourceBundle.from_entry(str(root / "src/c/main.py"))
    assert b.root == str(root) and "src.common.m" in b.modules


def test_bytes_are_deterministic_and_location_independent(write_project, tmp_path_factory):
    root = write_project({"src/c/main.py": "from src.common.m import X\n", "src/common/m.py": "X = 1\n"})
    a = SourceBundle.from_entry(str(root / "src/c/main.py"))
    copy = tmp_path_factory.mktemp("copy") / "proj"
    shutil.copytree(root, copy)
    b = SourceBundle.from_entry(str(copy / "src/c/main.py"))
    assert a.to_bytes() == a.to_bytes() == b.to_bytes()
    back = SourceBundle.from_bytes(a.to_bytes())
    assert back == a and back.packages == a.packages
    (copy / "src/common/m.py").write_text("X = 2\n")
    assert SourceBundle.from_entry(str(copy / "src/c/main.py")).to_bytes() != a.to_bytes()


def _doc(**fields):
    doc = {
        "format": "localnet-kybra-bundle/2",
        "entry": "main",
        "files": {"m.py": ""},
        "modules": {"main": "m.py"},
        "frozen": {"main": "m.py"},
        **fields,
    }
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not gzip", "not a source bundle"),
        (gzip.compress(b"[1]", mtime=0), "format"),
        (_doc(format="localnet-kybra-bundle/1"), "another localnet version: rebuild"),
        (_doc(entry="x"), "entry"),
        (_doc(files={"m.py": 3}), "files"),
        (_doc(frozen={"main": "other.py"}), "frozen"),
        # a module of a directory without __init__.py: frozen imports cannot reach it
        (_doc(files={"m.py": "", "p/a.py": ""}, frozen={"main": "m.py", "p.a": "p/a.py"}), "namespace packages"),
    ],
)
def test_from_bytes_rejects_bad_data(data, message):
    with pytest.raises(BundleError, match=message):
        SourceBundle.from_bytes(data)


def test_errors_name_the_file_and_line(write_project):
    root = write_project({"src/c/main.py": "import src.common.bad\n", "src/common/bad.py": "x = 1\ndef (:\n"})
    with pytest.raises(BundleError) as e:
        SourceBundle.from_entry(str(root / "src/c/main.py"))
    assert (e.value.path, e.value.line) == ("src/common/bad.py", 2)
    with pytest.raises(BundleError, match="not a .py file"):
        SourceBundle.from_entry(str(root / "src/c/missing.py"))


def test_python_3_11_syntax_is_rejected_like_kybra(write_project):
    root = write_project({"src/c/main.py": "try:\n    pass\nexcept* ValueError:\n    pass\n"})
    with pytest.raises(BundleError) as e:
        SourceBundle.from_entry(str(root / "src/c/main.py"))
    assert e.value.line == 3 and "3.11" in e.value.message
