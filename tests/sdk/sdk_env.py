"""Shared pieces of the SDK tests (a module name unique across test directories, unlike
`conftest`). `build_env` makes the `env` fixture: one localnet with the ICRC ledger and the
factory installed, the merchant module uploaded to the factory and a merchant canister
deployed through it, all through the SDK over HTTP; identities as PEM files.

On the replica target (`--target replica|dfx` or `CKPAY_TEST_TARGET`, tests/suite_target.py)
the same tests run over HTTP against the replica at `CKPAY_TEST_URL`. With
`CKPAY_TEST_ADMIN_PEM` set they use the canisters `scripts/deploy-dfx.sh` (it prints the
variables to set) or `run.sh --keep` left there: canister ids from
`.dfx/local/canister_ids.json`, the factory admin's PEM, the merchant owner's
(`CKPAY_TEST_OWNER_PEM`, default: the admin), a funded customer's that pays for a fresh
customer each run (`CKPAY_TEST_CUSTOMER_PEM`), and the merchant Wasm (`CKPAY_TEST_MODULE`).
Without it, the ledger and factory are deployed afresh from the built Wasm files, as the
rest of the suite does. Tests that need localnet itself (run.sh) are skipped there."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))

from ledger_client import FEE, LEDGER_ENTRY, SYMBOL, XRC_ENTRY, ledger_init_arg  # noqa: E402,F401  (FEE: re-exported)

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
    version: str = "v1"  # the module version the fixture uploaded

    def principal(self, role: str) -> str:
        return self.agents[role].identity.sender().to_str()


def write_pem(path, key_type: str) -> str:
    from ckpayment.identity import new_identity_pem

    path.write_bytes(new_identity_pem(key_type))
    return str(path)


localnet_only = pytest.mark.needs_localnet  # skipped on the replica target (tests/conftest.py)


def _need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"CKPAY_TEST_TARGET=dfx needs ${name} (see scripts/deploy-dfx.sh)")
    return value


def _dfx_env(tmp):
    """The replica and canisters deploy-dfx.sh left running."""
    import suite_target

    from ckpayment import FactoryClient, IcAgent, load_identity

    replica = suite_target.open_replica(suite_target.replica_url())
    pems = {
        "admin": _need("CKPAY_TEST_ADMIN_PEM"),
        "customer": write_pem(tmp / "customer.pem", "ed25519"),
        "stranger": write_pem(tmp / "stranger.pem", "ed25519"),
    }
    # deploy-dfx.sh deploys the merchant as the operator; run.sh --keep has its own owner
    pems["owner"] = os.environ.get("CKPAY_TEST_OWNER_PEM") or pems["admin"]
    with open(_need("CKPAY_TEST_MODULE"), "rb") as f:
        module = f.read()
    agents = {role: IcAgent(replica.url, load_identity(p)) for role, p in pems.items()}
    # a fresh customer each run (the merchant's risk rules limit payments per customer and
    # hour), funded by the customer deploy-dfx.sh funded at the ledger's install
    from ckpayment import LedgerClient

    with IcAgent(replica.url, load_identity(_need("CKPAY_TEST_CUSTOMER_PEM"))) as funder:
        LedgerClient(funder, replica.canister_id("icrc_ledger")).transfer(
            agents["customer"].identity.sender().to_str(), 200_000_000
        )
    progress = []
    version = "sdk-" + os.urandom(4).hex()
    FactoryClient(agents["admin"], replica.canister_id("payment_backend")).upload_module(
        version, module, "sdk tests", progress=lambda sent, total: progress.append((sent, total))
    )
    return Env(
        replica,
        replica.url,
        replica.canister_id("icrc_ledger"),
        replica.canister_id("payment_backend"),
        replica.canister_id("merchant"),
        module,
        pems,
        agents,
        progress,
        version,
    )


def _installer(server, target: str):
    """(install(entry, arg_text, controllers, cycles) -> id text, merchant module bytes) on
    either target: in-process installs on localnet, the built Wasm files on a replica."""
    if target == "replica":
        import suite_target

        deployer = suite_target.ReplicaDeployer(server)
        with open(suite_target.find_wasm(MERCHANT_ENTRY), "rb") as f:
            return deployer.deploy, f.read()
    from kybra import Principal

    def install(entry, arg_text, controllers, cycles):
        ctrls = None if controllers is None else [Principal.from_str(c) for c in controllers]
        with server.lock:
            return server.network.deploy(entry, arg_text, ctrls, cycles, project_root=ROOT).to_str()

    with server.lock:
        return install, server.network.build_module(MERCHANT_ENTRY, ROOT)


def price_token(server, admin_agent, install, factory, ledger_id: str) -> None:
    """The local XRC prices LTT at 10 USD and the factory tracks it: one-click charges need
    a fresh USD rate for the cross-merchant limit (they fail closed without one)."""
    import time

    from kybra import Principal

    from ckpayment.interface import Canister

    admin = admin_agent.identity.sender().to_str()
    xrc_id = install(XRC_ENTRY, f'(opt vec {{ principal "{admin}" }})', [admin], None)
    if hasattr(server, "network"):
        with server.lock:
            now_s = server.network.time_ns // 10**9
    else:
        now_s = time.time_ns() // 10**9
    Canister(admin_agent, xrc_id, "exchange_rate").result(
        "set_rates",
        [
            {
                "base_asset": {"symbol": SYMBOL, "class": {"Cryptocurrency": None}},
                "quote_asset": {"symbol": "USD", "class": {"FiatCurrency": None}},
                "rate": 10 * 10**9,
                "timestamp": now_s,
            }
        ],
    )
    settings = factory.settings()
    settings["xrc_canister"] = Principal.from_str(xrc_id)
    factory.result("update_factory_settings", settings)
    factory.result("add_market_token", SYMBOL, ledger_id, SYMBOL)
    factory.result("update_global_token_rates")


def build_env(tmp_path_factory, target: str = "localnet"):
    """Generator behind the `env` fixture (see the module docstring)."""
    if target == "replica" and os.environ.get("CKPAY_TEST_ADMIN_PEM"):
        yield _dfx_env(tmp_path_factory.mktemp("sdk"))
        return
    from ckpayment import FactoryClient, IcAgent, load_identity, merchant_config
    from localnet.http.testing import LocalnetServer

    tmp = tmp_path_factory.mktemp("sdk")
    pems = {
        "admin": write_pem(tmp / "admin.pem", "ed25519"),
        "owner": write_pem(tmp / "owner.pem", "secp256k1"),
        "customer": write_pem(tmp / "customer.pem", "ed25519"),
        "stranger": write_pem(tmp / "stranger.pem", "ed25519"),
    }
    if target == "replica":
        import suite_target

        server = suite_target.open_replica(suite_target.replica_url())
    else:
        server = LocalnetServer()
    with server:
        agents = {role: IcAgent(server.url, load_identity(p)) for role, p in pems.items()}
        admin = agents["admin"].identity.sender().to_str()
        funded = [(agents[r].identity.sender().to_str(), FUNDS) for r in ("customer", "stranger")]
        install, module = _installer(server, target)
        ledger_id = install(LEDGER_ENTRY, ledger_init_arg(funded), None, None)
        factory_id = install(
            FACTORY_ENTRY, f'(record {{ admins = vec {{ principal "{admin}" }}; settings = null }})', [admin], 10**18
        )
        progress = []
        factory = FactoryClient(agents["admin"], factory_id)
        factory.upload_module("v1", module, "sdk tests", progress=lambda sent, total: progress.append((sent, total)))
        price_token(server, agents["admin"], install, factory, ledger_id)
        factory.grant_deployment_credits(agents["owner"].identity.sender().to_str(), 1)
        factory.grant_deployment_credits(agents["stranger"].identity.sender().to_str(), 1)  # the CLI test deploys
        owner_factory = FactoryClient(agents["owner"], factory_id)
        record = owner_factory.deploy_merchant(
            merchant_config("SDK Shop", [(SYMBOL, ledger_id)], "https://shop.example.com")
        )
        yield Env(
            server, server.url, ledger_id, factory_id, record["canister_id"].to_str(), module, pems, agents, progress
        )
        for agent in agents.values():
            agent.close()
