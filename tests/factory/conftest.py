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


from factory_client import PROBE_ENTRY_PATH as PROBE_ENTRY  # noqa: E402


@pytest.fixture(scope="session")
def probe_did(tmp_path_factory):
    """The probe canister's .did, generated from its source like every committed .did."""
    from factory_client import ROOT

    from localnet.kybra_source.did import generate_did

    path = tmp_path_factory.mktemp("probe") / "probe.did"
    path.write_text(generate_did(PROBE_ENTRY, ROOT), encoding="utf-8")
    return str(path)


class Probes:
    """A factory (`small`: the merchant module as v1) with the probe as version `probe`,
    and three probe canisters deployed by the factory for three owners."""

    def __init__(self, factory, server, actor, new_identity, probe_did):
        from factory_client import deploy_config, merchant_config, ok, ptext

        factory.upload("probe", build_module(server, PROBE_ENTRY), "probe merchant")
        self.factory = factory
        self.items = []
        for i in range(3):
            owner = new_identity()
            email = None if i == 2 else "support@shop%d.example.com" % i
            rec = ok(
                factory.paying(owner).deploy_user_payment_canister(
                    deploy_config(merchant_config("Shop %d" % i, email=email), version="probe")
                )
            )
            cid = ptext(rec["canister_id"][0])
            self.items.append((owner, cid, actor(server, cid, owner, probe_did), rec))


@pytest.fixture
def probes(small, server, actor, new_identity, probe_did):
    return Probes(small, server, actor, new_identity, probe_did)
