"""The management canister `aaaaa-aa`, per the interface spec's ic.did (a copy sits next to
this file), with controller checks.

Arguments are decoded with ic.did's types and Candid subtyping, so callers using older
declarations (kybra's `upgrade: null` install mode, records without newer fields) work, as
they do on the IC. Methods run within the step that delivers the call; `install_code` runs
the target's module top level and init/post_upgrade there (a 300B-instruction message).
"""

from __future__ import annotations

import hashlib
import heapq
import os
from typing import Optional

from kybra import Principal

from localnet.candid import binary
from localnet.candid.did import parse_did
from localnet.runtime import errors as E
from localnet.runtime import metering
from localnet.runtime import module as wasm_module
from localnet.runtime.canister import Canister
from localnet.runtime.engine import text_id
from localnet.runtime.execution import DEFERRED, CallMessage, Execution, Reject, Reply
from localnet.runtime.isolation import CanisterNamespace
from localnet.runtime.stable import StableStore
from localnet.runtime.system_api import KybraIc

CHUNK_MAX = 1024 * 1024
CHUNK_STORE_MAX = 100  # chunks per canister (100 MiB), as the IC's wasm chunk store
MAX_CONTROLLERS = 10
STOP_CANISTER_TIMEOUT_NS = 5 * 60 * 10**9  # dfinity/ic STOP_CANISTER_TIMEOUT_DURATION
INGRESS_FORBIDDEN = {
    "raw_rand",
    "http_request",
    "create_canister",
    "deposit_cycles",
    "ecdsa_public_key",
    "sign_with_ecdsa",
    "schnorr_public_key",
    "sign_with_schnorr",
}

_IC_DID = None
_ANALYSIS_CACHE: dict = {}  # sha256 of a source bundle -> (lint findings, interface)
_ANALYSIS_CACHE_MAX = 16


def _checked_interface(bundle_bytes: bytes, bundle):
    """(lint findings, analysed interface) of a bundle. Both are pure functions of the
    bundle's bytes, so they are cached by hash: installing the same module again (the
    factory deploying many merchants, upgrades) skips the source analysis."""
    from localnet.kybra_source.analyze import analyze_with_findings
    from localnet.kybra_source.lint import lint_bundle

    key = hashlib.sha256(bundle_bytes).digest()
    cached = _ANALYSIS_CACHE.get(key)
    if cached is None:
        findings = lint_bundle(bundle)
        interface = None if findings else analyze_with_findings(bundle)[0]
        cached = (findings, interface)
        if len(_ANALYSIS_CACHE) >= _ANALYSIS_CACHE_MAX:
            _ANALYSIS_CACHE.pop(next(iter(_ANALYSIS_CACHE)))
        _ANALYSIS_CACHE[key] = cached
    return cached


def ic_did():
    global _IC_DID
    if _IC_DID is None:
        with open(os.path.join(os.path.dirname(__file__), "ic.did"), encoding="utf-8") as f:
            _IC_DID = parse_did(f.read())
    return _IC_DID


class ManagementError(Exception):
    def __init__(self, code: int, message: str, error_code: str):
        super().__init__(message)
        self.reject = Reject(code, message, error_code)


def _fail(message: str, error_code: str = E.CANISTER_REJECTED_MESSAGE, code: int = E.CANISTER_REJECT):
    raise ManagementError(code, message, error_code)


def _mode_name(mode) -> str:
    if isinstance(mode, str):
        if mode not in ("install", "reinstall", "upgrade"):
            raise ManagementError(E.CANISTER_REJECT, f"unknown install mode {mode!r}", E.INVALID_MANAGEMENT_PAYLOAD)
        return mode
    ((name, _),) = mode.items()
    return name


