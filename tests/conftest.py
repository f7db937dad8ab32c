"""Shared fixtures (localnet/ARCHITECTURE.md "Test fixtures"): an in-process `network`,
an HTTP `server` around one, identities, and `deploy`/`actor` helpers.

`--target replica` (alias `dfx`) or `CKPAY_TEST_TARGET` runs the same tests against a
running replica instead (tests/suite_target.py, docs/localnet.md)."""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite_target  # noqa: E402


def pytest_addoption(parser):
    parser.addoption(
        "--target",
        choices=sorted(suite_target.ALIASES),
        default=None,
        help="the IC the integration tests run against: localnet (default, "
        "in-process) or replica/dfx (a running replica at $CKPAY_TEST_URL); "
        "default $CKPAY_TEST_TARGET",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_localnet: skipped on the replica target")
    try:
        config.ckpay_target = suite_target.resolve(config.getoption("--target", None))
    except suite_target.TargetError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config, items):
    if config.ckpay_target == "localnet":
        return
    skip = pytest.mark.skip(reason=suite_target.LOCALNET_ONLY)
    for item in items:
        if "needs_localnet" in item.keywords or "network" in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def target(pytestconfig) -> str:
    """'localnet' or 'replica'."""
    return pytestconfig.ckpay_target


@pytest.fixture
def network(target):
    if target != "localnet":
        pytest.skip(suite_target.LOCALNET_ONLY)
    from localnet.runtime import Network

    return Network()


@pytest.fixture
def server(target):
    if target != "localnet":
        try:
            replica = suite_target.open_replica(suite_target.replica_url())
        except suite_target.TargetError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield replica
        return
    from localnet.http.testing import LocalnetServer

    with LocalnetServer() as s:
        yield s


@pytest.fixture
def new_identity():
    from ic.identity import Identity

    def make():
        return Identity(type="ed25519")

    return make


def _entry(path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


@pytest.fixture
def deploy():
    """deploy(server_or_network, entry_path, arg_text="()", controllers=None, cycles=None)
    -> canister id text: builds the localnet module from the Kybra source and installs it;
    on the replica target, installs the dfx-built Wasm over HTTP (suite_target)."""
    deployers = {}

    def run(target, entry_path, arg_text="()", controllers=None, cycles=None):
        from localnet.http.testing import RemoteReplica

        if isinstance(target, RemoteReplica):
            if target not in deployers:
                deployers[target] = suite_target.ReplicaDeployer(target)
            return deployers[target].deploy(_entry(entry_path), arg_text, controllers, cycles)
        net = getattr(target, "network", target)
        lock = getattr(target, "lock", None)
        ctrls = None if controllers is None else [_principal(c) for c in controllers]
        if lock is None:
            cid = net.deploy(_entry(entry_path), arg_text, ctrls, cycles, project_root=ROOT)
        else:
            with lock:
                cid = net.deploy(_entry(entry_path), arg_text, ctrls, cycles, project_root=ROOT)
        return cid.to_str()

    return run


def _principal(p):
    from kybra import Principal

    if isinstance(p, str):
        return Principal.from_str(p)
    if hasattr(p, "sender"):  # an ic-py Identity
        return Principal.from_str(p.sender().to_str())
    if hasattr(p, "to_str"):
        return Principal.from_str(p.to_str())
    return p


@pytest.fixture
def actor():
    """actor(server, canister_id, identity, did_path) -> ic-py actor over HTTP (one
    keep-alive connection; identical calls stay distinct messages)."""

    def make(server, canister_id, identity, did_path):
        from localnet.http.testing import IcpyActor, icpy_agent

        with open(_entry(did_path), encoding="utf-8") as f:
            did = f.read()
        agent = icpy_agent(server.url, identity, getattr(server, "root_key", None))
        return IcpyActor(agent, canister_id, did)

    return make
