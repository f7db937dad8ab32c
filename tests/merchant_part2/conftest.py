"""Fixtures of the merchant part-2 tests: the `shop` of the merchant tests (merchant canister
+ local ICRC ledger + identities, tests/merchant/merchant_client.py) and a real webhook
`receiver` on 127.0.0.1 that checks the signature of every request it gets."""

from __future__ import annotations

import os
import sys

import pytest
from ic.identity import Identity

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "merchant"))
sys.path.insert(0, os.path.join(HERE, "..", "factory"))  # factory_client, ledger_client

from merchant_client import build_shop  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402


@pytest.fixture
def shop(server, new_identity, deploy, actor):
    return build_shop(server, new_identity, deploy, actor, Identity(anonymous=True))


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.stop()
