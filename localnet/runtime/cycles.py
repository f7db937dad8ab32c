"""Cycle costs charged by localnet (one place, configurable per Network).

Defaults are the IC's fees for a 13-node application subnet (interface spec "Cycles" and
the replica's `CyclesAccountManager` config), rounded to the published figures:
- creating a canister costs `canister_creation_fee` from the creator;
- every executed update/timer/heartbeat message costs `update_message_execution_fee`
  plus `ten_update_instructions_execution_fee` per 10 instructions (instructions are only
  known with metering on; otherwise only the base fee is charged);
- an ingress message costs `ingress_message_reception_fee` + `ingress_byte_reception_fee`
  per byte of method name and argument, charged to the receiving canister;
- an inter-canister call costs `xnet_call_fee` + `xnet_byte_transmission_fee` per byte,
  charged to the caller when the call is made;
- HTTPS outcalls cost the IC formula in `http_request_fee` (n = 13 nodes);
- a canister is frozen when its balance would drop below its freezing limit: the cycles it
  burns idle (`gib_storage_per_second_fee` per GiB of memory) over its
  `freezing_threshold` seconds. Frozen canisters reject ingress (IC0207) and calls.
Queries are free, as on the IC.
"""
from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3


@dataclass
class CyclesPolicy:
    canister_creation_fee: int = 100_000_000_000
    update_message_execution_fee: int = 590_000
    ten_update_instructions_execution_fee: int = 4
    ingress_message_reception_fee: int = 1_200_000
    ingress_byte_reception_fee: int = 2_000
    xnet_call_fee: int = 260_000
    xnet_byte_transmission_fee: int = 1_000
    gib_storage_per_second_fee: int = 127_000
    default_freezing_threshold: int = 2_592_000  # 30 days, in seconds
    default_canister_cycles: int = 100_000_000_000_000  # for provisional creation
    subnet_size: int = 13

    def execution_fee(self, instructions: int) -> int:
        return self.update_message_execution_fee + \
            self.ten_update_instructions_execution_fee * (instructions // 10)

    def ingress_fee(self, method: str, arg: bytes) -> int:
        return self.ingress_message_reception_fee + \
            self.ingress_byte_reception_fee * (len(method.encode()) + len(arg))

    def call_fee(self, method: str, arg: bytes) -> int:
        return self.xnet_call_fee + self.xnet_byte_transmission_fee * \
            (len(method.encode()) + len(arg))

    def freezing_limit(self, memory_bytes: int, freezing_threshold: int) -> int:
        per_second = self.gib_storage_per_second_fee * memory_bytes // GIB
        return per_second * freezing_threshold

    def http_request_fee(self, request_bytes: int, max_response_bytes: int) -> int:
        """The IC's HTTPS outcall price: (3M + 60K*n)*n + (400*req + 800*resp)*n."""
        n = self.subnet_size
        return (3_000_000 + 60_000 * n) * n + (400 * request_bytes + 800 * max_response_bytes) * n
