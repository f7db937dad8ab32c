"""The stable record of one ledger operation in the journal (ledger_journal.py)."""

from kybra import Opt, Principal, Record, blob, nat, nat32, nat64, text

from src.common.icrc_types import Account


class LedgerOperation(Record):
    op_id: text  # the key: also the lock of its subject (a session, a refund, a pre-authorization, a block)
    seq: nat64  # unique per operation: a late answer never settles a later operation under the same key
    kind: text  # charge | sweep | refund | payout | one_click | return
    label: text  # the operation named in conflicts; a takeover needs the same label
    subject: text  # what it is about (session, payment, token, pre-authorization, block)
    ledger: Principal
    method: text  # icrc1_transfer | icrc2_transfer_from | "" (the lock is held, the call not prepared yet)
    from_subaccount: Opt[blob]  # icrc1_transfer: this canister's subaccount the money leaves
    payer: Opt[Account]  # icrc2_transfer_from: the account the money is pulled from
    to: Account
    amount: nat
    fee: Opt[nat]
    memo: blob
    created_at_time: nat64  # fixed at the first attempt: every replay is deduplicated by the ledger
    started_at: nat64  # the lease: a call in flight for less than LEASE_SECONDS is left alone
    attempts: nat32
    state: text  # held | calling | unknown | looking_up
    caller: Principal
    context: text  # small JSON of the kind's own settle data
