"""The cycles a webhook outcall attaches (src/common/outcall_cost.py, canister code) are
the IC's price that localnet charges (localnet/runtime/cycles.py FeeTable): a canister
attaching less is rejected before anything is sent (tests/runtime/test_management.py::
test_http_outcall_fee_is_the_ics_for_the_whole_request)."""

from localnet.runtime.cycles import CyclesPolicy
from src.common.outcall_cost import outcall_cycles, request_bytes
from src.user_payment_canister.webhook_delivery import MAX_RESPONSE_BYTES, TRANSFORM_METHOD


def test_request_bytes_count_url_headers_body_and_transform():
    headers = [{"name": "Content-Type", "value": "application/json"}, {"name": "é", "value": "ü"}]
    size = request_bytes("https://shop.example/hook", headers, b"{}" * 10, TRANSFORM_METHOD, b"ctx")
    assert size == len("https://shop.example/hook") + 12 + 16 + 2 + 2 + 20 + len(TRANSFORM_METHOD) + 3


def test_outcall_cycles_are_the_fee_localnet_charges():
    policy = CyclesPolicy()
    for size in (0, 1, 512, 70_000, 2_000_000):
        assert outcall_cycles(size, MAX_RESPONSE_BYTES) == policy.http_request_fee(size, MAX_RESPONSE_BYTES)
    # a 64 KB event body needs more than the fixed 400M the delivery used to attach
    assert outcall_cycles(64 * 1024, MAX_RESPONSE_BYTES) > 400_000_000
