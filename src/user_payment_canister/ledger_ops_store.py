"""The journal's stable state (ledger_journal.py): the operations in flight, their index by
subject, and the schema version of the canister's state (which post_upgrade migrations have
run)."""

from kybra import StableBTreeMap, Vec, nat8, nat32, text

from src.user_payment_canister.ledger_journal_types import LedgerOperation

ledger_ops_map = StableBTreeMap[text, LedgerOperation](
    memory_id=91, max_key_size=200, max_value_size=8_000
)  # a refund reason: 500 characters of UTF-8
schema_version_cell = StableBTreeMap[nat8, nat32](memory_id=92, max_key_size=8, max_value_size=16)  # one entry: key 0
ops_by_subject_map = StableBTreeMap[text, Vec[text]](
    memory_id=93, max_key_size=200, max_value_size=2_000
)  # "kind|subject" -> the ids of its operations in the journal: at most MAX_OPS_PER_SUBJECT ids of <= 90 chars

MAX_OPS_PER_SUBJECT = 20  # refunds of one payment, payouts of one token in the journal at once
JOURNAL_SCHEMA = 2  # 1: the release before the journal (its locks and intents in their own maps)
INDEXED_SCHEMA = 3  # 2: the journal without its index by subject (journal_migration.index_journal)
SCHEMA_VERSION = INDEXED_SCHEMA


def schema_version() -> int:
    """The version of the state; a canister installed before the journal reads as 1."""
    value = schema_version_cell.get(0)
    return 1 if value is None else value


def set_schema_version(version: int) -> None:
    schema_version_cell.insert(0, version)
