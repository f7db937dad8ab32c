"""`FactoryClient`: the factory canister (`candid/payment_backend.did`): its merchant
module store (chunked upload), merchant deployments, upgrades and operator views.
`call`/`result` reach every other method of the .did."""

from __future__ import annotations

import hashlib
from typing import Callable, Iterator

from .did_types import payment_backend as t
from .interface import Canister

CHUNK_SIZE = 1024 * 1024  # the factory's chunk size: every chunk but the last is 1 MiB
MAX_MODULE_SIZE = 120 * CHUNK_SIZE  # the factory stores at most 120 chunks


def merchant_config(
    name: str, tokens=(), website: str | None = None, support_email: str | None = None
) -> t.MerchantConfig:
    """`MerchantConfig`: `tokens` are (symbol, ledger principal) pairs."""
    return {
        "name": name,
        "website": website,
        "support_email": support_email,
        "tokens": [{"symbol": s, "ledger": ledger} for s, ledger in tokens],
    }


class FactoryClient(Canister):
    def __init__(self, agent, canister_id, interface="payment_backend"):
        super().__init__(agent, canister_id, interface)

    # -- merchant module store (admins) ----------------------------------------------------
    def upload_module(
        self,
        version: str,
        module: bytes,
        notes: str = "",
        progress: Callable[[int, int], None] | None = None,
        make_default: bool | None = None,
    ) -> t.WasmVersion:
        """Stores `module` as `version` in 1 MiB chunks (the factory's fixed size), calling
        `progress(bytes_sent, total)` after each; on failure the upload is aborted.
        The first version becomes the default; `make_default=True` forces it.
        Returns the stored `WasmVersion`."""
        if not module:
            raise ValueError("the module is empty")
        if len(module) > MAX_MODULE_SIZE:
            raise ValueError(f"the module has {len(module)} bytes; the factory stores at most {MAX_MODULE_SIZE}")
        chunk_size = CHUNK_SIZE
        total = len(module)
        self.result("begin_wasm_upload", version, total, hashlib.sha256(module).digest(), notes)
        try:
            for index, start in enumerate(range(0, total, chunk_size)):
                self.result("upload_wasm_chunk", version, index, module[start : start + chunk_size])
                if progress is not None:
                    progress(min(start + chunk_size, total), total)
            self.result("commit_wasm_upload", version)
        except BaseException:
            try:
                self.result("abort_wasm_upload", version)
            except Exception:  # the original error is the one to report
                pass
            raise
        if make_default:
            self.result("set_default_wasm_version", version)
        return self.get_version(version)

    def get_version(self, version: str) -> t.WasmVersion:
        return self.result("get_wasm_version", version)

    def list_versions(self, cursor: str | None = None, limit: int = 50) -> t.WasmVersionPage:
        return self.result("list_wasm_versions", cursor, limit)

    def default_version(self) -> str | None:
        return self.call("get_default_wasm_version")

    def set_default_version(self, version: str) -> None:
        return self.result("set_default_wasm_version", version)

    # -- merchant canisters ----------------------------------------------------------------
    def deploy_merchant(self, config: dict, version: str | None = None, owner=None) -> t.UserCanister:
        """Creates and installs a merchant canister (owner: the caller unless an admin
        names another); returns the `UserCanister` record (`canister_id`, `status`...).
        A caller who is not an admin needs a deployment credit (`payment_required`)."""
        return self.result("deploy_user_payment_canister", {"owner": owner, "version": version, "merchant": config})

    def grant_deployment_credits(self, owner, count: int = 1) -> None:
        """Admins: let `owner` deploy `count` merchant canisters on the factory's cycles
        (a deployment is paid for: with credits, or cycles attached by a canister caller)."""
        return self.result("grant_deployment_credits", owner, count)

    def deployment_credits(self, owner) -> int:
        return self.call("get_deployment_credits", owner)

    def grant_topup_budget(self, canister_id, cycles: int) -> None:
        """Admins: cycles the monitor may spend topping up this merchant canister."""
        return self.result("grant_topup_budget", canister_id, cycles)

    def get_deployment(self, deployment_id: str) -> t.UserCanister:
        return self.result("get_deployment", deployment_id)

    def get_merchant(self, canister_id) -> t.UserCanister:
        return self.result("get_user_canister", canister_id)

    def list_merchants_by_owner(self, owner, cursor: str | None = None, limit: int = 50) -> t.UserCanisterPage:
        return self.result("list_canisters_by_owner", owner, cursor, limit)

    def iter_merchants_by_owner(self, owner, page_size: int = 50) -> Iterator[t.UserCanister]:
        cursor = None
        while True:
            page = self.list_merchants_by_owner(owner, cursor, page_size)
            yield from page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def upgrade_merchant(self, canister_id, version: str) -> t.UserCanister:
        return self.result("upgrade_user_canister", canister_id, version)

    def rollback_merchant(self, canister_id) -> t.UserCanister:
        return self.result("rollback_user_canister", canister_id)

    def resolve_session(self, session_id: str):
        """The merchant canister that owns a checkout session id (hosted-page routing)."""
        return self.result("resolve_hosted_page_route", session_id)

    # -- operators -------------------------------------------------------------------------
    def stats(self) -> t.FactoryStats:
        return self.call("get_factory_stats")

    def settings(self) -> t.FactorySettings:
        return self.call("get_factory_settings")

    def system_analytics(self) -> t.SystemAnalytics:
        return self.call("get_system_analytics")
