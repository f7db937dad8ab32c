"""What a measured operation costs on the IC: the published fee table of a 13-node
application subnet, the ledgers' transfer fees, and the arithmetic from measured usage
(messages, instructions, bytes, outcalls) to cycles and USD.

Fee sources (each constant below names one):
  [SUBNET]  dfinity/ic rs/config/src/subnet_config.rs, `CyclesAccountManagerConfig::
            application_subnet()`, commit 002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe
            (the stored snapshot read 2026-12-04).
  [DOCS]    dfinity/developer-docs docs/reference/cycles-costs.md ("Cycles Costs", merged
            2026-03-13, PR #8; USD column at 1 XDR ~ $1.35, the rate of 2025-05-22): the
            same figures as [SUBNET], plus the HTTPS outcall formula and "1 trillion
            cycles = 1 XDR".
localnet charges its own, older copy of these fees (localnet/runtime/cycles.py:
590,000 per message, 4 per 10 instructions, 100B per canister creation: the 2021 table);
this model prices what the benchmark measured and never reads localnet's balances.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Dict

SUBNET_SOURCE = ("dfinity/ic rs/config/src/subnet_config.rs @ 002d5530aeb1 "
                 "(CyclesAccountManagerConfig::application_subnet, read 2026-12-04)")
DOCS_SOURCE = ("dfinity/developer-docs docs/reference/cycles-costs.md "
               "(merged 2026-03-13; USD at 1 XDR = $1.35, 2025-05-22)")
CYCLES_PER_XDR = 1_000_000_000_000  # [DOCS] "1 trillion cycles = 1 XDR"
XDR_USD_DEFAULT = 1.35  # [DOCS] 2025-05-22; an input: pass the day's IMF rate
GIB = 1024 ** 3
SECONDS_PER_MONTH = 30 * 24 * 3600  # [DOCS] "per GiB per month (30 days)"


@dataclass(frozen=True)
class FeeTable:
    """Fees of one application subnet, in cycles, for `subnet_size` nodes (the IC scales
    every fee by n / 13 except the outcall formula, which has n in it)."""
    update_message_execution_fee: int = 5_000_000  # [SUBNET] [DOCS] per executed update message
    ten_update_instructions_execution_fee: int = 10  # [SUBNET] i.e. 1 cycle per instruction [DOCS]
    ingress_message_reception_fee: int = 1_200_000  # [SUBNET] [DOCS]
    ingress_byte_reception_fee: int = 2_000  # [SUBNET] [DOCS]
    xnet_call_fee: int = 260_000  # [SUBNET] [DOCS] request + response, paid by the caller
    xnet_byte_transmission_fee: int = 1_000  # [SUBNET] [DOCS] per byte of request and response
    gib_storage_per_second_fee: int = 127_000  # [SUBNET] [DOCS]
    canister_creation_fee: int = 500_000_000_000  # [SUBNET] [DOCS]
    http_request_linear_baseline_fee: int = 3_000_000  # [SUBNET] [DOCS]
    http_request_quadratic_baseline_fee: int = 60_000  # [SUBNET] [DOCS]
    http_request_per_byte_fee: int = 400  # [SUBNET] [DOCS]
    http_response_per_byte_fee: int = 800  # [SUBNET] [DOCS] per *reserved* (max_response_bytes) byte
    subnet_size: int = 13  # [DOCS] application subnets
    reference_subnet_size: int = 13  # [SUBNET] DEFAULT_REFERENCE_SUBNET_SIZE

    def scale(self, cycles: int) -> int:
        """A 13-node fee on this subnet size (the IC rounds each scaled fee down)."""
        return cycles * self.subnet_size // self.reference_subnet_size

    def execution(self, instructions: int, count: int = 1) -> int:
        """`count` executed update messages (or response callbacks, or timers) that ran
        `instructions` in all."""
        return self.scale(self.update_message_execution_fee) * count + \
            self.scale(self.ten_update_instructions_execution_fee * (instructions // 10))

    def ingress(self, size_bytes: int, count: int = 1) -> int:
        """`count` ingress messages of `size_bytes` in all (method names + arguments)."""
        return self.scale(self.ingress_message_reception_fee) * count + \
            self.scale(self.ingress_byte_reception_fee * size_bytes)

    def xnet_call(self, size_bytes: int, count: int = 1) -> int:
        """`count` inter-canister calls moving `size_bytes` in all (requests and responses)."""
        return self.scale(self.xnet_call_fee) * count + self.scale(self.xnet_byte_transmission_fee * size_bytes)

    def http_outcall(self, request_bytes: int, max_response_bytes: int, count: int = 1) -> int:
        """[DOCS] per outcall (3M + 60K n) n + (400 request_bytes + 800 max_response_bytes) n;
        for `count` outcalls the bytes are their sums."""
        n = self.subnet_size
        base = (self.http_request_linear_baseline_fee + self.http_request_quadratic_baseline_fee * n) * n
        return base * count + (self.http_request_per_byte_fee * request_bytes
                               + self.http_response_per_byte_fee * max_response_bytes) * n

    def storage_per_month(self, size_bytes: float) -> float:
        return self.scale(self.gib_storage_per_second_fee) * size_bytes / GIB * SECONDS_PER_MONTH


APPLICATION_SUBNET = FeeTable()


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

    COUNTS: ClassVar[tuple] = ("executions", "instructions", "ingress_messages", "ingress_bytes", "calls",
                               "call_bytes", "outcalls", "outcall_request_bytes", "outcall_max_response_bytes")

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
        return self.fee * transfers / 10 ** self.decimals


# The mainnet ledgers' transfer fees (ledgers can change them by proposal: canisters read
# icrc1_fee at run time, docs/ledgers.md; these are for pricing only).
LEDGER_FEES = {
    "ICP": LedgerFee("ICP", 10_000, 8, "ICP ledger: 10,000 e8s = 0.0001 ICP (internetcomputer.org "
                     "ICP ledger docs; ledger init `transfer_fee = opt record { e8s = 10_000 }`)"),
    "ckBTC": LedgerFee("ckBTC", 10, 8, "ckBTC ledger mxzaz-hqaaa-aaaar-qaada-cai: 10 satoshi "
                       "(internetcomputer.org ckBTC docs; confirm with icrc1_fee)"),
    "ckETH": LedgerFee("ckETH", 2_000_000_000_000, 18, "ckETH ledger ss2fx-dyaaa-aaaar-qacoq-cai init "
                       "`transfer_fee = 2_000_000_000_000` (dfinity/ic ckETH ledger init arg) = 0.000002 ETH"),
    "ckUSDC": LedgerFee("ckUSDC", 10_000, 6, "ckUSDC ledger xevnm-gaaaa-aaaar-qafnq-cai: 10,000 = 0.01 USDC "
                        "(ckERC20 ledger init `transfer_fee = 10_000`, decimals 6; confirm with icrc1_fee)"),
}
