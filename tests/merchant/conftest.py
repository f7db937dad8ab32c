"""The `shop` fixture: a fresh localnet with the local ICRC ledger and a merchant canister
whose owner authorized one server principal; customers alice and bob hold funds."""

from __future__ import annotations

import os
import sys

import pytest
from ic.identity import Identity

sys.path.insert(0, os.path.dirname(__file__))

from merchant_client import build_shop  # noqa: E402


@pytest.fixture
def shop(server, new_identity, deploy, actor):
    return build_shop(server, new_identity, deploy, actor, Identity(anonymous=True))
