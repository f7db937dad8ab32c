"""Fixtures of the SDK tests: `env`, one localnet (module scope) with the ICRC ledger and
the factory installed, the merchant module uploaded to the factory and a merchant canister
deployed through it, all through the SDK over HTTP; identities as PEM files."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))

from ledger_client import FEE, LEDGER_ENTRY, SYMBOL, ledger_init_arg  # noqa: E402

FACTORY_ENTRY = os.path.join(ROOT, "src", "payment_backend", "main.py")
MERCHANT_ENTRY = os.path.join(ROOT, "src", "user_payment_canister", "main.py")
FUNDS = 1_000_000_000


@dataclass
class Env:
    server: object
    url: str
    ledger_id: str
    factory_id: str
    merchant_id: str
    module: bytes
    pems: dict  # role -> PEM path (admin, owner, customer, stranger)
    agents: dict  # role -> IcAgent
    progress: list  # (sent, total) reported by the upload

    def principal(self, role: str) -> str:
        return self.agents[role].identity.sender().to_str()


def write_pem(path, key_type: str) -> str:
    from ckpayment.identity import new_identity_pem
    path.write_bytes(new_identity_pem(key_type))
    return str(path)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from kybra import Principal

    from ckpayment import FactoryClient, IcAgent, load_identity, merchant_config
    from localnet.http.testing import LocalnetServer
    tmp = tmp_path_factory.mktemp("sdk")
    pems = {"admin": write_pem(tmp / "admin.pem", "ed25519"),
            "owner": write_pem(tmp / "owner.pem", "secp256k1"),
            "customer": write_pem(tmp / "customer.pem", "ed25519"),
            "stranger": write_pem(tmp / "stranger.pem", "ed25519")}
    with LocalnetServer() as server:
        agents = {role: IcAgent(server.url, load_identity(p)) for role, p in pems.items()}
        admin = agents["admin"].identity.sender().to_str()
        funded = [(agents[r].identity.sender().to_str(), FUNDS) for r in ("customer", "stranger")]
        with server.lock:
            net = server.network
            ledger_id = net.deploy(LEDGER_ENTRY, ledger_init_arg(funded), None, None,
                                   project_root=ROOT).to_str()
            factory_id = net.deploy(
                FACTORY_ENTRY, f'(record {{ admins = vec {{ principal "{admin}" }}; '
                'settings = null })', [Principal.from_str(admin)], 10**18,
                project_root=ROOT).to_str()
            module = net.build_module(MERCHANT_ENTRY, ROOT)
        progress = []
        factory = FactoryClient(agents["admin"], factory_id)
        factory.upload_module("v1", module, "sdk tests",
                              progress=lambda sent, total: progress.append((sent, total)))
        owner_factory = FactoryClient(agents["owner"], factory_id)
        record = owner_factory.deploy_merchant(
            merchant_config("SDK Shop", [(SYMBOL, ledger_id)], "https://shop.example.com"))
        yield Env(server, server.url, ledger_id, factory_id, record["canister_id"].to_str(),
                  module, pems, agents, progress)
        for agent in agents.values():
            agent.close()


__all__ = ["Env", "FEE", "SYMBOL", "FUNDS", "ROOT", "write_pem"]
