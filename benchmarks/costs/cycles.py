"""What a measured operation costs on the IC: the ledgers' transfer fees and the arithmetic
from measured usage (messages, instructions, bytes, outcalls) to cycles and USD.

The fee table of a 13-node application subnet, with its sources, is the one localnet
charges (localnet/runtime/cycles.py `FeeTable`); this model prices what the benchmark
measured and never reads localnet's balances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Dict

from localnet.runtime.cycles import APPLICATION_SUBNET, CYCLES_PER_XDR, FeeTable

XDR_USD_DEFAULT = 1.35  # [DOCS] 2025-05-22; an input: pass the day's IMF rate


def usd(cycles: float, xdr_usd: float = XDR_USD_DEFAULT) -> float:
    return cycles / CYCLES_PER_XDR * xdr_usd


@dataclass
class Usage:
    """What one operation used on one canister (the one that pays), or summed over
    several, as measured."""

    executions: int = 0  # update/timer message executions, response callbacks included
    instructions: int = 0  # instructions of those executions
    ingress_messages: int = 0
    ingress_bytes: int = 0  # method name + argument of each ingress message
    calls: int = 0  # inter-canister calls (to canisters and the management canister)
    call_bytes: int = 0  # request (method + argument) and response bytes of those calls
    outcalls: int = 0
    outcall_request_bytes: int = 0
    outcall_max_response_bytes: int = 0

    COUNTS: ClassVar[tuple] = (
        "executions",
        "instructions",
        "ingress_messages",
        "ingress_bytes",
        "calls",
        "call_bytes",
        "outcalls",
        "outcall_request_bytes",
        "outcall_max_response_bytes",
    )

    def plus(self, other: "Usage", times: float = 1) -> "Usage":
        """self + times x other (the parts of a flow, or retries of one attempt)."""
        return Usage(**{k: round(getattr(self, k) + getattr(other, k) * times) for k in self.COUNTS})

    @classmethod
    def of(cls, counts: dict) -> "Usage":
        return cls(**{k: counts.get(k, 0) for k in cls.COUNTS})


def cost(u: Usage, fees: FeeTable = APPLICATION_SUBNET) -> Dict[str, int]:
    """Cycles of each part of an operation, and the total. The instructions of all its
    executions are charged together by the 10-instruction unit (the IC rounds per
    execution: under 10 cycles apart per execution)."""
    parts = {
        "execution": fees.execution(0, u.executions),
        "instructions": fees.execution(u.instructions, 0),
        "ingress": fees.ingress(u.ingress_bytes, u.ingress_messages),
        "xnet": fees.xnet_call(u.call_bytes, u.calls),
        "outcalls": fees.http_outcall(u.outcall_request_bytes, u.outcall_max_response_bytes, u.outcalls),
    }
    parts["total"] = sum(parts.values())
    return parts


@dataclass(frozen=True)
class LedgerFee:
    symbol: str
    fee: int  # in the token's smallest unit, paid per transfer / approve / transfer_from
    decimals: int
    source: str

    def tokens(self, transfers: int = 1) -> float:
        return self.fee * transfers / 10**self.decimals


# The mainnet ledgers' transfer fees (ledgers can change them by proposal: canisters read
# icrc1_fee at run time, docs/ledgers.md; these are for pricing only).
LEDGER_FEES = {
    "ICP": LedgerFee(
        "ICP",
        10_000,
        8,
        "ICP ledger: 10,000 e8s = 0.0001 ICP (internetcomputer.org "
        "ICP ledger docs; ledger init `transfer_fee = opt record { e8s = 10_000 }`)",
    ),
    "ckBTC": LedgerFee(
        "ckBTC",
        10,
        8,
        "ckBTC ledger mxzaz-hqaaa-aaaar-qaada-cai: 10 satoshi "
        "(internetcomputer.org ckBTC docs; confirm with icrc1_fee)",
    ),
    "ckETH": LedgerFee(
        "ckETH",
        2_000_000_000_000,
        18,
        "ckETH ledger ss2fx-dyaaa-aaaar-qacoq-cai init "
        "`transfer_fee = 2_000_000_000_000` (dfinity/ic ckETH ledger init arg) = 0.000002 ETH",
    ),
    "ckUSDC": LedgerFee(
        "ckUSDC",
        10_000,
        6,
        "ckUSDC ledger xevnm-gaaaa-aaaar-qafnq-cai: 10,000 = 0.01 USDC "
        "(ckERC20 ledger init `transfer_fee = 10_000`, decimals 6; confirm with icrc1_fee)",
    ),
}
