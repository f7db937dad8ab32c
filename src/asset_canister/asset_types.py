"""Candid types of the asset canister: the subset of dfx's certified-assets interface
(`create_batch`/`create_chunk`/`commit_batch`/`store`/`get`/`get_chunk`/`list`) that
`dfx deploy` and `localnet deploy` use, plus the HTTP gateway interface (`http_request`
with body streaming) from spec/ic-interface/http-gateway-protocol-spec.md."""

from kybra import Func, Opt, Query, Record, Tuple, Variant, Vec, blob, int64, nat, nat16, nat64, text

HeaderField = Tuple[text, text]


class CreateAssetArguments(Record):
    key: text
    content_type: text
    max_age: Opt[nat64]
    headers: Opt[Vec[HeaderField]]


class SetAssetContentArguments(Record):
    key: text
    content_encoding: text
    chunk_ids: Vec[nat]
    sha256: Opt[blob]


class UnsetAssetContentArguments(Record):
    key: text
    content_encoding: text


class DeleteAssetArguments(Record):
    key: text


class BatchOperationKind(Variant, total=False):
    CreateAsset: CreateAssetArguments
    SetAssetContent: SetAssetContentArguments
    UnsetAssetContent: UnsetAssetContentArguments
    DeleteAsset: DeleteAssetArguments


class CommitBatchArguments(Record):
    batch_id: nat
    operations: Vec[BatchOperationKind]


class CreateBatchResponse(Record):
    batch_id: nat


class CreateChunkArg(Record):
    batch_id: nat
    content: blob


class CreateChunkResponse(Record):
    chunk_id: nat


class StoreArg(Record):
    key: text
    content_type: text
    content_encoding: text
    content: blob
    sha256: Opt[blob]


class GetArg(Record):
    key: text
    accept_encodings: Vec[text]


class EncodedAsset(Record):
    content: blob
    content_type: text
    content_encoding: text
    total_length: nat
    sha256: Opt[blob]


class GetChunkArg(Record):
    key: text
    content_encoding: text
    index: nat
    sha256: Opt[blob]


class GetChunkResponse(Record):
    content: blob


class AssetEncodingDetails(Record):
    content_encoding: text
    sha256: Opt[blob]
    length: nat
    modified: int64


# dfx's asset canister `list` argument (dfinity/sdk ic-asset `ListAssetsRequest`): a page
# from index `start` (0 when null) of at most `length` assets
class ListRequest(Record):
    start: Opt[nat]
    length: Opt[nat]


class AssetDetails(Record):
    key: text
    content_type: text
    encodings: Vec[AssetEncodingDetails]


class StoredEncoding(Record):
    content_encoding: text
    sha256: blob
    total_length: nat
    chunk_count: nat
    modified: int64


class StoredAsset(Record):
    content_type: text
    max_age: Opt[nat64]
    headers: Vec[HeaderField]
    encodings: Vec[StoredEncoding]


class AssetHttpRequest(Record):
    method: text
    url: text
    headers: Vec[HeaderField]
    body: blob
    certificate_version: Opt[nat16]


class StreamingCallbackToken(Record):
    key: text
    content_encoding: text
    index: nat
    sha256: Opt[blob]


class StreamingCallbackHttpResponse(Record):
    body: blob
    token: Opt[StreamingCallbackToken]


StreamingCallback = Func(Query[[StreamingCallbackToken], Opt[StreamingCallbackHttpResponse]])


class CallbackStrategy(Record):
    callback: StreamingCallback
    token: StreamingCallbackToken


class StreamingStrategy(Variant, total=False):
    Callback: CallbackStrategy


class AssetHttpResponse(Record):
    status_code: nat16
    headers: Vec[HeaderField]
    body: blob
    upgrade: Opt[bool]
    streaming_strategy: Opt[StreamingStrategy]
