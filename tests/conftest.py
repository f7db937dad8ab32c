"""Shared fixtures (localnet/ARCHITECTURE.md "Test fixtures"): an in-process `network`,
an HTTP `server` around one, identities, and `deploy`/`actor` helpers."""
from __future__ import annotations

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def network():
    from localnet.runtime import Network
    return Network()


@pytest.fixture
def server():
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
    -> canister id text: builds the localnet module from the Kybra source and installs it."""
    def run(target, entry_path, arg_text="()", controllers=None, cycles=None):
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
