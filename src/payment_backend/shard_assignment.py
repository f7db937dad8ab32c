"""Assigning merchant canisters to a report aggregator shard, and taking them back.

The merchants are marked as the shard's first (so the factory refuses their direct reports
from then on: system_analytics.merchant_report), then the shard learns them with their last
reports from the factory's `last_report_map` (awaited calls of SEED_CHUNK merchants, each
well under 2 MiB), which it holds from then on; then each merchant is told by a one-way
push, and a merchant that missed the push learns its shard from the `report_shard` of the
factory's replies (the pull). A merchant leaving the factory's sole control leaves its shard
(`release_merchant`): the shard stops counting it and hands its last report back."""

from kybra import Principal, ic

from src.common.merchant_api import MerchantCanister
from src.common.shard_api import ReportAggregator
from src.payment_backend.report_store import last_report_map
from src.payment_backend.shard_registry import capacity, merchant_shard_map, open_shard, shards_map

SEED_CHUNK = 100  # merchants per add_report_merchants call: at most 100 x 8 KiB of last reports


def resize(shard_no: int, delta: int) -> None:
    shard = shards_map.get(shard_no)
    shard["merchants"] = max(0, shard["merchants"] + delta)
    shards_map.insert(shard_no, shard)


def call_failed(result) -> bool:
    return getattr(result, "Err", None) is not None or "Err" in result.Ok


def take_back(reports: list) -> None:
    """The last reports a shard handed back: the factory counts these merchants again."""
    for seed in reports:
        key = seed["merchant"].to_str()
        if seed["last_report"] is not None:
            last_report_map.insert(key, seed["last_report"])
        elif last_report_map.contains_key(key):
            last_report_map.remove(key)


def unmark(shard_no: int, merchants: list) -> None:
    for merchant in merchants:
        merchant_shard_map.remove(merchant.to_str())
    resize(shard_no, -len(merchants))


def assign_merchants(merchants: list):
    """Assign up to the open shard's room of `merchants` (Principals without a shard), a
    generator: the number assigned (0 when no shard has room or it did not answer)."""
    shard = open_shard()
    if shard is None or len(merchants) == 0:
        return 0
    batch = merchants[: capacity() - shard["merchants"]]
    shard_no = shard["shard_no"]
    resize(shard_no, len(batch))  # the room is taken before the call, so concurrent assignments cannot overfill
    for merchant in batch:
        merchant_shard_map.insert(merchant.to_str(), shard_no)  # direct reports are refused from now on
    svc = ReportAggregator(shard["canister_id"])
    assigned = 0
    while assigned < len(batch):
        chunk = batch[assigned : assigned + SEED_CHUNK]
        seeds = [{"merchant": m, "last_report": last_report_map.get(m.to_str())} for m in chunk]
        result = yield svc.add_report_merchants(seeds)
        if call_failed(result):
            ic.print("report shard " + str(shard_no) + " refused merchants: " + str(result)[:300])
            rest = batch[assigned:]
            back = yield svc.remove_report_merchants(rest)  # in case it took them and the reply was lost
            if not call_failed(back):
                take_back(back.Ok["Ok"])
            unmark(shard_no, rest)
            break
        for merchant in chunk:
            if last_report_map.contains_key(merchant.to_str()):
                last_report_map.remove(merchant.to_str())  # the shard holds it now
            MerchantCanister(merchant).assign_report_shard(shard["canister_id"]).notify()
        assigned += len(chunk)
    return assigned


def assign_new_merchant(canister_id: Principal):
    """After a deployment (a generator): best effort, the merchant reports directly until
    it has a shard."""
    if merchant_shard_map.contains_key(canister_id.to_str()):
        return 0
    assigned = yield assign_merchants([canister_id])
    return assigned


def release_merchant(canister_id: Principal):
    """The merchant leaves its shard (a generator): "" when it has none or the shard handed
    its last report back, else why not (it stays with the shard; the caller retries)."""
    key = canister_id.to_str()
    shard_no = merchant_shard_map.get(key)
    shard = None if shard_no is None else shards_map.get(shard_no)
    if shard is None:
        return ""
    if shard["canister_id"] is None:
        unmark(shard_no, [canister_id])
        return ""
    result = yield ReportAggregator(shard["canister_id"]).remove_report_merchants([canister_id])
    if call_failed(result):
        return (
            "shard_unavailable: report shard " + str(shard_no) + " did not release the merchant: " + str(result)[:300]
        )
    take_back(result.Ok["Ok"])
    if merchant_shard_map.get(key) == shard_no:
        unmark(shard_no, [canister_id])
    return ""
