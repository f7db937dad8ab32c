"""Installing stored modules through the IC chunk store.

kybra.canisters.management lacks the chunked-code methods, so they are declared here from
spec/ic-interface/ic.did. The factory is its own chunk store (`store_canister`): a version's
chunks are uploaded into the factory's chunk store once and every later install of that
version (new merchants, upgrades, rollouts) reuses them. Every message stays below 2 MiB:
`upload_chunk` carries one 1 MiB chunk, `install_chunked_code` only hashes.
"""

from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    Service,
    StableBTreeMap,
    Variant,
    Vec,
    blob,
    ic,
    nat64,
    null,
    service_update,
    text,
    void,
)

from src.payment_backend.factory_counters import add_count, get_count
from src.payment_backend.wasm_store import chunk_key, chunks_map, versions_map


class IcChunkHash(Record):
    hash: blob


class IcUploadChunkArgs(Record):
    canister_id: Principal
    chunk: blob


class IcChunkStoreArgs(Record):
    canister_id: Principal


class IcUpgradeOptions(Record):
    skip_pre_upgrade: Opt[bool]


class IcChunkedInstallMode(Variant, total=False):
    install: null
    reinstall: null
    upgrade: Opt[IcUpgradeOptions]


class IcInstallChunkedCodeArgs(Record):
    mode: IcChunkedInstallMode
    target_canister: Principal
    store_canister: Opt[Principal]
    chunk_hashes_list: Vec[IcChunkHash]
    wasm_module_hash: blob
    arg: blob
    sender_canister_version: Opt[nat64]


class ChunkedCodeManagement(Service):
    @service_update
    def upload_chunk(self, args: IcUploadChunkArgs) -> IcChunkHash: ...

    @service_update
    def clear_chunk_store(self, args: IcChunkStoreArgs) -> void: ...

    @service_update
    def stored_chunks(self, args: IcChunkStoreArgs) -> Vec[IcChunkHash]: ...

    @service_update
    def install_chunked_code(self, args: IcInstallChunkedCodeArgs) -> void: ...


chunk_management = ChunkedCodeManagement(Principal.from_str("aaaaa-aa"))

# version -> time it was staged in the factory's own chunk store
staged_map = StableBTreeMap[text, nat64](memory_id=14, max_key_size=64, max_value_size=24)


def clear_own_store() -> Async[text]:
    """Empties the factory's chunk store (when full); '' on success, else the error."""
    result: CallResult[void] = yield chunk_management.clear_chunk_store({"canister_id": ic.id()})
    if result.Err is not None:
        return "chunk_store_error: clear_chunk_store failed: " + result.Err
    # Bounded by MAX_VERSIONS: the staged set is small.
    for version in staged_map.keys():
        staged_map.remove(version)
    return ""


def upload_version(version: str) -> Async[text]:
    """Uploads every chunk of a version into the factory's chunk store, checking the hash
    the IC returns against the stored one; '' on success, else the error text."""
    rec = versions_map.get(version)
    for i in range(rec["chunk_count"]):
        chunk = chunks_map.get(chunk_key(version, i))
        result: CallResult[IcChunkHash] = yield chunk_management.upload_chunk({"canister_id": ic.id(), "chunk": chunk})
        if result.Err is not None:
            return "chunk_store_error: upload_chunk " + str(i) + " failed: " + result.Err
        if result.Ok["hash"] != rec["chunk_hashes"][i]:
            return "chunk_store_error: the IC hashed chunk " + str(i) + " differently"
    return ""


def stage_version(version: str) -> Async[text]:
    """Makes sure the version's chunks are in the factory's chunk store.

    When the store is full it is cleared and the upload retried once, but only when no
    other install is between staging and `install_chunked_code` (they would lose chunks).
    """
    if staged_map.contains_key(version):
        return ""
    err = yield upload_version(version)
    if err != "":
        if get_count("installs_in_flight") > 1:
            return err + " (chunk store busy: retry later)"
        cleared = yield clear_own_store()
        if cleared != "":
            return err + "; " + cleared
        err = yield upload_version(version)
        if err != "":
            return err
    staged_map.insert(version, ic.time())
    return ""


def install_version(target: Principal, version: str, mode: dict, arg: bytes) -> Async[text]:
    """Stages the version and installs it into target with install_chunked_code, the factory
    being the store canister; '' on success, else the error text."""
    add_count("installs_in_flight", 1)
    err = yield stage_version(version)
    if err != "":
        add_count("installs_in_flight", -1)
        return err
    rec = versions_map.get(version)
    result: CallResult[void] = yield chunk_management.install_chunked_code(
        {
            "mode": mode,
            "target_canister": target,
            "store_canister": ic.id(),
            "chunk_hashes_list": [{"hash": h} for h in rec["chunk_hashes"]],
            "wasm_module_hash": rec["sha256"],
            "arg": arg,
            "sender_canister_version": None,
        }
    )
    add_count("installs_in_flight", -1)
    if result.Err is not None:
        if "chunk" in result.Err and "not" in result.Err:
            # The store lost the chunks (cleared or reset): stage again next time.
            staged_map.remove(version)
        return result.Err
    return ""


def forget_staged(version: str) -> None:
    staged_map.remove(version)
