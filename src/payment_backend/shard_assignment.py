"""Assigning merchant canisters to a report aggregator shard: the shard learns its new
merchants first (an awaited call, so it never refuses a merchant the factory assigned),
then each merchant is told by a one-way push; a merchant that missed the push learns its
shard from the `report_shard` of its next report reply or version check (the pull)."""

from kybra import Principal, ic

from src.common.merchant_api import MerchantCanister
from src.common.shard_api import ReportAggregator
from src.payment_backend.shard_registry import capacity, merchant_shard_map, open_shard, shards_map


def resize(shard_no: int, delta: int) -> None:
    shard = shards_map.get(shard_no)
    shard["merchants"] = max(0, shard["merchants"] + delta)
    shards_map.insert(shard_no, shard)


def assign_merchants(merchants: list):
    """Assign up to the open shard's room of `merchants` (Principals without a shard), a
    generator: the number assigned (0 when no shard has room or it did not answer)."""
    shard = open_shard()
    if shard is None or len(merchants) == 0:
        return 0
    batch = merchants[: capacity() - shard["merchants"]]
    shard_no = shard["shard_no"]
    resize(shard_no, len(batch))  # the room is taken before the call, so concurrent assignments cannot overfill
    result = yield ReportAggregator(shard["canister_id"]).add_report_merchants(batch)
    if getattr(result, "Err", None) is not None or "Err" in result.Ok:
        resize(shard_no, -len(batch))
        ic.print("report shard " + str(shard_no) + " refused merchants: " + str(result))
        return 0
    for merchant in batch:
        merchant_shard_map.insert(merchant.to_str(), shard_no)
        MerchantCanister(merchant).assign_report_shard(shard["canister_id"]).notify()
    return len(batch)


def assign_new_merchant(canister_id: Principal):
    """After a deployment (a generator): best effort, the merchant reports directly until
    it has a shard."""
    if merchant_shard_map.contains_key(canister_id.to_str()):
        return 0
    assigned = yield assign_merchants([canister_id])
    return assigned
