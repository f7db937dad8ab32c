"""Fixtures of the factory tests: `factory` (a fresh factory with one admin) and `small`
(the same factory with the plain merchant module stored as version v1 and made default)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from factory_client import Factory, build_module  # noqa: E402


@pytest.fixture
def factory(server, deploy, actor, new_identity):
    return Factory(server, deploy, actor, new_identity)


@pytest.fixture
def small(factory, server):
    factory.upload("v1", build_module(server), "the merchant canister")
    return factory
