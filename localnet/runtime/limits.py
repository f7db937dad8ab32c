"""The IC's message size limits, with the replica code each comes from (dfinity/ic).

- An ingress message (the whole signed CBOR request) is at most MAX_INGRESS_BYTES_PER_MESSAGE
  on an application subnet (`rs/limits/src/lib.rs` MAX_INGRESS_BYTES_PER_MESSAGE_APP_SUBNET);
  a larger one is refused by the HTTP endpoint with 413 Payload Too Large
  (`rs/http_endpoints/public/src/call.rs`, `validate_ingress_message`).
- A reply is built with `ic0.msg_reply_data_append`, which traps (CanisterContractViolation)
  once it would exceed the execution's max_reply_size
  (`rs/embedders/src/wasmtime_embedder/system_api.rs`): MAX_INTER_CANISTER_PAYLOAD_IN_BYTES
  for updates, replicated queries and callbacks, MAX_NON_REPLICATED_QUERY_REPLY_SIZE for
  query calls (non-replicated queries and composite queries). `ic0.msg_reject` checks its
  message against the same bound.
- An inter-canister request (method name + argument) is at most 5 x 2 MiB to a canister on
  the same subnet (`ic0.call_data_append` traps beyond it, `request_in_prep.rs`,
  MULTIPLIER_MAX_SIZE_LOCAL_SUBNET) and at most 2 MiB to another subnet: a larger one is
  answered with a CANISTER_ERROR reject by the stream builder
  (`rs/messaging/src/routing/stream_builder.rs`). localnet treats every callee as remote (a
  merchant's ledgers live on other subnets), the stricter of the two.
"""

from __future__ import annotations

from localnet.runtime import errors as E

MIB = 1024 * 1024
MAX_INGRESS_BYTES_PER_MESSAGE = 2 * MIB
MAX_INTER_CANISTER_PAYLOAD_IN_BYTES = 2 * MIB
MAX_NON_REPLICATED_QUERY_REPLY_SIZE = 3 * MIB
MULTIPLIER_MAX_SIZE_LOCAL_SUBNET = 5
MAX_LOCAL_SUBNET_REQUEST_BYTES = MULTIPLIER_MAX_SIZE_LOCAL_SUBNET * MAX_INTER_CANISTER_PAYLOAD_IN_BYTES


def max_reply_size(non_replicated: bool) -> int:
    return MAX_NON_REPLICATED_QUERY_REPLY_SIZE if non_replicated else MAX_INTER_CANISTER_PAYLOAD_IN_BYTES


def check_reply(size: int, non_replicated: bool, what: str = "ic0.msg_reply_data_append"):
    """Trap as the replica does when a reply (or reject message) exceeds the limit."""
    limit = max_reply_size(non_replicated)
    if size > limit:
        raise E.Trap(
            f"{what}: application payload size ({size}) cannot be larger than {limit}.", E.CANISTER_CONTRACT_VIOLATION
        )


def check_request(callee_text: str, method: str, arg_size: int) -> None:
    """`ic0.call_data_append`: a request beyond the same-subnet bound traps."""
    size = len(method.encode("utf-8")) + arg_size
    if size > MAX_LOCAL_SUBNET_REQUEST_BYTES:
        raise E.Trap(
            f"Request to {callee_text}:{method} has a payload size of {size}, which "
            f"exceeds the allowed limit of {MAX_LOCAL_SUBNET_REQUEST_BYTES}.",
            E.CANISTER_CONTRACT_VIOLATION,
        )


def remote_request_too_large(sender_text: str, method: str, arg_size: int):
    """The stream builder's reject for a request too large for another subnet, or None."""
    size = len(method.encode("utf-8")) + arg_size
    if size <= MAX_INTER_CANISTER_PAYLOAD_IN_BYTES:
        return None
    return (
        E.CANISTER_ERROR,
        f"Canister {sender_text} violated contract: attempted to send a "
        f"message of size {size} exceeding the limit "
        f"{MAX_INTER_CANISTER_PAYLOAD_IN_BYTES}",
    )
