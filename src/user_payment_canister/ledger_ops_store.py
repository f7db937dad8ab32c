"""The journal's stable state (ledger_journal.py): the operations in flight, and the
schema version of the canister's state (which post_upgrade migrations have run)."""

from kybra import StableBTreeMap, nat8, nat32, text

from src.user_payment_canister.ledger_journal_types import LedgerOperation

ledger_ops_map = StableBTreeMap[text, LedgerOperation](
    memory_id=91, max_key_size=200, max_value_size=8_000
)  # a refund reason: 500 characters of UTF-8
schema_version_cell = StableBTreeMap[nat8, nat32](memory_id=92, max_key_size=8, max_value_size=16)  # one entry: key 0

SCHEMA_VERSION = 2  # 1: the release before the journal (its locks and intents in their own maps)


def schema_version() -> int:
    """The version of the state; a canister installed before the journal reads as 1."""
    value = schema_version_cell.get(0)
    return 1 if value is None else value


def set_schema_version(version: int) -> None:
    schema_version_cell.insert(0, version)
