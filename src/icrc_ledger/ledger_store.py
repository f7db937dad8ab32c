"""Stable state of the ICRC ledger: every map survives upgrades; each lookup is O(log n).

Accounts are keyed by text: the owner's principal text, plus ":" and the subaccount
hex when the subaccount is not the default (all zeros or absent).
"""

from kybra import (
    Opt,
    Record,
    StableBTreeMap,
    Tuple,
    Vec,
    blob,
    nat,
    nat8,
    nat64,
    text,
)

from src.common.icrc_types import Account, MetadataEntry


class LedgerConfig(Record):
    name: text
    symbol: text
    decimals: nat8
    fee: nat
    minting_account: Account
    metadata: Vec[MetadataEntry]


class LedgerInitArgs(Record):
    name: text
    symbol: text
    decimals: Opt[nat8]
    fee: nat
    minting_account: Account
    initial_balances: Vec[Tuple[Account, nat]]
    metadata: Opt[Vec[MetadataEntry]]


class StoredAllowance(Record):
    allowance: nat
    expires_at: Opt[nat64]


class StoredBlock(Record):
    btype: text
    ts: nat64
    phash: Opt[blob]
    fee: Opt[nat]
    amt: nat
    from_account: Opt[Vec[blob]]
    to_account: Opt[Vec[blob]]
    spender: Opt[Vec[blob]]
    tx_fee: Opt[nat]
    memo: Opt[blob]
    created_at_time: Opt[nat64]
    expected_allowance: Opt[nat]
    expires_at: Opt[nat64]


class DedupQueueEntry(Record):
    tx_hash: blob
    block_ts: nat64


config_map = StableBTreeMap[text, LedgerConfig](memory_id=0, max_key_size=32, max_value_size=16_384)
balances = StableBTreeMap[text, nat](memory_id=1, max_key_size=256, max_value_size=64)
allowances = StableBTreeMap[text, StoredAllowance](memory_id=2, max_key_size=512, max_value_size=128)
blocks = StableBTreeMap[nat64, StoredBlock](memory_id=3, max_key_size=16, max_value_size=1_024)
counters = StableBTreeMap[text, nat](memory_id=4, max_key_size=64, max_value_size=64)
tip_hash_map = StableBTreeMap[text, blob](memory_id=5, max_key_size=32, max_value_size=64)
dedup_index = StableBTreeMap[blob, nat](memory_id=6, max_key_size=64, max_value_size=64)
dedup_queue = StableBTreeMap[nat64, DedupQueueEntry](memory_id=7, max_key_size=16, max_value_size=128)


def get_config() -> LedgerConfig:
    config = config_map.get("config")
    if config is None:
        raise ValueError("ledger is not initialised")
    return config


def get_counter(name: str) -> int:
    value = counters.get(name)
    return 0 if value is None else value


def set_counter(name: str, value: int) -> None:
    counters.insert(name, value)


def get_tip_hash() -> Opt[blob]:
    return tip_hash_map.get("tip")


def set_tip_hash(value: blob) -> None:
    tip_hash_map.insert("tip", value)
