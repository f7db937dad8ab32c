"""The cycles an HTTPS outcall must carry on a 13-node application subnet.

The IC burns, before sending, (3M + 60K n + 400 request_bytes + 800 max_response_bytes) n
cycles (dfinity/ic rs/cycles_account_manager `http_request_fee`; fees from
rs/config/src/subnet_config.rs `application_subnet()` @ 002d5530) and rejects a call that
carries less; request_bytes is the url, header names and values, body, transform method
name and transform context (rs/types canister_http `variable_parts_size`). Kybra 0.7.1 has
no `ic0.cost_http_request`, so the canister computes it; the unused part is refunded.
"""

from kybra import nat

SUBNET_NODES = 13
LINEAR_BASELINE_FEE = 3_000_000
QUADRATIC_BASELINE_FEE = 60_000
REQUEST_BYTE_FEE = 400
RESPONSE_BYTE_FEE = 800


def request_bytes(url: str, headers: list, body: bytes, transform_method: str, transform_context: bytes) -> nat:
    size = len(url.encode()) + len(body) + len(transform_method.encode()) + len(transform_context)
    for header in headers:
        size += len(header["name"].encode()) + len(header["value"].encode())
    return size


def outcall_cycles(request_size: nat, max_response_bytes: nat) -> nat:
    n = SUBNET_NODES
    return (
        LINEAR_BASELINE_FEE
        + QUADRATIC_BASELINE_FEE * n
        + REQUEST_BYTE_FEE * request_size
        + RESPONSE_BYTE_FEE * max_response_bytes
    ) * n
