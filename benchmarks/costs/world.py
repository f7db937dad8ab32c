"""The benchmarked system on one in-process localnet `Network` (metering off while
building): the ICRC ledger, the exchange-rate canister, the factory with the merchant
module uploaded, and one merchant canister deployed *by the factory* (the real path), with
an owner, a server principal and customers who hold ledger funds."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import List

from kybra import Principal

from localnet.runtime import Network
from localnet.runtime.typed import call

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENTRIES = {
    name: os.path.join(ROOT, "src", name, "main.py")
    for name in ("icrc_ledger", "exchange_rate", "payment_backend", "user_payment_canister", "report_aggregator")
}
SYMBOL = "LTT"
FEE = 10_000
CUSTOMER_FUNDS = 10**16
FACTORY_CYCLES = 10**20
CHUNK = 1024 * 1024
VERSION = "v1"


def principal(name: str) -> Principal:
    return Principal.self_authenticating(b"ckpay-bench:" + name.encode())


class BenchError(RuntimeError):
    """A setup or fill call did not succeed: the benchmark cannot measure that state."""


def ok(value, what: str):
    """The Ok payload of a `variant { Ok; Err }` reply, or BenchError naming the step."""
    if isinstance(value, dict) and "Ok" in value:
        return value["Ok"]
    if isinstance(value, dict) and "Err" in value:
        raise BenchError(f"{what}: {value['Err']}")
    return value


@dataclass
class World:
    net: Network
    ledger: Principal
    xrc: Principal
    factory: Principal
    merchant: Principal
    admin: Principal
    owner: Principal
    server: Principal
    customers: List[Principal] = field(default_factory=list)
    first_session_id: str = ""  # the oldest session and payment, looked up at every stage
    first_payment_id: str = ""
    listed_filled: bool = False  # a page of refunds and payouts was made

    def call(self, sender, canister, method: str, *args):
        """An unmetered call with Python values (typed by the callee's signature)."""
        return call(self.net, sender, canister, method, *args)


def ledger_init(customers: List[Principal]) -> str:
    balances = "; ".join(
        f'record {{ record {{ owner = principal "{c.to_str()}"; subaccount = null }}; {CUSTOMER_FUNDS} : nat }}'
        for c in customers
    )
    return (
        '(record { name = "Bench Token"; symbol = "%s"; decimals = opt (8 : nat8); '
        'fee = %d : nat; minting_account = record { owner = principal "aaaaa-aa"; '
        "subaccount = null }; initial_balances = vec { %s }; metadata = null })" % (SYMBOL, FEE, balances)
    )


def upload_version(w: World, version: str, entry: str) -> bytes:
    """Store a canister module in the factory in 1 MiB chunks as a committed version."""
    module = w.net.build_module(entry, ROOT)
    ok(
        w.call(
            w.admin, w.factory, "begin_wasm_upload", version, len(module), hashlib.sha256(module).digest(), "benchmark"
        ),
        "begin_wasm_upload",
    )
    for i in range(0, len(module), CHUNK):
        ok(
            w.call(w.admin, w.factory, "upload_wasm_chunk", version, i // CHUNK, module[i : i + CHUNK]),
            "upload_wasm_chunk",
        )
    ok(w.call(w.admin, w.factory, "commit_wasm_upload", version), "commit_wasm_upload")
    return module


def upload_module(w: World, version: str = VERSION) -> bytes:
    """Store the merchant module in the factory and make it the default."""
    module = upload_version(w, version, ENTRIES["user_payment_canister"])
    ok(w.call(w.admin, w.factory, "set_default_wasm_version", version), "set_default_wasm_version")
    return module


def merchant_config(name: str, ledger: Principal) -> dict:
    return {
        "name": name,
        "website": "https://shop.example.com",
        "support_email": None,
        "tokens": [{"symbol": SYMBOL, "ledger": ledger}],
    }


def deploy_merchant(w: World, owner: Principal, name: str) -> Principal:
    """A merchant canister deployed through the factory for `owner` (an admin grants the
    deployment credit it pays with)."""
    ok(w.call(w.admin, w.factory, "grant_deployment_credits", owner, 1), "grant_deployment_credits")
    rec = ok(
        w.call(
            owner,
            w.factory,
            "deploy_user_payment_canister",
            {"owner": None, "version": None, "merchant": merchant_config(name, w.ledger)},
        ),
        "deploy_user_payment_canister",
    )
    if rec.get("canister_id") is None:
        raise BenchError(f"deploy_user_payment_canister left no canister: {rec}")
    return rec["canister_id"]


def build_world(
    customers: int = 20, seed: int = 0, time_ns: "int | None" = None, rand_seed: "int | None" = None
) -> World:
    """Deploy everything (metering off) and prepare the merchant for payments (at `time_ns`,
    default now; with `rand_seed`, `raw_rand` answers replayably: a fixed time and a seed
    make a run replay exactly)."""
    net = Network(seed=seed, time_ns=time_ns)
    net.seed_raw_rand(rand_seed)
    admin, owner, server = principal("admin"), principal("owner"), principal("server")
    people = [principal(f"customer-{i}") for i in range(customers)]
    ledger = net.deploy(ENTRIES["icrc_ledger"], ledger_init(people), project_root=ROOT)
    xrc = net.deploy(ENTRIES["exchange_rate"], f'(opt vec {{ principal "{admin.to_str()}" }})', project_root=ROOT)
    factory = net.deploy(
        ENTRIES["payment_backend"],
        f'(record {{ admins = vec {{ principal "{admin.to_str()}" }}; settings = null }})',
        controllers=[admin],
        cycles=FACTORY_CYCLES,
        project_root=ROOT,
    )
    net.run_until_idle()
    w = World(net, ledger, xrc, factory, Principal.management_canister(), admin, owner, server, people)
    upload_module(w)
    w.merchant = deploy_merchant(w, owner, "Bench Shop")
    net.run_until_idle()
    ok(
        w.call(owner, w.merchant, "authorize_server_principal", server, "benchmark server"),
        "authorize_server_principal",
    )
    lift_rate_limits(w)
    for c in people:
        ok(
            w.call(
                c,
                ledger,
                "icrc2_approve",
                {
                    "from_subaccount": None,
                    "spender": {"owner": w.merchant, "subaccount": None},
                    "amount": CUSTOMER_FUNDS // 2,
                    "expected_allowance": None,
                    "expires_at": None,
                    "fee": None,
                    "memo": None,
                    "created_at_time": None,
                },
            ),
            "icrc2_approve",
        )
    return w


def lift_rate_limits(w: World) -> None:
    """The merchant's per-customer payment and verification rate limits would stop a bulk
    fill and the repeated fixtures: raise them (the setting exists for high-volume merchants)."""
    config = ok(w.call(w.owner, w.merchant, "get_security_config"), "get_security_config")
    limits = dict(config.get("custom_rate_limits") or {})
    limits.update({"max_payments_per_hour": 100_000, "max_payments_per_day": 100_000})
    limits["max_verification_requests_per_hour"] = 1_000
    config["custom_rate_limits"] = limits
    ok(w.call(w.owner, w.merchant, "update_security_config", config), "update_security_config")


def price_token(w: World, usd: int = 10) -> None:
    """The exchange-rate canister prices the token at `usd` now and the factory tracks it:
    one-click charges need a fresh USD rate for the cross-merchant limit (they fail closed
    without one). Call it just before the calls that need the rate (rates go stale)."""
    ok(
        w.call(
            w.admin,
            w.xrc,
            "set_rates",
            [
                {
                    "base_asset": {"symbol": SYMBOL, "class": {"Cryptocurrency": None}},
                    "quote_asset": {"symbol": "USD", "class": {"FiatCurrency": None}},
                    "rate": usd * 10**9,
                    "timestamp": w.net.time_ns // 10**9,
                }
            ],
        ),
        "set_rates",
    )
    settings = w.call(w.admin, w.factory, "get_factory_settings")
    if settings["xrc_canister"] != w.xrc:
        ok(
            w.call(w.admin, w.factory, "update_factory_settings", dict(settings, xrc_canister=w.xrc)),
            "update_factory_settings",
        )
    tracked = w.call(w.admin, w.factory, "add_market_token", SYMBOL, w.ledger, SYMBOL)
    if "Err" in tracked and not tracked["Err"].startswith("already_exists"):
        raise BenchError(f"add_market_token: {tracked['Err']}")
    ok(w.call(w.admin, w.factory, "update_global_token_rates"), "update_global_token_rates")
