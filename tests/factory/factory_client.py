"""Helpers for the factory tests: deploy the factory, upload merchant modules in 1 MiB
chunks, deploy merchant canisters from it, and drive the localnet clock.

Everything a user would do goes through ic-py over HTTP; the localnet `Network` is used
directly only for what the IC does by itself (time passing, the scheduler) or for checks
an outside observer can make (module hash of a canister, controllers)."""

from __future__ import annotations

import hashlib
import os
import sys

from ic.identity import Identity
from ic_results import code, err, ok, one, opt, tag  # noqa: F401  (re-exported to the tests)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))
sys.path.insert(0, os.path.join(ROOT, "tests", "merchant"))

FACTORY_ENTRY = os.path.join(ROOT, "src", "payment_backend", "main.py")
FACTORY_DID = os.path.join(ROOT, "candid", "payment_backend.did")
MERCHANT_ENTRY = os.path.join(ROOT, "src", "user_payment_canister", "main.py")
MERCHANT_DID = os.path.join(ROOT, "candid", "user_payment_canister.did")
BROKEN_ENTRY = os.path.join(ROOT, "tests", "canisters", "counter", "main.py")
PROBE_ENTRY_PATH = os.path.join(ROOT, "tests", "factory", "probe", "main.py")
CHUNK = 1024 * 1024
FACTORY_CYCLES = 10**18


def ptext(p) -> str:
    """Principal text of an ic-py Principal, a kybra Principal or text."""
    return p if isinstance(p, str) else p.to_str()


def report_totals(seq: int, counts: list, reports: int = 1) -> dict:
    """A report aggregator shard's batch of sums (`submit_report_totals`) with only counts."""
    return {
        "seq": seq,
        "reports": reports,
        "counts": counts,
        "regions": [],
        "industries": [],
        "tokens": [],
        "region_tokens": [],
        "templates": [],
        "refused": [],
        "refused_count": 0,
    }