class ManagementCanister:
    def __init__(self, network):
        self.net = network

    # -- dispatch ---------------------------------------------------------------------------
    def _sig(self, method: str):
        for name, func in ic_did().service.methods:
            if name == method:
                return ic_did().env.resolve(func)
        return None

    def check_ingress(self, sender: bytes, method: str, arg: bytes, effective: Optional[bytes]) -> None:
        if getattr(self, f"m_{method}", None) is None or self._sig(method) is None:
            raise E.CallRejected(
                E.DESTINATION_INVALID, f"Management canister has no method '{method}'", E.UNKNOWN_MANAGEMENT_MESSAGE
            )
        if method in INGRESS_FORBIDDEN:
            raise E.CallRejected(
                E.CANISTER_REJECT, f"Only canisters can call ic00 method {method}", E.CANISTER_CONTRACT_VIOLATION
            )
        if effective is None or method.startswith("provisional_create"):
            return
        try:
            value = binary.decode(arg, list(self._sig(method).args), ic_did().env)
        except Exception as e:
            raise E.CallRejected(
                E.CANISTER_REJECT, f"Error decoding candid: {e}", E.INVALID_MANAGEMENT_PAYLOAD
            ) from None
        record = value[0] if value and isinstance(value[0], dict) else {}
        target = record.get("canister_id") or record.get("target_canister")
        if target is not None and target.bytes != effective:
            raise E.CallRejected(
                E.CANISTER_REJECT,
                f"the effective canister id {text_id(effective)} is not the target canister {text_id(target.bytes)}",
                E.CANISTER_CONTRACT_VIOLATION,
            )

    def handle(self, msg: CallMessage):
        """Execute a call to aaaaa-aa; returns Reply or Reject (cycles handled inside)."""
        func = self._sig(msg.method)
        handler = getattr(self, f"m_{msg.method}", None)
        if func is None or handler is None:
            return Reject(
                E.DESTINATION_INVALID, f"Management canister has no method '{msg.method}'", E.UNKNOWN_MANAGEMENT_MESSAGE
            )
        try:
            args = binary.decode(msg.arg, list(func.args), ic_did().env)
        except Exception as e:
            return Reject(E.CANISTER_REJECT, f"Error decoding candid: {e}", E.INVALID_MANAGEMENT_PAYLOAD)
        self._accepted = 0
        try:
            value = handler(msg, *args)
        except ManagementError as e:
            return e.reject
        if value is DEFERRED:
            return DEFERRED
        data = binary.encode(list(func.rets), [value][: len(func.rets)], ic_did().env)
        return Reply(data)

    # -- helpers ------------------------------------------------------------------------------
    def _target(self, canister_id) -> Canister:
        raw = canister_id.bytes if hasattr(canister_id, "bytes") else bytes(canister_id)
        c = self.net.canisters.get(raw)
        if c is None:
            _fail(f"Canister {text_id(raw)} not found", E.CANISTER_NOT_FOUND, E.DESTINATION_INVALID)
        return c

    def _controlled(self, msg: CallMessage, canister_id, method: str) -> Canister:
        c = self._target(canister_id)
        if not c.is_controller(msg.caller):
            _fail(
                f"Only controllers of canister {text_id(c.id)} can call ic00 method {method}",
                E.CANISTER_INVALID_CONTROLLER,
                E.CANISTER_ERROR,
            )
        return c

    def _settings(self, c: Canister, settings: Optional[dict]) -> None:
        if not settings:
            return
        ctrls = settings.get("controllers")
        if ctrls is not None:
            if len(ctrls) > MAX_CONTROLLERS:
                _fail(
                    f"Invalid settings: at most {MAX_CONTROLLERS} controllers are allowed", E.INVALID_MANAGEMENT_PAYLOAD
                )
            c.controllers = [p.bytes for p in ctrls]
        if settings.get("freezing_threshold") is not None:
            c.freezing_threshold = settings["freezing_threshold"]
        if settings.get("memory_allocation") is not None:
            c.memory_allocation = settings["memory_allocation"]
        if settings.get("compute_allocation") is not None:
            if settings["compute_allocation"] > 100:
                _fail("Invalid settings: compute_allocation must be <= 100", E.INVALID_MANAGEMENT_PAYLOAD)
            c.compute_allocation = settings["compute_allocation"]
        if settings.get("reserved_cycles_limit") is not None:
            c.reserved_cycles_limit = settings["reserved_cycles_limit"]
        if settings.get("wasm_memory_limit") is not None:
            c.wasm_memory_limit = settings["wasm_memory_limit"]
        if settings.get("log_visibility") is not None:
            ((c.log_visibility, _),) = settings["log_visibility"].items()

    def _definite_settings(self, c: Canister) -> dict:
        return {
            "controllers": [Principal(p) for p in c.controllers],
            "compute_allocation": c.compute_allocation,
            "memory_allocation": c.memory_allocation,
            "freezing_threshold": c.freezing_threshold,
            "reserved_cycles_limit": c.reserved_cycles_limit
            if c.reserved_cycles_limit is not None
            else 5_000_000_000_000,
            "log_visibility": {c.log_visibility: None}
            if c.log_visibility in ("controllers", "public")
            else {"controllers": None},
            "wasm_memory_limit": c.wasm_memory_limit,
        }

    # -- canister lifecycle ------------------------------------------------------------------
    def m_create_canister(self, msg: CallMessage, args: dict):
        if msg.kind != "call":
            _fail("Only canisters can call ic00 method create_canister", E.CANISTER_CONTRACT_VIOLATION)
        fee = self.net.policy.canister_creation_fee
        if msg.cycles < fee:
            _fail(
                f"Cannot create canister. Sender should have at least {fee} cycles, but attached {msg.cycles} cycles",
                E.INSUFFICIENT_CYCLES_FOR_CREATE,
            )
        settings = (args or {}).get("settings") or {}
        reserve = self._creation_reservation(msg.cycles - fee, settings)
        c = self.net._new_canister([msg.caller], msg.cycles - fee)
        msg.cycles = 0  # all accepted: the fee is burned, the rest goes to the new canister
        self._settings(c, settings)
        self._reserve(c, reserve)
        return {"canister_id": c.principal}

    def m_provisional_create_canister_with_cycles(self, msg: CallMessage, args: dict):
        amount = args.get("amount")
        specified = args.get("specified_id")
        cycles = self.net.policy.default_canister_cycles if amount is None else amount
        settings = args.get("settings") or {}
        reserve = self._creation_reservation(cycles, settings)
        try:
            c = self.net._new_canister([msg.caller], cycles, None if specified is None else specified.bytes)
        except E.LocalnetError as e:
            _fail(str(e), "IC0205", E.CANISTER_REJECT)
        self._settings(c, settings)
        self._reserve(c, reserve)
        return {"canister_id": c.principal}

    def m_provisional_top_up_canister(self, msg: CallMessage, args: dict):
        c = self._target(args["canister_id"])
        c.cycles += args["amount"]
        return None

    def m_deposit_cycles(self, msg: CallMessage, args: dict):
        c = self._target(args["canister_id"])
        c.cycles += msg.cycles
        msg.cycles = 0
        return None

    def m_update_settings(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "update_settings")
        reserve = self._memory_allocation_reservation(c, args["settings"] or {})
        self._settings(c, args["settings"])
        self._reserve(c, reserve)
        return None

    def _creation_reservation(self, cycles: int, settings: dict) -> int:
        """`validate_settings_for_canister_creation`: the same checks on an empty canister
        with `cycles` (the default freezing threshold, nothing reserved), before any
        canister is made, so a refused creation creates none."""
        empty = Canister(b"", [], cycles, b"", freezing_threshold=self.net.policy.default_freezing_threshold)
        return self._memory_allocation_reservation(empty, settings)

    @staticmethod
    def _reserve(c: Canister, reserve: int) -> None:
        """`do_update_settings`: `reserve_cycles(reservation_cycles)`, validated before."""
        c.cycles -= reserve
        c.reserved_cycles += reserve

    def _memory_allocation_reservation(self, c: Canister, settings: dict) -> int:
        """The cycles a new memory allocation moves to the reserved balance, or the IC's
        error; nothing is changed here. dfinity/ic rs/execution_environment/src/
        canister_manager.rs @ f55af5fd282a `validate_canister_settings`, in its order:
        the freezing limit with the new allocation (and freezing threshold) when the
        allocation grows (IC0531, `InsufficientCyclesInMemoryAllocation`); then
        `storage_reservation_cycles` of `allocated_bytes(usage)` new minus old: the
        reserved balance already above the limit (IC0540, `ReservedCyclesLimitIsTooLow`),
        or above it with the reservation (IC0533,
        `ReservedCyclesLimitExceededInMemoryAllocation`), or a balance short of the
        reservation, freezing limit aside (IC0531). Messages: canister_manager/types.rs
        @ 7d782b8bd224 `From<CanisterManagerError> for UserError`."""
        net, p = self.net, self.net.policy
        usage = c.memory_size()
        old_allocation = c.memory_allocation
        new_allocation = settings.get("memory_allocation")
        if new_allocation is None:
            new_allocation = old_allocation
        shown = E.memory_allocation_text(new_allocation)
        freezing = settings.get("freezing_threshold")
        freezing = c.freezing_threshold if freezing is None else freezing
        threshold = p.freezing_limit(max(new_allocation, usage), freezing, c.reserved_cycles)
        if c.cycles < threshold and new_allocation > old_allocation:
            _fail(
                f"Cannot increase memory allocation to {shown} due to insufficient cycles. "
                f"At least {E.cycles_text(threshold - c.cycles)} additional cycles are required.",
                E.INSUFFICIENT_CYCLES_IN_MEMORY_ALLOCATION,
                E.CANISTER_ERROR,
            )
        allocated = max(0, max(new_allocation, usage) - max(old_allocation, usage))
        reserve = p.storage_reservation_cycles(allocated, p.subnet_memory_usage)
        limit = settings.get("reserved_cycles_limit")
        limit = net._reserved_cycles_limit(c) if limit is None else limit
        if c.reserved_cycles > limit:
            _fail(
                f"Cannot set the reserved cycles limit {E.cycles_text(limit)} below the reserved "
                f"cycles balance of the canister {E.cycles_text(c.reserved_cycles)}.",
                E.RESERVED_CYCLES_LIMIT_IS_TOO_LOW,
                E.CANISTER_ERROR,
            )
        if c.reserved_cycles + reserve > limit:
            _fail(
                f"Cannot increase memory allocation to {shown} due to its reserved cycles limit. "
                f"The current limit ({E.cycles_text(limit)}) would be exceeded by "
                f"{E.cycles_text(c.reserved_cycles + reserve - limit)}.",
                E.RESERVED_CYCLES_LIMIT_EXCEEDED_IN_MEMORY_ALLOCATION,
                E.CANISTER_ERROR,
            )
        if c.cycles < reserve:
            _fail(
                f"Cannot increase memory allocation to {shown} due to insufficient cycles. "
                f"At least {E.cycles_text(reserve - c.cycles)} additional cycles are required.",
                E.INSUFFICIENT_CYCLES_IN_MEMORY_ALLOCATION,
                E.CANISTER_ERROR,
            )
        return reserve

    def m_canister_status(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "canister_status")
        memory = c.memory_size()
        # `idle_cycles_burned_rate`: the memory allocation's bytes when above the usage
        per_day = self.net.policy.gib_storage_per_second_fee * c.allocated_bytes() * 86400 // (1024**3)
        return {
            "status": {c.status: None},
            "settings": self._definite_settings(c),
            "module_hash": c.module_hash,
            "memory_size": memory,
            "cycles": c.cycles,
            "reserved_cycles": c.reserved_cycles,
            "idle_cycles_burned_per_day": per_day,
            "query_stats": {
                "num_calls_total": 0,
                "num_instructions_total": 0,
                "request_payload_bytes_total": 0,
                "response_payload_bytes_total": 0,
            },
        }

    def m_start_canister(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "start_canister")
        c.status = "running"
        waiting, c.stop_requests = c.stop_requests, []
        for stop in waiting:  # the spec: pending stop_canister calls fail
            self.net._complete(
                stop,
                Reject(
                    E.CANISTER_ERROR,
                    f"Canister {text_id(c.id)}'s stop request was cancelled.",
                    E.CANISTER_STOPPING_CANCELLED,
                ),
                None,
            )
        return None

    def m_stop_canister(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "stop_canister")
        if c.status == "stopped" or c.open_calls == 0:
            c.status = "stopped"
            return None
        # the spec: the canister is `stopping` until its open call contexts are closed, and
        # only then does the management canister respond (Engine.settle_stopping)
        c.status = "stopping"
        c.stop_requests = c.stop_requests + [msg]  # a new list: snapshots share the old one
        self._stop_seq = getattr(self, "_stop_seq", 0) + 1
        heapq.heappush(
            self.net.stop_deadlines, (self.net.time_ns + STOP_CANISTER_TIMEOUT_NS, self._stop_seq, c.id, msg)
        )
        return DEFERRED

    def m_delete_canister(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "delete_canister")
        if c.status != "stopped":
            _fail(
                f"Canister {text_id(c.id)} must be stopped before it is deleted.",
                E.CANISTER_NOT_STOPPED,
                E.CANISTER_ERROR,
            )
        del self.net.canisters[c.id]
        return None

    def m_uninstall_code(self, msg: CallMessage, args: dict):
        c = self._controlled(msg, args["canister_id"], "uninstall_code")
        self.uninstall(c)
        return None

    def uninstall(self, c: Canister) -> None:
        c.module = c.bundle = c.interface = c.namespace = c.candid = None
        c.stable = StableStore()
        c.timers.clear()
        c.certified_data = b""
        c.install_count += 1
        self.net.delete_call_contexts(c)  # the spec: rejected and marked as deleted
        self.net.settle_stopping(c)

    def m_raw_rand(self, msg: CallMessage):
        return self.net._raw_rand_bytes()

    # -- chunked code ----------------------------------------------------------------------------
    def _chunk_store(self, msg: CallMessage, canister_id, method: str) -> Canister:
        c = self._target(canister_id)
        if not (c.is_controller(msg.caller) or msg.caller == c.id):
            _fail(
                f"Only controllers of canister {text_id(c.id)} can call ic00 method {method}",
                E.CANISTER_INVALID_CONTROLLER,
                E.CANISTER_ERROR,
            )
        return c

    def m_upload_chunk(self, msg: CallMessage, args: dict):
        c = self._chunk_store(msg, args["canister_id"], "upload_chunk")
        chunk = args["chunk"]
        if len(chunk) > CHUNK_MAX:
            _fail(
                f"Wasm chunk size {len(chunk)} exceeds the maximum chunk size of {CHUNK_MAX}",
                E.INVALID_MANAGEMENT_PAYLOAD,
            )
        h = hashlib.sha256(chunk).digest()
        if h not in c.chunks and len(c.chunks) >= CHUNK_STORE_MAX:
            _fail("Wasm chunk store is full", E.INVALID_MANAGEMENT_PAYLOAD)
        c.chunks[h] = bytes(chunk)
        return {"hash": h}

    def m_stored_chunks(self, msg: CallMessage, args: dict):
        c = self._chunk_store(msg, args["canister_id"], "stored_chunks")
        return [{"hash": h} for h in sorted(c.chunks)]

    def m_clear_chunk_store(self, msg: CallMessage, args: dict):
        c = self._chunk_store(msg, args["canister_id"], "clear_chunk_store")
        c.chunks.clear()
        return None

    def m_install_chunked_code(self, msg: CallMessage, args: dict):
        target = self._target(args["target_canister"])
        store_id = args.get("store_canister") or args["target_canister"]
        store = self._chunk_store(msg, store_id, "install_chunked_code")
        parts = []
        for entry in args["chunk_hashes_list"]:
            h = entry["hash"]
            if h not in store.chunks:
                _fail(
                    f"Error from Wasm chunk store: chunk {h.hex()} not found in the store "
                    f"of canister {text_id(store.id)}",
                    E.INVALID_MANAGEMENT_PAYLOAD,
                )
            parts.append(store.chunks[h])
        module = b"".join(parts)
        if hashlib.sha256(module).digest() != args["wasm_module_hash"]:
            _fail(
                f"Error from Wasm chunk store: wasm_module_hash "
                f"{args['wasm_module_hash'].hex()} does not match the hash "
                f"{hashlib.sha256(module).hexdigest()} of the assembled chunks",
                E.INVALID_MANAGEMENT_PAYLOAD,
            )
        result = self.install(msg.caller, target.id, module, args["arg"], args["mode"])
        if isinstance(result, Reject):
            raise ManagementError(result.code, result.message, result.error_code)
        return None

    def m_install_code(self, msg: CallMessage, args: dict):
        result = self.install(msg.caller, args["canister_id"].bytes, args["wasm_module"], args["arg"], args["mode"])
        if isinstance(result, Reject):
            raise ManagementError(result.code, result.message, result.error_code)
        return None

    # -- install ---------------------------------------------------------------------------------
    def install(self, sender: bytes, canister_id: bytes, module: bytes, arg: bytes, mode):
        """install/reinstall/upgrade: returns None or a Reject; atomic (all or nothing)."""
        try:
            return self._install(sender, canister_id, module, arg, _mode_name(mode))
        except ManagementError as e:
            return e.reject

    def _install(self, sender: bytes, canister_id: bytes, module: bytes, arg: bytes, mode: str):
        from localnet.kybra_source.bundle import BundleError, SourceBundle

        c = self.net.canisters.get(canister_id)
        if c is None:
            _fail(f"Canister {text_id(canister_id)} not found", E.CANISTER_NOT_FOUND, E.DESTINATION_INVALID)
        cid = text_id(c.id)
        if not c.is_controller(sender):
            _fail(
                f"Only controllers of canister {cid} can call ic00 method install_code",
                E.CANISTER_INVALID_CONTROLLER,
                E.CANISTER_ERROR,
            )
        if mode == "install" and not c.is_empty:
            _fail(
                f"Canister {cid} cannot be installed because the canister is not empty. "
                f"Try installing with mode='reinstall' instead.",
                E.CANISTER_NON_EMPTY,
                E.CANISTER_ERROR,
            )
        if mode == "upgrade" and c.is_empty:
            _fail(
                f"Canister {cid} has no Wasm module: upgrade needs an installed canister",
                E.CANISTER_WASM_MODULE_NOT_FOUND,
                E.CANISTER_ERROR,
            )
        try:
            bundle_bytes, candid = wasm_module.unpack(bytes(module))
            bundle = SourceBundle.from_bytes(bundle_bytes)
        except (wasm_module.ModuleError, BundleError) as e:
            _fail(
                f"Error from Canister {cid}: Canister's Wasm module is not valid: {e}",
                E.CANISTER_INVALID_WASM,
                E.CANISTER_ERROR,
            )
        findings, interface = _checked_interface(bundle_bytes, bundle)
        if findings:
            lines = "\n".join(str(f) for f in findings)
            _fail(
                f"Error from Canister {cid}: the Kybra source does not compile with "
                f"kybra 0.7.1 (localnet lint):\n{lines}",
                E.CANISTER_INVALID_WASM,
                E.CANISTER_ERROR,
            )
        # install_code is prepaid at its 300 B instruction limit like any execution
        # (cycles.py [PREPAY]); the unused part comes back once it has run
        policy = self.net.policy
        limit = metering.LIMITS["install"]
        prepaid = policy.execution_cost(limit)
        if not self.net._can_pay(c, prepaid):
            r = self.net._out_of_cycles(c, prepaid)
            raise ManagementError(r.code, r.message, r.error_code)
        c.cycles -= prepaid
        used = [0]
        bytes_before = c.allocated_bytes()

        def settle():
            c.cycles += policy.refund_unused_execution(max(0, limit - used[0]), prepaid)

        old = (
            c.module,
            c.bundle,
            c.interface,
            c.namespace,
            c.candid,
            c.stable,
            dict(c.timers),
            c.certified_data,
            c.next_timer_id,
            c.install_count,
        )
        old_maps = {mid: m.snapshot() for mid, m in c.stable.maps.items()}
        time_ns = self.net.time_ns

        def restore():
            (
                c.module,
                c.bundle,
                c.interface,
                c.namespace,
                c.candid,
                c.stable,
                c.timers,
                c.certified_data,
                c.next_timer_id,
                c.install_count,
            ) = old  # the old module runs on
            c.stable.rollback()
            for mid in list(c.stable.maps):
                if mid not in old_maps:
                    del c.stable.maps[mid]
            for mid, snap in old_maps.items():
                c.stable.maps[mid].restore(snap)

        msg = CallMessage(
            sender, c.id, "canister_" + ("post_upgrade" if mode == "upgrade" else "init"), bytes(arg), 0, kind="system"
        )
        if mode == "upgrade":
            pre = c.interface.system_method("pre_upgrade")
            if pre is not None:
                ex = Execution(c, msg, "pre_upgrade", pre.name, pre)
                kind, value = self.net._segment(ex, True)
                used[0] += ex.instructions
                if kind == "trap":
                    restore()
                    settle()
                    r = self.net._trap_reject(c, value)
                    raise ManagementError(r.code, f"{r.message} (in pre_upgrade)", r.error_code)
        if mode != "upgrade":
            c.stable = StableStore()
        c.timers = {}
        c.certified_data = c.certified_data if mode == "upgrade" else b""
        c.install_count += 1
        label = cid
        seed = hashlib.sha256(c.seed + c.install_count.to_bytes(8, "big")).digest()
        ns = CanisterNamespace(bundle.frozen_sources(), bundle.frozen_packages, bundle.entry, label, seed)
        c.namespace, c.interface, c.bundle, c.module = ns, interface, bundle, bytes(module)
        c.candid = candid
        kind_name = "post_upgrade" if mode == "upgrade" else "init"
        sig = interface.system_method(kind_name)
        ex = Execution(c, msg, kind_name, sig.name if sig else kind_name, sig)
        trap = self._run_install(c, ex, sig, interface)
        used[0] += ex.instructions
        settle()
        if trap is not None:
            restore()
            r = self.net._trap_reject(c, trap)
            raise ManagementError(r.code, r.message, r.error_code)
        refused = self._reserve_for_install(c, bytes_before)
        if refused is not None:
            restore()
            raise ManagementError(E.CANISTER_ERROR, refused[1], refused[0])
        c.stable.commit()
        # Kybra's init/post_upgrade end with `set_timer(0, seed random with raw_rand)`
        c.add_timer(time_ns, None, None)
        return None

    def _reserve_for_install(self, c: Canister, bytes_before: int):
        """The storage reservation at the end of install_code, or (error code, message).

        dfinity/ic rs/execution_environment/src/execution/install_code.rs @ f55af5fd282a,
        `InstallCodeHelper::finish`: once the unused execution cycles are refunded, the
        bytes the whole install_code allocated (the new module, Wasm and stable memory
        against the old, `allocated_bytes` of the memory allocation; the growth of
        init/pre_upgrade/post_upgrade itself) minus those it freed, when positive, cost
        `storage_reservation_cycles` at the subnet's saturation, moved by `reserve_cycles`
        (IC0534 `ReservedCyclesLimitExceededInMemoryGrow` past `reserved_cycles_limit`,
        IC0532 `InsufficientCyclesInMemoryGrow` past the balance); then the balance must
        stay at the freezing limit of the grown canister (IC0532). An error keeps the
        canister as it was, the execution charged (`finish_err`). The install endpoints
        reserve nothing themselves (rs/embedders wasmtime_embedder/system_api.rs, stored
        version id 2942983593: `should_update_available_memory_and_reserved_cycles` is
        false for Start, Init and PreUpgrade, "storage cycles are reserved at the end of
        install_code"). Below the subnet's threshold the reservation is 0, but the
        freezing check stands."""
        return self.net._reserve_storage(c, c.allocated_bytes() - bytes_before, check_freezing=True)

    def _run_install(self, c: Canister, ex: Execution, sig, interface) -> Optional[E.Trap]:
        """Module top level + init/post_upgrade, as one message; returns a Trap or None."""
        net = self.net
        ic = KybraIc(net, c, ex)
        meter = None
        try:
            try:
                c.stable.configure(interface.stable_maps, interface.env)
            except E.Trap as t:
                return t
            with c.namespace.activate(ic):
                if net.metering:
                    meter = metering.Meter(metering.LIMITS["install"], ex.mark_trap)
                    net._meter = meter
                    with meter:
                        meter.charge(metering.MESSAGE_ENTRY)
                        self._init_body(c, ex, sig)
                else:
                    self._init_body(c, ex, sig)
            if ex.trap is not None:
                return ex.trap
        except E.Trap as t:
            return ex.trap or t
        except KeyboardInterrupt:
            raise
        except BaseException as e:
            return ex.trap or E.Trap(f"{type(e).__name__}: {e}")
        finally:
            net._meter = None
            if meter is not None:
                ex.bytecodes = meter.bytecodes
                ex.instructions = meter.instructions
                net._record_bytecodes(ex, meter)
        return None

    def restore_code(self, c: Canister, module: bytes, maps: dict, raw_stable: bytes, saved: dict) -> None:
        """Reload saved state (state.py): code and stable data, then the top level runs
        and the saved heap globals and timers are put back (when they were saved)."""
        from localnet.kybra_source.analyze import analyze
        from localnet.kybra_source.bundle import SourceBundle

        bundle_bytes, candid = wasm_module.unpack(module)
        bundle = SourceBundle.from_bytes(bundle_bytes)
        interface = analyze(bundle)
        store = StableStore()
        store.configure(interface.stable_maps, interface.env)
        for mid_text, (mk, mv, entries, *nodes) in maps.items():
            m = store.maps.get(int(mid_text))
            if m is None:
                continue
            m.restore_layout((mk, mv), nodes[0] if nodes else (mk, mv))
            m.load_entries(entries)
        store.raw = bytearray(raw_stable)
        seed = hashlib.sha256(c.seed + c.install_count.to_bytes(8, "big")).digest()
        c.namespace = CanisterNamespace(
            bundle.frozen_sources(), bundle.frozen_packages, bundle.entry, text_id(c.id), seed
        )
        c.interface, c.bundle, c.module, c.candid, c.stable = interface, bundle, bytes(module), candid, store
        msg = CallMessage(b"", c.id, "canister_post_upgrade", b"", 0, kind="system")
        ex = Execution(c, msg, "post_upgrade", "<restore>", None)
        with c.namespace.activate(KybraIc(self.net, c, ex)):
            c.namespace.import_entry()
            if saved.get("heap") is not None:
                self._restore_heap(c, saved)
        if saved.get("heap_error"):
            c.log(
                self.net.time_ns,
                f"[localnet] the heap was not saved ({saved['heap_error']}): rebuilt by the module top level",
            )

    def _restore_heap(self, c: Canister, saved: dict) -> None:
        """Inside the canister's activation: heap globals, timers, randomness state."""
        import importlib

        from localnet.runtime.canister import Timer
        from localnet.runtime.heap import load_globals, load_objects

        ns = c.namespace
        for name in saved.get("heap_modules", []):
            if name not in ns.modules:
                importlib.import_module(name)  # a module imported lazily before the save
        load_globals(ns.modules, saved["heap"])
        c.timers = {
            tid: Timer(tid, due, interval, func, seq)
            for tid, due, interval, func, seq in load_objects(saved["timers"], ns.modules)
        }
        c.next_timer_id = saved["next_timer_id"]
        c.timer_seq = saved["timer_seq"]
        ns.urandom.counter = saved["urandom_counter"]
        ns.random_state = load_objects(saved["random_state"], {})

    def _init_body(self, c: Canister, ex: Execution, sig) -> None:
        c.namespace.import_entry()
        if sig is not None:
            self.net._invoke(ex)

    # -- HTTPS outcalls ------------------------------------------------------------------------
    def m_http_request(self, msg: CallMessage, args: dict):
        from localnet.runtime.outcalls import http_request

        return http_request(self, msg, args)
