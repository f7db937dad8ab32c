"""Asset canister: serves a front end's static files over the HTTP gateway protocol.

dfx deploys `"type": "assets"` canisters with its own asset canister Wasm; localnet runs
Kybra source only, so this canister implements the subset of that interface the upload
tools and the gateway use (see docs/web.md). Whoever installs it is authorized to upload;
`authorize` adds more principals. Files are served at their key; `/x` also finds
`/x.html` and `/x/index.html`, and unknown paths without a file extension fall back to
`/index.html` (single-page apps), as dfx's canister does."""

from kybra import Opt, Principal, Vec, ic, init, nat, query, update, void

from src.asset_canister.asset_store import (
    MAX_CHUNK,
    assets_map,
    authorized_map,
    batches,
    choose_encoding,
    chunk_key,
    chunks,
    content_map,
    counters,
    create_asset,
    delete_asset,
    end_batch,
    require_authorized,
    set_content,
    take_chunks,
    unset_content,
)
from src.asset_canister.asset_types import (
    AssetDetails,
    AssetHttpRequest,
    AssetHttpResponse,
    CommitBatchArguments,
    CreateBatchResponse,
    CreateChunkArg,
    CreateChunkResponse,
    EncodedAsset,
    GetArg,
    GetChunkArg,
    GetChunkResponse,
    ListRequest,
    StoreArg,
    StreamingCallbackHttpResponse,
    StreamingCallbackToken,
)

HEX_DIGITS = "0123456789abcdefABCDEF"
LIST_PAGE_MAX = 1_000
LIST_REPLY_BUDGET = 1_000_000  # bytes of one `list` page (the IC's reply limit is 2 MiB)


@init
def init() -> void:
    authorized_map.insert(ic.caller().to_str(), True)


@update
def authorize(other: Principal) -> void:
    require_authorized()
    authorized_map.insert(other.to_str(), True)


@query
def list_authorized() -> Vec[Principal]:
    return [Principal.from_str(p) for p in authorized_map.keys()]


@update
def create_batch() -> CreateBatchResponse:
    require_authorized()
    counters["batch"] += 1
    batches[counters["batch"]] = set()
    return {"batch_id": counters["batch"]}


@update
def create_chunk(arg: CreateChunkArg) -> CreateChunkResponse:
    require_authorized()
    if arg["batch_id"] not in batches:
        ic.trap("batch " + str(arg["batch_id"]) + " does not exist (committed or never created)")
    if len(arg["content"]) > MAX_CHUNK:
        ic.trap("a chunk holds at most " + str(MAX_CHUNK) + " bytes")
    counters["chunk"] += 1
    chunks[counters["chunk"]] = (arg["batch_id"], bytes(arg["content"]))
    batches[arg["batch_id"]].add(counters["chunk"])
    return {"chunk_id": counters["chunk"]}


@update
def commit_batch(arg: CommitBatchArguments) -> void:
    require_authorized()
    batch_id = arg["batch_id"]
    if batch_id not in batches:
        ic.trap("batch " + str(batch_id) + " does not exist (committed or never created)")
    for op in arg["operations"]:
        if "CreateAsset" in op:
            a = op["CreateAsset"]
            create_asset(a["key"], a["content_type"], a["max_age"], a["headers"])
        elif "SetAssetContent" in op:
            a = op["SetAssetContent"]
            set_content(a["key"], a["content_encoding"], take_chunks(batch_id, a["chunk_ids"]), a["sha256"])
        elif "UnsetAssetContent" in op:
            unset_content(op["UnsetAssetContent"]["key"], op["UnsetAssetContent"]["content_encoding"])
        else:
            delete_asset(op["DeleteAsset"]["key"])
    end_batch(batch_id)


@update
def store(arg: StoreArg) -> void:
    require_authorized()
    if len(arg["content"]) > MAX_CHUNK:
        ic.trap("store takes at most " + str(MAX_CHUNK) + " bytes: upload larger files in batches")
    create_asset(arg["key"], arg["content_type"], None, None)
    set_content(arg["key"], arg["content_encoding"], [bytes(arg["content"])], arg["sha256"])


@update
def delete_asset_key(key: str) -> void:
    require_authorized()
    delete_asset(key)


@update
def clear() -> void:
    require_authorized()
    for key in assets_map.keys():
        delete_asset(key)
    for batch_id in [b for b in batches]:
        end_batch(batch_id)


@query
def get(arg: GetArg) -> EncodedAsset:
    asset = assets_map.get(arg["key"])
    if asset is None:
        ic.trap("asset not found: " + arg["key"])
    enc = choose_encoding(asset, ["identity"] + [e for e in arg["accept_encodings"]])
    if enc is None:
        ic.trap("no such encoding for " + arg["key"])
    return {
        "content": content_map.get(chunk_key(arg["key"], enc["content_encoding"], 0)),
        "content_type": asset["content_type"],
        "content_encoding": enc["content_encoding"],
        "total_length": enc["total_length"],
        "sha256": enc["sha256"],
    }


@query
def get_chunk(arg: GetChunkArg) -> GetChunkResponse:
    content = content_map.get(chunk_key(arg["key"], arg["content_encoding"], arg["index"]))
    if content is None:
        ic.trap("chunk not found: " + arg["key"] + " " + arg["content_encoding"] + " #" + str(arg["index"]))
    return {"content": content}


