"""Each merchant's last accepted metrics report, for the merchants the factory counts itself
(those without a report aggregator shard; a shard holds its merchants' own: docs/scaling.md,
option (b)). The factory hands a merchant's report to its shard at assignment and takes it
back when the merchant leaves the shard (shard_assignment.py)."""

from kybra import StableBTreeMap, text

from src.common.factory_api import MerchantMetricsReport

last_report_map = StableBTreeMap[text, MerchantMetricsReport](memory_id=110, max_key_size=100, max_value_size=8192)
