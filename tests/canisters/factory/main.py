from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    Service,
    Variant,
    Vec,
    blob,
    ic,
    nat,
    nat64,
    null,
    query,
    service_update,
    update,
    void,
)
from kybra.canisters.management import (
    CanisterStatusResult,
    CreateCanisterResult,
    HttpResponse,
    HttpTransformArgs,
    management_canister,
)


class ChunkHash(Record):
    hash: blob


class UploadChunkArgs(Record):
    canister_id: Principal
    chunk: blob


class InstallChunkedCodeArgs(Record):
    mode: "ChunkedInstallMode"
    target_canister: Principal
    store_canister: Opt[Principal]
    chunk_hashes_list: Vec[ChunkHash]
    wasm_module_hash: blob
    arg: blob


class UpgradeFlags(Record):
    skip_pre_upgrade: Opt[bool]


class ChunkedInstallMode(Variant, total=False):
    install: null
    reinstall: null
    upgrade: Opt[UpgradeFlags]


class ChunkStore(Service):
    @service_update
    def upload_chunk(self, args: UploadChunkArgs) -> ChunkHash:
        ...

    @service_update
    def install_chunked_code(self, args: InstallChunkedCodeArgs) -> void:
        ...

    @service_update
    def clear_chunk_store(self, args: "ClearChunkStoreArgs") -> void:
        ...


class ClearChunkStoreArgs(Record):
    canister_id: Principal


@update
def create_child(cycles: nat64) -> Async[Principal]:
    result: CallResult[CreateCanisterResult] = yield management_canister.create_canister(
        {"settings": None}
    ).with_cycles(cycles)
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok["canister_id"]


@update
def install_child(child: Principal, wasm: blob, arg: blob, mode: str) -> Async[str]:
    result: CallResult[void] = yield management_canister.install_code(
        {"mode": {mode: None}, "canister_id": child, "wasm_module": wasm, "arg": arg}
    )
    return result.Err or "ok"


@update
def child_status(child: Principal) -> Async[CanisterStatusResult]:
    result: CallResult[CanisterStatusResult] = yield management_canister.canister_status(
        {"canister_id": child}
    )
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok


@update
def upload(chunk: blob) -> Async[blob]:
    result: CallResult[ChunkHash] = yield ChunkStore(Principal.from_str("aaaaa-aa")).upload_chunk(
        {"canister_id": ic.id(), "chunk": chunk}
    )
    if result.Err is not None:
        ic.trap(result.Err)
    return result.Ok["hash"]


@update
def install_chunked(
    child: Principal, hashes: Vec[blob], module_hash: blob, arg: blob
) -> Async[str]:
    result: CallResult[void] = yield ChunkStore(
        Principal.from_str("aaaaa-aa")
    ).install_chunked_code(
        {
            "mode": {"install": None},
            "target_canister": child,
            "store_canister": ic.id(),
            "chunk_hashes_list": [{"hash": h} for h in hashes],
            "wasm_module_hash": module_hash,
            "arg": arg,
        }
    )
    return result.Err or "ok"


def _get(url: str, transform: bool, cycles: nat64):
    return management_canister.http_request(
        {
            "url": url,
            "max_response_bytes": 10000,
            "method": {"get": None},
            "headers": [{"name": "Accept", "value": "text/plain"}],
            "body": None,
            "transform": {"function": (ic.id(), "strip"), "context": b"ctx"} if transform else None,
        }
    ).with_cycles(cycles)


def _shown(result: CallResult[HttpResponse]) -> str:
    if result.Err is not None:
        return "Err: " + result.Err
    return str(result.Ok["status"]) + " " + result.Ok["body"].decode()


@update
def fetch(url: str, transform: bool) -> Async[str]:
    result: CallResult[HttpResponse] = yield _get(url, transform, 1_000_000_000)
    return _shown(result)


@update
def fetch_paying(url: str, cycles: nat64) -> Async[str]:
    """A transformed GET carrying exactly `cycles`: the fee counts the transform's bytes."""
    result: CallResult[HttpResponse] = yield _get(url, True, cycles)
    return _shown(result)


@query
def strip(args: HttpTransformArgs) -> HttpResponse:
    response = args["response"]
    return {
        "status": response["status"],
        "headers": [],
        "body": response["body"] + b" transformed " + args["context"],
    }


@update
def random_bytes() -> Async[blob]:
    result: CallResult[blob] = yield management_canister.raw_rand()
    return result.Ok or b""
