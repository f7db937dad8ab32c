"""The ledger's own hashing module (pure Python, no canister state) against the
HASHINGVALUES.md test vectors and the test-side implementation."""

from __future__ import annotations

import cbor2
from icrc3_verify import tree_hash, tree_lookup, value_hash

from src.icrc_ledger import ledger_hashing as lh

VECTORS = [
    ({"Nat": 42}, "684888c0ebb17f374298b65ee2807526c066094c701bcc7ebbe1c1095f494fc1"),
    ({"Int": -42}, "de5a6f78116eca62d7fc5ce159d23ae6b889b365a1739ad2cf36f925a140d0cc"),
    ({"Text": "Hello, World!"}, "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f"),
    ({"Blob": b"\x01\x02\x03\x04"}, "9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a"),
    (
        {"Array": [{"Nat": 3}, {"Text": "foo"}, {"Blob": b"\x05\x06"}]},
        "514a04011caa503990d446b7dec5d79e19c221ae607fb08b2848c67734d468d6",
    ),
    (
        {
            "Map": [
                ("from", {"Blob": bytes.fromhex("00abcdef0012340056789a00bcdef000012345678900abcdef01")}),
                ("to", {"Blob": bytes.fromhex("00ab0def0012340056789a00bcdef000012345678900abcdef01")}),
                ("amount", {"Nat": 42}),
                ("created_at", {"Nat": 1699218263}),
                ("memo", {"Nat": 0}),
            ]
        },
        "c56ece650e1de4269c5bdeff7875949e3e2033f85b2d193c2ff4f7f78bdcfc75",
    ),
]


def test_hashingvalues_vectors():
    for value, expected in VECTORS:
        assert lh.hash_value(value).hex() == expected
        assert value_hash(value).hex() == expected


def test_leb128_edges():
    assert lh.leb128(0) == b"\x00"
    assert lh.leb128(127) == b"\x7f"
    assert lh.leb128(128) == b"\x80\x01"
    assert lh.leb128(624485) == bytes.fromhex("e58e26")
    assert lh.sleb128(-123456) == bytes.fromhex("c0bb78")
    assert lh.sleb128(63) == b"\x3f" and lh.sleb128(64) == b"\xc0\x00" and lh.sleb128(-64) == b"\x40"


def test_tip_tree_cbor_and_root_hash():
    tip_hash = bytes(range(32))
    tree = lh.tip_tree(300, tip_hash)
    decoded = cbor2.loads(lh.cbor_encode_tree(tree))
    assert tree_lookup(decoded, [b"last_block_index"]) == lh.leb128(300)
    assert tree_lookup(decoded, [b"last_block_hash"]) == tip_hash
    assert lh.tree_root_hash(tree) == tree_hash(decoded)


def test_unknown_value_is_an_error():
    try:
        lh.hash_value({"Float": 1})
    except ValueError as e:
        assert "unsupported" in str(e)
    else:
        raise AssertionError("an unknown Value variant must be rejected")
