"""Fixtures that write small Kybra projects to a temporary directory."""

import os
import textwrap

import pytest

from localnet.kybra_source.bundle import SourceBundle

ENTRY = "src/c/main.py"


@pytest.fixture
def write_project(tmp_path):
    """write_project({relpath: source}) -> project root; adds pyproject.toml and package
    __init__ files for src/ and src/common/."""

    def write(files):
        (tmp_path / "pyproject.toml").write_text("[project]\nname = 't'\n")
        for pkg in ("src", "src/common"):
            os.makedirs(tmp_path / pkg, exist_ok=True)
            (tmp_path / pkg / "__init__.py").touch()
        for rel, src in files.items():
            path = tmp_path / rel
            os.makedirs(path.parent, exist_ok=True)
            path.write_text(textwrap.dedent(src).lstrip("\n"))
        return tmp_path

    return write


@pytest.fixture
def bundle_of(write_project):
    """bundle_of(main_source, **other_files) -> SourceBundle of src/c/main.py."""

    def make(main, files=None):
        root = write_project({ENTRY: main, **(files or {})})
        return SourceBundle.from_entry(str(root / ENTRY))

    return make
