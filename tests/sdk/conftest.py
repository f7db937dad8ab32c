"""Fixtures of the SDK tests: `env` (module scope), built by `sdk_env.build_env`."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from sdk_env import build_env  # noqa: E402


@pytest.fixture(scope="module")
def env(tmp_path_factory, target):
    yield from build_env(tmp_path_factory, target)