@query
def list(arg: ListRequest) -> Vec[AssetDetails]:  # noqa: A001 (the dfx asset canister's method name)
    """A page of the assets in key order, as dfx's paginated `list` (callers ask again from
    `start` + what they got until a page is empty): at most LIST_PAGE_MAX entries and about
    LIST_REPLY_BUDGET bytes, so the reply stays far below the IC's 2 MiB (a stored asset is
    at most 100 KB, so a page holds at least 10)."""
    start = 0 if arg["start"] is None else arg["start"]
    length = LIST_PAGE_MAX if arg["length"] is None else min(arg["length"], LIST_PAGE_MAX)
    out = []
    size = 0
    for key in assets_map.keys()[start : start + length]:
        asset = assets_map.get(key)
        details = {
            "key": key,
            "content_type": asset["content_type"],
            "encodings": [
                {
                    "content_encoding": e["content_encoding"],
                    "sha256": e["sha256"],
                    "length": e["total_length"],
                    "modified": e["modified"],
                }
                for e in asset["encodings"]
            ],
        }
        size += (
            len(key)
            + len(asset["content_type"])
            + 16
            + sum(len(e["content_encoding"]) + 64 for e in asset["encodings"])
        )
        if size > LIST_REPLY_BUDGET and len(out) > 0:
            break
        out.append(details)
    return out


def url_path(url: str) -> str:
    """The percent-decoded path of a request URL (no query or fragment); invalid escapes
    are kept as written. (`urllib` is not in Kybra's audited stdlib list.)"""
    raw = (url.split("?", 1)[0].split("#", 1)[0] or "/").encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        pair = raw[i + 1 : i + 3].decode("latin-1")
        if raw[i] == 37 and len(pair) == 2 and all(c in HEX_DIGITS for c in pair):
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def find_asset(path: str):
    """(key, asset) for a request path, applying the aliasing and SPA fallback rules."""
    candidates = [path]
    if path.endswith("/"):
        candidates.append(path + "index.html")
    else:
        candidates.extend([path + ".html", path + "/index.html"])
    last = path.rsplit("/", 1)[-1]
    if "." not in last:
        candidates.append("/index.html")
    for key in candidates:
        asset = assets_map.get(key)
        if asset is not None and asset["encodings"]:
            return key, asset
    return None, None


def accepted_encodings(headers) -> list:
    accepted = ["identity"]
    for name, value in headers:
        if name.lower() == "accept-encoding":
            for part in value.split(","):
                token = part.split(";", 1)[0].strip().lower()
                if token:
                    accepted.append(token)
    return accepted


def response(status: int, headers: list, body: bytes, strategy) -> dict:
    return {"status_code": status, "headers": headers, "body": body, "upgrade": None, "streaming_strategy": strategy}


@query
def http_request(req: AssetHttpRequest) -> AssetHttpResponse:
    if req["method"] not in ("GET", "HEAD"):
        return response(
            405,
            [("Content-Type", "text/plain"), ("Allow", "GET, HEAD")],
            b"Method not allowed: this asset canister serves GET and HEAD",
            None,
        )
    path = url_path(req["url"])
    key, asset = find_asset(path)
    if asset is None:
        return response(404, [("Content-Type", "text/plain")], ("Not found: " + path).encode(), None)
    enc = choose_encoding(asset, accepted_encodings(req["headers"]))
    if enc is None:
        return response(406, [("Content-Type", "text/plain")], ("No acceptable encoding for " + path).encode(), None)
    name = enc["content_encoding"]
    headers = [("Content-Type", asset["content_type"])]
    if name != "identity":
        headers.append(("Content-Encoding", name))
    if asset["max_age"] is not None:
        headers.append(("Cache-Control", "max-age=" + str(asset["max_age"])))
    headers.extend(asset["headers"])
    headers.append(("ETag", '"' + enc["sha256"].hex() + '"'))
    body = b"" if req["method"] == "HEAD" else content_map.get(chunk_key(key, name, 0))
    strategy = None
    if enc["chunk_count"] > 1 and req["method"] == "GET":
        token = {"key": key, "content_encoding": name, "index": 1, "sha256": enc["sha256"]}
        strategy = {"Callback": {"callback": (ic.id(), "http_request_streaming_callback"), "token": token}}
    return response(200, headers, body, strategy)


@query
def http_request_streaming_callback(token: StreamingCallbackToken) -> Opt[StreamingCallbackHttpResponse]:
    asset = assets_map.get(token["key"])
    if asset is None:
        ic.trap("asset not found: " + token["key"])
    for enc in asset["encodings"]:
        if enc["content_encoding"] == token["content_encoding"]:
            if token["sha256"] is not None and bytes(token["sha256"]) != enc["sha256"]:
                ic.trap("the asset changed while it was being streamed")
            body = content_map.get(chunk_key(token["key"], token["content_encoding"], token["index"]))
            if body is None:
                ic.trap("chunk " + str(token["index"]) + " of " + token["key"] + " not found")
            following = None
            if token["index"] + 1 < enc["chunk_count"]:
                following = {
                    "key": token["key"],
                    "content_encoding": token["content_encoding"],
                    "index": token["index"] + 1,
                    "sha256": token["sha256"],
                }
            return {"body": body, "token": following}
    ic.trap("encoding " + token["content_encoding"] + " of " + token["key"] + " not found")