def padded(module: bytes, size: int, salt: bytes = b"") -> bytes:
    """The module with a custom section appended so it has at least `size` bytes (a real
    Kybra Wasm is tens of MB); the salt makes distinct versions of the same code."""
    from localnet.runtime.module import custom_section

    filler = hashlib.sha256(salt).digest() * (size // 32 + 1)
    return module + custom_section("ckpay:padding", filler[: max(0, size - len(module))])


def merchant_config(
    name: str = "Test Shop",
    email: str | None = "support@shop.example.com",
    website: str | None = "https://shop.example.com",
    tokens=(),
) -> dict:
    return {
        "name": name,
        "website": opt(website),
        "support_email": opt(email),
        "tokens": [{"symbol": s, "ledger": ledger} for s, ledger in tokens],
    }


def deploy_config(merchant: dict | None = None, version: str | None = None, owner: str | None = None) -> dict:
    return {"owner": opt(owner), "version": opt(version), "merchant": merchant or merchant_config()}


class Factory:
    """A factory canister on a LocalnetServer and ic-py actors for several identities."""

    def __init__(self, server, deploy, actor, new_identity, settings: dict | None = None, cycles: int = FACTORY_CYCLES):
        self.server = server
        self.actor_factory = actor
        self.admin_identity = new_identity()
        settings_text = "null" if settings is None else settings_candid(settings)
        self.id = deploy(
            server,
            FACTORY_ENTRY,
            f'(record {{ admins = vec {{ principal "{self.admin_identity.sender().to_str()}" }}; '
            f"settings = {settings_text} }})",
            controllers=[self.admin_identity],
            cycles=cycles,
        )
        self.admin = self.as_(self.admin_identity)
        self.anon = self.as_(Identity(anonymous=True))

    def as_(self, identity):
        return self.actor_factory(self.server, self.id, identity, FACTORY_DID)

    def paying(self, identity, credits: int = 5):
        """An actor for `identity` after an admin granted it deployment credits: deployments
        are paid for (billing.py), and a test owner pays with credits."""
        ok(self.admin.grant_deployment_credits(identity.sender().to_str(), credits))
        return self.as_(identity)

    def upload(self, version: str, module: bytes, notes: str = "") -> None:
        ok(self.admin.begin_wasm_upload(version, len(module), hashlib.sha256(module).digest(), notes))
        for i in range(0, len(module), CHUNK):
            ok(self.admin.upload_wasm_chunk(version, i // CHUNK, module[i : i + CHUNK]))
        ok(self.admin.commit_wasm_upload(version))

    def module_hash(self, canister_id: str) -> bytes:
        from kybra import Principal

        with self.server.lock:
            return self.server.network.canister(Principal.from_str(canister_id))["module_hash"]

    def advance(self, seconds: float) -> None:
        with self.server.lock:
            self.server.network.advance_time(seconds)

    def merchant_actor(self, canister_id: str, identity):
        return self.actor_factory(self.server, canister_id, identity, MERCHANT_DID)


def settings_candid(s: dict) -> str:
    xrc = "null" if s.get("xrc_canister") is None else f'opt principal "{s["xrc_canister"]}"'
    return (
        "opt record { "
        f"deploy_cycles = {s['deploy_cycles']} : nat64; "
        f"min_factory_cycles = {s['min_factory_cycles']} : nat64; "
        f"max_canisters_per_owner = {s['max_canisters_per_owner']} : nat32; "
        f"topup_threshold = {s['topup_threshold']} : nat64; "
        f"topup_amount = {s['topup_amount']} : nat64; "
        f"monitor_interval_seconds = {s['monitor_interval_seconds']} : nat64; "
        f'base_domain = "{s["base_domain"]}"; '
        f"xrc_canister = {xrc}; "
        f"xrc_cycles = {s['xrc_cycles']} : nat64; "
        f"rate_refresh_seconds = {s['rate_refresh_seconds']} : nat64; "
        f"daily_cross_merchant_limit = {s['daily_cross_merchant_limit']} : nat64 }}"
    )


def default_settings(**over) -> dict:
    s = {
        "deploy_cycles": 2_000_000_000_000,
        "min_factory_cycles": 2_000_000_000_000,
        "max_canisters_per_owner": 5,
        "topup_threshold": 500_000_000_000,
        "topup_amount": 500_000_000_000,
        "monitor_interval_seconds": 3600,
        "base_domain": "checkout.ckpayment.io",
        "xrc_canister": None,
        "xrc_cycles": 1_000_000_000,
        "rate_refresh_seconds": 600,
        "daily_cross_merchant_limit": 1_000_000,
    }
    s.update(over)
    return s


def build_module(server, entry: str = MERCHANT_ENTRY) -> bytes:
    with server.lock:
        return server.network.build_module(entry, ROOT)


def management_arg(method: str, value: dict) -> bytes:
    """The argument of a management canister method, typed by the IC's ic.did."""
    from localnet.candid import binary
    from localnet.candid.did import parse_did

    with open(os.path.join(ROOT, "localnet", "runtime", "ic.did"), encoding="utf-8") as f:
        desc = parse_did(f.read())
    func = desc.env.resolve(dict(desc.service.methods)[method])
    return binary.encode(list(func.args), [value], desc.env)


def management_call(server, identity, method: str, value: dict, effective: str):
    """An ingress call to the management canister (aaaaa-aa) as `identity`, over HTTP."""
    from localnet.http.testing import icpy_agent

    agent = icpy_agent(server.url, identity, server.root_key)
    return agent.update_raw("aaaaa-aa", method, management_arg(method, value), effective_canister_id=effective)


def settings_update(canister_id: str, controllers: list) -> dict:
    from kybra import Principal

    settings = {"controllers": [Principal.from_str(c) for c in controllers]}
    for name in (
        "compute_allocation",
        "memory_allocation",
        "freezing_threshold",
        "reserved_cycles_limit",
        "log_visibility",
        "wasm_memory_limit",
    ):
        settings[name] = None
    return {"canister_id": Principal.from_str(canister_id), "settings": settings, "sender_canister_version": None}


def inject_controllers(server, controller: str, canister_id: str, controllers: list) -> None:
    """The canister's controller `controller` (a canister, e.g. the factory) sets its
    controllers: a fault injected at the IC level, where no test identity can act."""
    from kybra import Principal

    with server.lock:
        server.network.update_call(
            Principal.from_str(controller),
            Principal.from_str("aaaaa-aa"),
            "update_settings",
            management_arg("update_settings", settings_update(canister_id, controllers)),
        )
