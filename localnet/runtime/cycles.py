"""The IC's cycle fees (the one fee table of the project) and the policy localnet charges.

Fee sources (each constant below names one):
  [SUBNET]  dfinity/ic rs/config/src/subnet_config.rs, `CyclesAccountManagerConfig::
            application_subnet()` and `MAX_INSTRUCTIONS_PER_MESSAGE`, commit
            002d5530aeb1ef1ed362d7f9c3c5529b8ec1cafe (the stored snapshot read 2026-12-04).
  [CAM]     dfinity/ic rs/cycles_account_manager `http_request_fee` (the outcall formula,
            response size = max_response_bytes or 2 MB) and rs/types canister_http
            `variable_parts_size` (request size = url + header names and values + body +
            transform method name + transform context).
  [PREPAY]  dfinity/ic rs/cycles_account_manager/src/cycles_account_manager.rs at
            00e804b996b82a7c46a28c64e6f0414169d47520 (read 2026-12-04): `execution_cost`,
            `prepay_execution_cycles`, `refund_unused_execution_cycles`,
            `withdraw_request_cycles`, `xnet_total_transmission_fee`,
            `prepayment_for_response_execution` (execution_cost of `max_num_instructions`,
            which rs/replica/src/setup_ic_stack.rs @ 004531b8 sets to the scheduler's
            `max_instructions_per_message`), `prepayment_for_response_transmission`,
            `refund_for_response_transmission`, `settle_prepayment_for_unexecuted_response`,
            `freeze_threshold_cycles` (threshold minus the reserved balance, saturating),
            `storage_reservation_cycles`; types.rs @ 7a354da5 `ResourceSaturation`.
            Who calls them: rs/execution_environment/src/execution/call_or_task.rs @ 0180e76c
            (`prepay_execution_cycles` for the instruction limit before an update, a timer or
            a heartbeat runs; an error fails the message with `CanisterOutOfCycles`, nothing
            runs), replicated_query.rs @ 012c57c8 (the same for an update call to a query
            method, with its 5 B limit), response.rs @ 0048d8c4 (the response transmission
            refund before the callback runs).
  [RESERVE] dfinity/ic rs/config/src/execution_environment.rs (stored version, id
            2411387301): SUBNET_MEMORY_THRESHOLD 750 GiB, SUBNET_MEMORY_CAPACITY 2 TiB;
            rs/execution_environment/src/execution_environment.rs
            `subnet_memory_saturation` divides usage, threshold and capacity by the 4
            scheduler cores; subnet_config.rs @ 002d5530 `max_storage_reservation_period`
            300,000,000 s and DEFAULT_RESERVED_BALANCE_LIMIT 5 T. Who reserves: the system API on
            memory growth of updates, timers, heartbeats and callbacks, not of install_code's
            endpoints (rs/embedders wasmtime_embedder/system_api.rs, stored version id
            2942983593, `should_update_available_memory_and_reserved_cycles`,
            `allocate_execution_memory`: the bytes beyond the memory allocation);
            install_code at its end for all it allocated (rs/execution_environment/src/
            execution/install_code.rs @ f55af5fd282a0d43088eb03c2d44ece95a2df856,
            `InstallCodeHelper::finish`); update_settings for a larger memory allocation
            (canister_manager.rs @ f55af5fd, `validate_canister_settings`,
            `do_update_settings`); rs/replicated_state system_state.rs (stored version id
            2447734567) `can_reserve_cycles` (the limit first, then the balance); errors and
            their texts: canister_manager/types.rs @ 7d782b8bd224a20a9a4b431d58dac51aec5b2e74
            and rs/types/types/src/lib.rs `MemoryAllocation::allocated_bytes` (the larger of
            allocation and usage, which idle burn and the freezing limit use too).
  [TYPES]   dfinity/ic rs/types/types/src/messages/inter_canister.rs @ 010aa354:
            `Request::payload_size_bytes` (method name + argument), `Payload::size_bytes`
            (reply data, or a reject's message + size_of::<RejectCode>(): a field-less enum of
            codes 1..6, one byte); rs/types MAX_INTER_CANISTER_PAYLOAD_IN_BYTES = 2 MiB.
  [SPEC]    the interface spec (/work/shared/spec/ic-interface/interface-spec.md):
            MAX_CYCLES_PER_MESSAGE / MAX_CYCLES_PER_RESPONSE, `liquid_balance`,
            "Call context creation", `ic0.call_perform`.
  [DOCS]    dfinity/developer-docs docs/reference/cycles-costs.md ("Cycles Costs", merged
            2026-03-13, PR #8): the same figures as [SUBNET], the HTTPS outcall formula and
            "1 trillion cycles = 1 XDR".

What localnet charges (`CyclesPolicy`, configurable per Network), as the IC does:
- creating a canister costs `canister_creation_fee` from the creator;
- an ingress message costs `ingress_message_reception_fee` + `ingress_byte_reception_fee`
  per byte of method name and argument, charged to the receiving canister; a canister
  that cannot pay it and the execution prepayment above its freezing limit does not get
  the message (IC0207);
- before an update, a timer or a heartbeat executes (and an update call to a query
  method), the IC withdraws `execution_cost(limit)` = `update_message_execution_fee` +
  the instruction fee of the message type's whole instruction limit (40 B, queries 5 B)
  [PREPAY]; a canister whose liquid balance cannot cover it gets the message rejected with
  IC0207 and nothing runs. After the execution the fee of the unused instructions comes
  back (`refund_unused_execution`), so it pays `update_message_execution_fee` + its
  instructions (instructions are only known with metering on; otherwise 0);
- an inter-canister call withdraws, when it is made, `xnet_call_fee` +
  `xnet_byte_transmission_fee` per request byte + the transmission of a 2 MiB response +
  the execution of the callback at the 40 B limit [PREPAY]; a canister that cannot afford
  that above its freezing limit gets `ic0.call_perform` != 0 (Kybra: a CallResult Err at
  once). When the response arrives the transmission of the bytes it did not use comes
  back, and the callback's unused instructions after it ran;
- HTTPS outcalls cost the [CAM] formula (n = 13 nodes), burned from the attached cycles;
- memory growth above the subnet's reservation threshold moves
  `storage_reservation_cycles` from the balance to `reserved_cycles` [RESERVE]:
  * a message's growth beyond its memory allocation (`engine._reserve_for_growth`); the
    execution fails if that exceeds `reserved_cycles_limit` (IC0534) or the balance (IC0532);
  * install_code (install, reinstall, upgrade), once, at its end, for the bytes it added
    (new module, stable memory and what init/post_upgrade grew, against the old canister,
    beyond its memory allocation; `management._reserve_for_install`): past the limit IC0534,
    past the balance IC0532, and the grown canister must stay above its freezing limit
    (IC0532, also below the threshold); a failed install leaves the canister as it was,
    its execution charged;
  * update_settings raising `memory_allocation` above the usage, for the added bytes, and
    create_canister given one (`management._memory_allocation_reservation`): IC0531 when
    the balance is below the freezing limit with the new allocation or below the
    reservation, IC0533 past the limit, IC0540 for a limit below the reserved balance;
    nothing is applied (or created) on an error.
  localnet's subnet memory usage is a setting (`CyclesPolicy.subnet_memory_usage`),
  below the threshold by default (no reservation, as on a subnet with room). Not
  modelled: the subnet's capacity (SubnetMemoryCapacityOverSubscribed), the saturation
  growing within one message;
- a canister is frozen when its balance would drop below its freezing limit: the cycles it
  burns idle (`gib_storage_per_second_fee` per GiB of its memory, or of its memory
  allocation when larger) over its `freezing_threshold` seconds, minus its reserved cycles.
  Frozen canisters reject ingress (IC0207) and calls. (Not modelled: the compute
  allocation's fee and the per-canister base fee of newer replicas.)
- a response to a caller whose context was deleted (uninstall) runs nothing: the unused
  transmission comes back and the callback's prepayment but the fixed fee; one reaching a
  caller upgraded since runs (and traps, Kybra 0.7.1 / ic-cdk 0.13.5): it pays the fixed fee
  and its instructions, the metered entry of an execution (engine `_stale_response`).
Queries are free, as on the IC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

SUBNET_SOURCE = (
    "dfinity/ic rs/config/src/subnet_config.rs @ 002d5530aeb1 "
    "(CyclesAccountManagerConfig::application_subnet, read 2026-12-04)"
)
DOCS_SOURCE = (
    "dfinity/developer-docs docs/reference/cycles-costs.md (merged 2026-03-13; USD at 1 XDR = $1.35, 2025-05-22)"
)
CYCLES_PER_XDR = 1_000_000_000_000  # [DOCS] "1 trillion cycles = 1 XDR"
GIB = 1024**3
SECONDS_PER_MONTH = 30 * 24 * 3600  # [DOCS] "per GiB per month (30 days)"
MAX_INTER_CANISTER_PAYLOAD_IN_BYTES = 2 * 1024 * 1024  # [TYPES] the largest response
REJECT_CODE_BYTES = 1  # [TYPES] size_of::<RejectCode>() in a reject's `size_bytes`


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
    max_instructions_per_message: int = 40_000_000_000  # [SUBNET] updates, timers, callbacks
    max_instructions_per_replicated_query: int = 5_000_000_000  # [SUBNET] ..._WITHOUT_DTS
    max_storage_reservation_period: int = 300_000_000  # [SUBNET] seconds
    default_reserved_balance_limit: int = 5_000_000_000_000  # [SUBNET] DEFAULT_RESERVED_BALANCE_LIMIT
    subnet_memory_threshold: int = 750 * GIB  # [RESERVE] SUBNET_MEMORY_THRESHOLD
    subnet_memory_capacity: int = 2 * 1024 * GIB  # [RESERVE] SUBNET_MEMORY_CAPACITY
    scheduler_cores: int = 4  # [SUBNET] NUMBER_OF_EXECUTION_THREADS

    def scale(self, cycles: int) -> int:
        """A 13-node fee on this subnet size (the IC rounds each scaled fee down)."""
        return cycles * self.subnet_size // self.reference_subnet_size

    def execution(self, instructions: int, count: int = 1) -> int:
        """`count` executed update messages (or response callbacks, or timers) that ran
        `instructions` in all."""
        return self.scale(self.update_message_execution_fee) * count + self.scale(
            self.ten_update_instructions_execution_fee * (instructions // 10)
        )

    # -- prepayments [PREPAY] -------------------------------------------------------------
    def instructions_cycles(self, instructions: int) -> int:
        """`convert_instructions_to_cycles`: fee per 10 instructions, unscaled."""
        return self.ten_update_instructions_execution_fee * instructions // 10

    def execution_cost(self, instructions: int) -> int:
        """`execution_cost`: the fixed per-message fee plus the instructions, scaled once."""
        return self.scale(self.update_message_execution_fee + self.instructions_cycles(instructions))

    def refund_unused_execution(self, instructions_left: int, prepaid: int) -> int:
        """`refund_unused_execution_cycles`: the fee of the unused instructions, never more
        than was prepaid."""
        return min(self.scale(self.instructions_cycles(instructions_left)), prepaid)

    def prepayment_for_response_execution(self) -> int:
        return self.execution_cost(self.max_instructions_per_message)

    def prepayment_for_response_transmission(self) -> int:
        return self.scale(self.xnet_byte_transmission_fee * MAX_INTER_CANISTER_PAYLOAD_IN_BYTES)

    def refund_for_response_transmission(self, prepaid: int, response_bytes: int) -> int:
        """`refund_for_response_transmission`: what the response did not use (saturating)."""
        return max(0, prepaid - self.scale(self.xnet_byte_transmission_fee * response_bytes))

    # -- storage reservation [RESERVE] -------------------------------------------------
    def _memory_cost(self, size_bytes: int, seconds: int) -> int:
        return self.scale(size_bytes * self.gib_storage_per_second_fee * seconds // GIB)

    def _saturation(self, usage: int) -> Tuple[int, int, int]:
        """`subnet_memory_saturation`: (usage, threshold, capacity) per scheduler core,
        usage capped at the capacity (`ResourceSaturation::new`)."""
        cores = max(1, self.scheduler_cores)
        capacity = self.subnet_memory_capacity // cores
        return min(usage // cores, capacity), min(self.subnet_memory_threshold // cores, capacity), capacity

    def _total_reservation(self, usage: int, threshold: int, capacity: int) -> int:
        above = max(0, usage - threshold)
        span = capacity - threshold
        seconds = 0 if span <= 0 else self.max_storage_reservation_period * above // span
        return self._memory_cost(above, seconds // 2)  # the triangle's area

    def storage_reservation_cycles(self, allocated_bytes: int, subnet_usage: int) -> int:
        """`storage_reservation_cycles`: growing by `allocated_bytes` on a subnet using
        `subnet_usage` bytes (0 below the threshold)."""
        usage, threshold, capacity = self._saturation(subnet_usage)
        after = min(usage + allocated_bytes, capacity)
        return self._total_reservation(after, threshold, capacity) - self._total_reservation(usage, threshold, capacity)

    def ingress(self, size_bytes: int, count: int = 1) -> int:
        """`count` ingress messages of `size_bytes` in all (method names + arguments)."""
        return self.scale(self.ingress_message_reception_fee) * count + self.scale(
            self.ingress_byte_reception_fee * size_bytes
        )

    def xnet_call(self, size_bytes: int, count: int = 1) -> int:
        """`count` inter-canister calls moving `size_bytes` in all (requests and responses)."""
        return self.scale(self.xnet_call_fee) * count + self.scale(self.xnet_byte_transmission_fee * size_bytes)

    def http_outcall(self, request_bytes: int, max_response_bytes: int, count: int = 1) -> int:
        """[CAM] per outcall (3M + 60K n + 400 request_bytes + 800 max_response_bytes) n;
        for `count` outcalls the bytes are their sums."""
        n = self.subnet_size
        base = (self.http_request_linear_baseline_fee + self.http_request_quadratic_baseline_fee * n) * n
        return (
            base * count
            + (self.http_request_per_byte_fee * request_bytes + self.http_response_per_byte_fee * max_response_bytes)
            * n
        )

    def storage_per_month(self, size_bytes: float) -> float:
        return self.scale(self.gib_storage_per_second_fee) * size_bytes / GIB * SECONDS_PER_MONTH


APPLICATION_SUBNET = FeeTable()


@dataclass(frozen=True)
class CyclesPolicy(FeeTable):
    """The fees localnet charges: the IC's table above, plus localnet's own defaults."""

    default_freezing_threshold: int = 2_592_000  # 30 days, in seconds (interface spec default)
    default_canister_cycles: int = 100_000_000_000_000  # for provisional creation
    subnet_memory_usage: int = 0  # bytes the subnet's canisters use: below the threshold

    def execution_fee(self, instructions: int) -> int:
        return self.execution(instructions)

    def ingress_fee(self, method: str, arg: bytes) -> int:
        return self.ingress(len(method.encode()) + len(arg))

    def call_fee(self, method: str, arg: bytes) -> int:
        return self.xnet_call(len(method.encode()) + len(arg))

    def freezing_limit(self, memory_bytes: int, freezing_threshold: int, reserved: int = 0) -> int:
        """`freeze_threshold_cycles`: idle burn over the threshold, minus the reserved
        cycles (which pay for resources first), never below 0."""
        per_second = self.scale(self.gib_storage_per_second_fee) * memory_bytes // GIB
        return max(0, per_second * freezing_threshold - reserved)

    def execution_prepayment(self, mode: str) -> Tuple[int, int]:
        """(instruction limit, cycles withdrawn before the message runs) of an update,
        timer or heartbeat ('update') or an update call to a query method ('query')."""
        limit = self.max_instructions_per_replicated_query if mode == "query" else self.max_instructions_per_message
        return limit, self.execution_cost(limit)

    def call_prepayment(self, method: str, arg: bytes) -> Tuple[int, int]:
        """(transmission, callback execution) withdrawn by `ic0.call_perform`: the request's
        `call_fee` (the one place a call is priced) and the largest response's, then the
        callback's."""
        return (
            self.call_fee(method, arg) + self.prepayment_for_response_transmission(),
            self.prepayment_for_response_execution(),
        )

    def http_request_fee(self, request_bytes: int, max_response_bytes: int) -> int:
        return self.http_outcall(request_bytes, max_response_bytes)
