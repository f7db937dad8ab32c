"""The IC's cycle fees (the one fee table of the project) and the policy localnet charges.

Fee sources (each constant below names one):
  [SUBNET]  dfinity/ic rs/config/src/subnet_config.rs, `CyclesAccountManagerConfig::
            application_subnet()`, commit 002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe
            (the stored snapshot read 2026-12-04).
  [CAM]     dfinity/ic rs/cycles_account_manager `http_request_fee` (the outcall formula,
            response size = max_response_bytes or 2 MB) and rs/types canister_http
            `variable_parts_size` (request size = url + header names and values + body +
            transform method name + transform context).
  [DOCS]    dfinity/developer-docs docs/reference/cycles-costs.md ("Cycles Costs", merged
            2026-03-13, PR #8): the same figures as [SUBNET], the HTTPS outcall formula and
            "1 trillion cycles = 1 XDR".

What localnet charges (`CyclesPolicy`, configurable per Network):
- creating a canister costs `canister_creation_fee` from the creator;
- every executed update/timer/heartbeat message costs `update_message_execution_fee`
  plus `ten_update_instructions_execution_fee` per 10 instructions (instructions are only
  known with metering on; otherwise only the base fee is charged);
- an ingress message costs `ingress_message_reception_fee` + `ingress_byte_reception_fee`
  per byte of method name and argument, charged to the receiving canister;
- an inter-canister call costs `xnet_call_fee` + `xnet_byte_transmission_fee` per byte,
  charged to the caller when the call is made;
- HTTPS outcalls cost the [CAM] formula (n = 13 nodes), burned from the attached cycles;
- a canister is frozen when its balance would drop below its freezing limit: the cycles it
  burns idle (`gib_storage_per_second_fee` per GiB of memory) over its
  `freezing_threshold` seconds. Frozen canisters reject ingress (IC0207) and calls.
Queries are free, as on the IC.
Not modeled yet (the IC is stricter there): the prepayment the IC withdraws before an
update executes (the fee of the full 40 B instruction limit, refunded after) and before a
call is sent (the response's execution and 2 MB transmission), and `reserved_cycles`.
"""
from __future__ import annotations

from dataclasses import dataclass

SUBNET_SOURCE = ("dfinity/ic rs/config/src/subnet_config.rs @ 002d5530aeb1 "
                 "(CyclesAccountManagerConfig::application_subnet, read 2026-12-04)")
DOCS_SOURCE = ("dfinity/developer-docs docs/reference/cycles-costs.md "
               "(merged 2026-03-13; USD at 1 XDR = $1.35, 2025-05-22)")
CYCLES_PER_XDR = 1_000_000_000_000  # [DOCS] "1 trillion cycles = 1 XDR"
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
    http_response_per_byte_fee: int = 800  # [SUBNET] [CAM] per *reserved* (max_response_bytes) byte
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
        """[CAM] per outcall (3M + 60K n + 400 request_bytes + 800 max_response_bytes) n;
        for `count` outcalls the bytes are their sums."""
        n = self.subnet_size
        base = (self.http_request_linear_baseline_fee + self.http_request_quadratic_baseline_fee * n) * n
        return base * count + (self.http_request_per_byte_fee * request_bytes
                               + self.http_response_per_byte_fee * max_response_bytes) * n

    def storage_per_month(self, size_bytes: float) -> float:
        return self.scale(self.gib_storage_per_second_fee) * size_bytes / GIB * SECONDS_PER_MONTH


APPLICATION_SUBNET = FeeTable()


@dataclass(frozen=True)
class CyclesPolicy(FeeTable):
    """The fees localnet charges: the IC's table above, plus localnet's own defaults."""
    default_freezing_threshold: int = 2_592_000  # 30 days, in seconds (interface spec default)
    default_canister_cycles: int = 100_000_000_000_000  # for provisional creation

    def execution_fee(self, instructions: int) -> int:
        return self.execution(instructions)

    def ingress_fee(self, method: str, arg: bytes) -> int:
        return self.ingress(len(method.encode()) + len(arg))

    def call_fee(self, method: str, arg: bytes) -> int:
        return self.xnet_call(len(method.encode()) + len(arg))

    def freezing_limit(self, memory_bytes: int, freezing_threshold: int) -> int:
        per_second = self.scale(self.gib_storage_per_second_fee) * memory_bytes // GIB
        return per_second * freezing_threshold

    def http_request_fee(self, request_bytes: int, max_response_bytes: int) -> int:
        return self.http_outcall(request_bytes, max_response_bytes)
