"""The report aggregator shard this merchant canister reports to (docs/scaling.md, "Report
aggregators"), or none (it reports to the factory). Believed only from the factory: its
push (`assign_report_shard`, at deployment or when it assigns existing merchants) or the
`report_shard` of the factory's own replies to this canister (the pull)."""

from kybra import Principal, StableBTreeMap, nat8, update

from src.common.shard_api import ReportAggregator
from src.user_payment_canister.access_control import caller_text, is_factory
from src.user_payment_canister.merchant_store import bump
from src.user_payment_canister.merchant_types import MerchantUnitResult

report_shard_map = StableBTreeMap[nat8, Principal](memory_id=105, max_key_size=16, max_value_size=100)


def report_shard() -> "Principal | None":
    return report_shard_map.get(0)


def shard_service():
    shard = report_shard()
    return None if shard is None else ReportAggregator(shard)


def set_report_shard(shard: "Principal | None") -> None:
    current = report_shard()
    if shard is None:
        if current is not None:
            report_shard_map.remove(0)
        return
    if current is None or current.to_str() != shard.to_str():
        report_shard_map.insert(0, shard)
        bump("rep:shard_changes")


def note_factory_versions(versions: dict) -> None:
    """A reply of the factory itself names this canister's shard (None: report directly)."""
    set_report_shard(versions["report_shard"])


@update
def assign_report_shard(shard: Principal) -> MerchantUnitResult:
    """The factory only: report to this shard from the next tick on."""
    who = caller_text()
    if not is_factory(who):
        return {"Err": "unauthorized: only this canister's factory may assign its report shard (caller " + who + ")"}
    set_report_shard(shard)
    return {"Ok": None}
