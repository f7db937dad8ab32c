"""Request ids against the spec's worked example and ic-py's own implementation."""

import hashlib

import pytest
from ic.utils import to_request_id as icpy_request_id

from localnet.http.errors import HttpError
from localnet.http.requestid import hash_of_map, leb128_signed, leb128_unsigned, request_id


def test_spec_worked_example():
    content = {
        "request_type": "call",
        "sender": b"\x04",
        "ingress_expiry": 1685570400000000000,
        "canister_id": b"\x00\x00\x00\x00\x00\x00\x04\xd2",
        "method_name": "hello",
        "arg": b"DIDL\x00\xfd*",
    }
    assert request_id(content).hex() == "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"


def test_spec_nested_map_example():
    expected = hashlib.sha256(
        hashlib.sha256(b"reply").digest()
        + hashlib.sha256(hashlib.sha256(b"arg").digest() + hashlib.sha256(b"DIDL\x00\x00").digest()).digest()
    ).digest()
    assert hash_of_map({"reply": {"arg": b"DIDL\x00\x00"}}) == expected


def test_leb128_examples_from_spec():
    assert leb128_unsigned(0) == b"\x00"
    assert leb128_unsigned(624485) == bytes([0xE5, 0x8E, 0x26])
    assert leb128_signed(-123456) == bytes([0xC0, 0xBB, 0x78])


def test_matches_icpy_for_read_state_with_paths():
    content = {
        "request_type": "read_state",
        "sender": b"\x04",
        "paths": [[b"request_status", b"\x01" * 32], [b"time"]],
        "ingress_expiry": 1700000000000000000,
        "nonce": b"\x99" * 8,
    }
    assert request_id(content) == icpy_request_id(content)


def test_rejects_non_text_keys_and_bools():
    with pytest.raises(HttpError):
        hash_of_map({1: b"x"})
    with pytest.raises(HttpError):
        hash_of_map({"a": True})
