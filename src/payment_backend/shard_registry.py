"""The factory's report aggregator shards and which merchant reports to which
(docs/scaling.md, "Report aggregators"): shard number -> record, shard canister -> number,
merchant canister -> number. A merchant is assigned to the newest active shard with room
(at most the shard capacity, default DEFAULT_CAPACITY); one without a shard reports to
the factory directly."""

from kybra import Opt, Principal, Record, StableBTreeMap, Variant, Vec, nat64, text

from src.payment_backend.factory_counters import get_count, top_seq

DEFAULT_CAPACITY = 5_000
CAPACITY = "shard_capacity"  # counter: merchants per shard (0: DEFAULT_CAPACITY)


class ReportShardInfo(Record):
    shard_no: nat64
    canister_id: Opt[Principal]
    version: text
    status: text  # creating | installing | active | failed
    merchants: nat64
    batches: nat64
    reports: nat64
    refused: nat64
    last_batch_at: nat64
    error: Opt[text]
    created_at: nat64


class ReportShardResult(Variant, total=False):
    Ok: ReportShardInfo
    Err: text


class ReportShardListResult(Variant, total=False):
    Ok: Vec[ReportShardInfo]
    Err: text


shards_map = StableBTreeMap[nat64, ReportShardInfo](memory_id=123, max_key_size=24, max_value_size=2_000)
shard_index_map = StableBTreeMap[text, nat64](memory_id=124, max_key_size=100, max_value_size=24)
merchant_shard_map = StableBTreeMap[text, nat64](memory_id=125, max_key_size=100, max_value_size=24)


def capacity() -> int:
    value = get_count(CAPACITY)
    return DEFAULT_CAPACITY if value == 0 else value


def shard_canister_of(merchant_text: str) -> "Principal | None":
    """The active shard a merchant reports to, or None (it reports to the factory)."""
    shard_no = merchant_shard_map.get(merchant_text)
    shard = None if shard_no is None else shards_map.get(shard_no)
    if shard is None or shard["status"] != "active":
        return None
    return shard["canister_id"]


def shard_of_caller(caller_text: str) -> "dict | None":
    """The active shard record of a calling canister, or None when it is no shard of ours."""
    shard_no = shard_index_map.get(caller_text)
    shard = None if shard_no is None else shards_map.get(shard_no)
    return shard if shard is not None and shard["status"] == "active" else None


def open_shard() -> "dict | None":
    """The newest active shard with room for one more merchant."""
    shard_no = top_seq("report_shards")
    probes = 0
    while shard_no >= 1 and probes < 100:
        shard = shards_map.get(shard_no)
        if shard is not None and shard["status"] == "active":
            return shard if shard["merchants"] < capacity() else None
        shard_no -= 1
        probes += 1
    return None


class ShardAssignResult(Variant, total=False):
    Ok: nat64
    Err: text
