"""Fixtures of the browser tests: Debian's Chromium and the shop world (webshop.py) with the
front ends built, one per test module."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from webshop import build_front_ends, chromium_or_skip, start_shop  # noqa: E402


@pytest.fixture(scope="module")
def chromium():
    return chromium_or_skip(pytest)


@pytest.fixture(scope="module")
def shop(chromium):
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node/npm are not on PATH: cannot build the front ends")
    build_front_ends()
    s = start_shop()
    yield s
    s.stop()
