"""`LedgerClient`: an ICRC-1/2 ledger (`candid/icrc_ledger.did`, the standard interface,
so it works with the real ckBTC/ckETH/ICP ledgers too): balances, transfers, approvals.
Ledger errors (`variant { Err : TransferError }`) raise `LedgerError`."""

from __future__ import annotations

import time

from .interface import Canister
from .merchant import account


class LedgerError(Exception):
    def __init__(self, method: str, error: dict):
        self.error = error
        (self.kind,) = error.keys() if isinstance(error, dict) and len(error) == 1 else ("?",)
        super().__init__(f"{method}: ledger refused: {error}")


class LedgerClient(Canister):
    def __init__(self, agent, canister_id, interface="icrc_ledger"):
        super().__init__(agent, canister_id, interface)

    def _ok(self, method: str, *args) -> int:
        reply = self.call(method, *args)
        if "Err" in reply:
            raise LedgerError(method, reply["Err"])
        return reply["Ok"]

    def fee(self) -> int:
        return self.call("icrc1_fee")

    def symbol(self) -> str:
        return self.call("icrc1_symbol")

    def balance(self, owner, subaccount: bytes | None = None) -> int:
        return self.call("icrc1_balance_of", account(owner, subaccount))

    def transfer(self, to_owner, amount: int, to_subaccount: bytes | None = None, memo: bytes | None = None) -> int:
        """ICRC-1 transfer from the caller's default account; returns the block index."""
        return self._ok(
            "icrc1_transfer",
            {
                "to": account(to_owner, to_subaccount),
                "amount": amount,
                "fee": None,
                "memo": memo,
                "from_subaccount": None,
                "created_at_time": time.time_ns(),
            },
        )

    def approve(self, spender, amount: int, expires_at_ns: int | None = None) -> int:
        """ICRC-2 approval of `spender` (e.g. a merchant canister); returns the block."""
        return self._ok(
            "icrc2_approve",
            {
                "spender": account(spender),
                "amount": amount,
                "fee": None,
                "memo": None,
                "from_subaccount": None,
                "created_at_time": time.time_ns(),
                "expected_allowance": None,
                "expires_at": expires_at_ns,
            },
        )
