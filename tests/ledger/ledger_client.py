"""Thin test client for the local ICRC ledger over ic-py: builds the Candid argument
shapes (opt as [] / [x]) and normalises ic-py's results (blobs as bytes, principals as
text), so the check table reads like the standard."""

from __future__ import annotations

import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LEDGER_ENTRY = os.path.join(ROOT, "src", "icrc_ledger", "main.py")
LEDGER_DID = os.path.join(ROOT, "candid", "icrc_ledger.did")
XRC_ENTRY = os.path.join(ROOT, "src", "exchange_rate", "main.py")
XRC_DID = os.path.join(ROOT, "candid", "exchange_rate.did")

FEE = 10_000
DECIMALS = 8
NAME = "Local Test Token"
SYMBOL = "LTT"
MINTER_TEXT = "aaaaa-aa"
ONE_SECOND_NS = 1_000_000_000
WINDOW_NS = 24 * 3600 * ONE_SECOND_NS
DRIFT_NS = 60 * ONE_SECOND_NS


def principal_text(p) -> str:
    return p if isinstance(p, str) else p.to_str()


def opt(x) -> list:
    return [] if x is None else [x]


def acct(owner, sub: bytes | None = None) -> dict:
    owner = owner if isinstance(owner, str) else owner.to_str()  # ic-py encodes principals from text
    return {"owner": owner, "subaccount": opt(None if sub is None else list(sub))}


def candid_account(owner: str, sub: bytes | None = None) -> str:
    sub_text = "null" if sub is None else 'opt blob "' + "".join(f"\\{b:02x}" for b in sub) + '"'
    return f'record {{ owner = principal "{owner}"; subaccount = {sub_text} }}'


def ledger_init_arg(balances: list[tuple[str, int]], minter: str = MINTER_TEXT) -> str:
    """The LedgerInitArgs of the test ledger as Candid text."""
    initial = "; ".join(f"record {{ {candid_account(owner)}; {amount} : nat }}" for owner, amount in balances)
    return (
        "(record { "
        f'name = "{NAME}"; symbol = "{SYMBOL}"; decimals = opt ({DECIMALS} : nat8); '
        f"fee = {FEE} : nat; minting_account = {candid_account(minter)}; "
        f"initial_balances = vec {{ {initial} }}; "
        'metadata = opt vec { record { "ckpay:test"; variant { Text = "yes" } } } })'
    )


def unwrap(res):
    """ic-py returns a list of return values; the ledger methods return one."""
    assert isinstance(res, list) and len(res) == 1, res
    return res[0]


def as_bytes(v) -> bytes:
    return bytes(v)


class LedgerClient:
    """One identity's view of the ledger."""

    def __init__(self, actor, identity):
        self.actor = actor
        self.identity = identity
        self.principal = identity.sender().to_str()
        self._calls = 0

    def _distinct(self) -> None:
        """Give the next update its own ingress expiry. ic-py sends no nonce and rounds the
        expiry to seconds, and the IC answers a repeated message id with its first reply, so
        two identical calls within a second would not both reach the ledger."""
        self._calls += 1
        self.actor.agent.ingress_expiry = 240 + self._calls % 60

    def account(self, sub: bytes | None = None) -> dict:
        return acct(self.principal, sub)

    def balance(self, owner=None, sub: bytes | None = None) -> int:
        return unwrap(self.actor.icrc1_balance_of(acct(owner or self.principal, sub)))

    def transfer(self, to: dict, amount: int, fee=None, memo=None, created_at_time=None, from_subaccount=None) -> dict:
        self._distinct()
        return unwrap(
            self.actor.icrc1_transfer(
                {
                    "from_subaccount": opt(None if from_subaccount is None else list(from_subaccount)),
                    "to": to,
                    "amount": amount,
                    "fee": opt(fee),
                    "memo": opt(None if memo is None else list(memo)),
                    "created_at_time": opt(created_at_time),
                }
            )
        )

    def approve(
        self,
        spender: dict,
        amount: int,
        fee=None,
        memo=None,
        created_at_time=None,
        expected_allowance=None,
        expires_at=None,
        from_subaccount=None,
    ) -> dict:
        self._distinct()
        return unwrap(
            self.actor.icrc2_approve(
                {
                    "from_subaccount": opt(None if from_subaccount is None else list(from_subaccount)),
                    "spender": spender,
                    "amount": amount,
                    "expected_allowance": opt(expected_allowance),
                    "expires_at": opt(expires_at),
                    "fee": opt(fee),
                    "memo": opt(None if memo is None else list(memo)),
                    "created_at_time": opt(created_at_time),
                }
            )
        )

    def transfer_from(
        self, source: dict, to: dict, amount: int, fee=None, memo=None, created_at_time=None, spender_subaccount=None
    ) -> dict:
        self._distinct()
        return unwrap(
            self.actor.icrc2_transfer_from(
                transfer_from_arg(source, to, amount, fee, memo, created_at_time, spender_subaccount)
            )
        )

    def allowance(self, account: dict, spender: dict) -> tuple[int, int | None]:
        res = unwrap(self.actor.icrc2_allowance({"account": account, "spender": spender}))
        expires = res["expires_at"]
        return res["allowance"], (expires[0] if expires else None)

    def blocks(self, ranges: list[tuple[int, int]]) -> dict:
        return unwrap(self.actor.icrc3_get_blocks([{"start": s, "length": n} for s, n in ranges]))


def transfer_from_arg(source, to, amount, fee=None, memo=None, created_at_time=None, spender_subaccount=None) -> dict:
    return {
        "spender_subaccount": opt(None if spender_subaccount is None else list(spender_subaccount)),
        "from": source,
        "to": to,
        "amount": amount,
        "fee": opt(fee),
        "memo": opt(None if memo is None else list(memo)),
        "created_at_time": opt(created_at_time),
    }
