"""Values leaving canister code are converted as Kybra 0.7.1 converts them, and replies and
requests obey the IC's size limits (docs/kybra.md "Value conversion", "Message limits").

The fixture canister tests/canisters/values returns, stores and sends each value: what Kybra
refuses traps (or raises in canister code, for a StableBTreeMap), what it accepts goes through.
"""

import pytest
from helpers import ALICE, deploy

from localnet.runtime.errors import CallRejected

MIB = 1024 * 1024

REFUSED = {
    "bad_float_int": "Expected type 'float' but 'int' found",
    "bad_record_int_float": "Expected type 'float' but 'int' found",
    "bad_record_missing_opt": "KeyError: 'note'",
    "bad_vec_tuple": "Expected type 'list' but 'tuple' found",
    "bad_tuple_list": "Expected type 'tuple' but 'list' found",
    "bad_principal_text": "'str' object has no attribute 'to_str'",
    "bad_nat_negative": "Could not convert value to nat",
    "bad_nat8_overflow": "expected a nat8",
    "bad_text_bytes": "expected text",
    "bad_variant_unknown": "Enum variant does not exist",
    "bad_opt_float_int": "Expected type 'float' but 'int' found",
}
ACCEPTED = {
    "ok_float": 1.0,
    "ok_float32_saturates": float("inf"),  # Rust's `f64 as f32`
    "ok_record_extra_key": {"amount": 1.0, "note": None},
    "ok_vec_nat64_tuple": [1, 2],
    "ok_tuple": (1, "a"),
    "ok_blob_list": b"\x01\x02",
}


@pytest.fixture
def values(network):
    return deploy(network, "values")


@pytest.mark.parametrize("method", sorted(REFUSED))
def test_a_reply_kybra_cannot_convert_traps(network, values, method):
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, values, method)
    assert e.value.code == 5 and e.value.error_code == "IC0503"
    assert "TypeError" in e.value.message and REFUSED[method] in e.value.message


@pytest.mark.parametrize("method", sorted(ACCEPTED))
def test_a_reply_kybra_converts_goes_through(network, values, method):
    assert network.call(ALICE, values, method) == ACCEPTED[method]


@pytest.mark.parametrize(
    "method, text",
    [
        ("bad_stable_int_float", "Expected type 'float' but 'int' found"),
        ("bad_stable_missing_opt", "KeyError: 'note'"),
    ],
)
def test_a_stable_map_refuses_what_kybra_refuses(network, values, method, text):
    reply = network.call(ALICE, values, method)
    assert reply.startswith("refused: ") and text in reply


def test_call_arguments_are_converted_as_kybra_does(network, values):
    other = deploy(network, "values")
    assert network.call(ALICE, values, "ok_call_arg", other) == 7
    for method in ("bad_call_arg", "bad_notify_arg"):
        with pytest.raises(CallRejected) as e:
            network.call(ALICE, values, method, other)
        assert "Expected type 'float' but 'int' found" in e.value.message


def test_update_reply_over_2_mib_traps(network, values):
    assert len(network.call(ALICE, values, "big_update_reply", 2 * MIB - 64)) == 2 * MIB - 64
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, values, "big_update_reply", 2 * MIB)
    assert e.value.code == 5 and e.value.error_code == "IC0504"
    assert "application payload size (" in e.value.message
    assert "cannot be larger than 2097152." in e.value.message


def test_query_reply_limit_is_3_mib_as_a_query_and_2_mib_as_an_update(network, values):
    assert len(network.call(ALICE, values, "big_query_reply", 2 * MIB)) == 2 * MIB
    with pytest.raises(CallRejected) as e:  # the same query run replicated (an update call)
        network.call(ALICE, values, "big_query_reply", 2 * MIB, query=False)
    assert "cannot be larger than 2097152." in e.value.message
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, values, "big_query_reply", 3 * MIB)
    assert e.value.error_code == "IC0504" and "cannot be larger than 3145728." in e.value.message


def test_manual_replies_and_rejects_obey_the_same_limit(network, values):
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, values, "big_reject", 100)
    assert e.value.code == 4 and e.value.message == "x" * 100
    # a blob reply of n bytes adds 13: DIDL, the type table (vec nat8), the arg type, the length
    for method, what, size in (
        ("big_reject", "ic0.msg_reject", 2 * MIB + 1),
        ("big_manual_reply", "ic0.msg_reply_data_append", 2 * MIB + 14),
    ):
        with pytest.raises(CallRejected) as e:
            network.call(ALICE, values, method, 2 * MIB + 1)
        assert e.value.code == 5 and e.value.error_code == "IC0504"
        assert e.value.message.endswith(
            f"violated contract: {what}: application payload size ({size}) cannot be larger than 2097152."
        )
