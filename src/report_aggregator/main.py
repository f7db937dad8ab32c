"""Report aggregator shard (docs/scaling.md, "Report aggregators"): deployed by the factory
(payment_backend/report_shards.py) for up to its shard capacity of merchant canisters. Its
merchants send it their metrics reports; it holds each one's last report, checks and sums
the new ones and sends the factory the sums of a batch every 300 s, and mirrors the factory's security logs for them, so the factory's load grows with the
number of shards, not of merchants."""

from kybra import init, post_upgrade, void

from src.common.shard_api import ShardInitArgs
from src.report_aggregator.shard_mirror import (  # noqa: F401
    get_fraud_patterns_since,
    get_global_blocklist_changes,
    get_known_bad_address_changes,
    get_reputation_changes,
    get_security_versions,
    get_system_alerts_since,
)
from src.report_aggregator.shard_reports import (  # noqa: F401
    add_report_merchants,
    arm_batches,
    get_merchant_report,
    get_shard_status,
    remove_report_merchants,
    submit_metrics_report,
)
from src.report_aggregator.shard_store import config_map, set_to


@init
def init_shard(args: ShardInitArgs) -> void:
    config_map.insert(0, {"factory": args["factory"]})
    arm_batches()


@post_upgrade
def post_upgrade_shard() -> void:
    # The factory stops a shard before upgrading it, so no batch call is open: a batch lock
    # left set was left by a trapped callback. The staged batch is re-sent as it was.
    set_to("lock_at", 0)
    arm_batches()
