"""The report aggregator's stable state: its factory, the merchants the factory assigned
to it, each one's last report the factory counted (seeded at assignment), the reports
waiting for the next batch (the latest per merchant, queued in arrival order), the batch in
flight (its sums and its reports, kept until the factory acknowledged it) and named
counters (queue ends, batch seq, mirrored log versions, statistics)."""

from kybra import StableBTreeMap, nat8, nat64, text

from src.common.factory_api import MerchantMetricsReport, PaymentFactory
from src.common.shard_api import InflightBatch, ShardInitArgs, StagedReport

config_map = StableBTreeMap[nat8, ShardInitArgs](memory_id=0, max_key_size=16, max_value_size=200)
merchants_map = StableBTreeMap[text, nat8](memory_id=1, max_key_size=100, max_value_size=16)
pending_map = StableBTreeMap[text, MerchantMetricsReport](memory_id=2, max_key_size=100, max_value_size=8192)
queue_map = StableBTreeMap[nat64, text](memory_id=3, max_key_size=24, max_value_size=100)
counters_map = StableBTreeMap[text, nat64](memory_id=4, max_key_size=100, max_value_size=24)
last_map = StableBTreeMap[text, MerchantMetricsReport](memory_id=10, max_key_size=100, max_value_size=8192)
staged_map = StableBTreeMap[text, StagedReport](memory_id=11, max_key_size=100, max_value_size=8400)
inflight_map = StableBTreeMap[nat8, InflightBatch](memory_id=12, max_key_size=16, max_value_size=131_072)


def count(name: str) -> int:
    value = counters_map.get(name)
    return 0 if value is None else value


def add(name: str, delta: int) -> int:
    value = max(0, count(name) + delta)
    counters_map.insert(name, value)
    return value


def set_to(name: str, value: int) -> None:
    counters_map.insert(name, value)


def factory_text() -> str:
    config = config_map.get(0)
    return "" if config is None else config["factory"].to_str()


def factory_service():
    """The factory that deployed this shard (the only one it reports to and believes)."""
    config = config_map.get(0)
    return None if config is None else PaymentFactory(config["factory"])
