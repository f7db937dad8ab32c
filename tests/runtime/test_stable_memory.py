"""Point 6: StableBTreeMap with Kybra's semantics (Candid-encoded entries, size limits that
trap, Kybra's key order, persistence across upgrades) and the raw stable memory API."""

import pytest
from helpers import ALICE, ROOT, deploy, entry
from kybra import Principal

from localnet.runtime import CallRejected


def test_key_order_is_the_rust_type_order(network):
    cid = deploy(network, "ordering")
    network.call(ALICE, cid, "put_ints", [10, -5, 3, -100, 0])
    assert network.call(ALICE, cid, "int_keys") == [-100, -5, 0, 3, 10]
    network.call(ALICE, cid, "put_nats", [2**70, 9, 10, 1])
    assert network.call(ALICE, cid, "nat_keys") == [1, 9, 10, 2**70]
    network.call(ALICE, cid, "put_texts", ["b", "a", "B", "é", "ab", "z"])
    # UTF-8 byte order: uppercase before lowercase, 'é' (0xC3 0xA9) after 'z'
    assert network.call(ALICE, cid, "text_keys") == ["B", "a", "ab", "b", "z", "é"]
    short = Principal(b"\xff")
    long_low = Principal(b"\x00\x00")
    mid = Principal(b"\x01\x01")
    network.call(ALICE, cid, "put_principals", [mid, long_low, short])
    got = [p.bytes for p in network.call(ALICE, cid, "principal_keys")]
    assert got == [b"\xff", b"\x00\x00", b"\x01\x01"]  # by length, then bytes
    network.call(ALICE, cid, "put_pairs", [("b", 1), ("a", 2), ("a", 1)])
    assert network.call(ALICE, cid, "pair_keys") == [("a", 1), ("a", 2), ("b", 1)]


def test_map_operations(network):
    cid = deploy(network, "ordering")
    assert network.call(ALICE, cid, "text_is_empty") is True
    network.call(ALICE, cid, "put_texts", ["x", "yy"])
    assert network.call(ALICE, cid, "text_items") == [("x", 1), ("yy", 2)]
    assert network.call(ALICE, cid, "has_text", "x") is True
    assert network.call(ALICE, cid, "remove_text", "x") == 1
    assert network.call(ALICE, cid, "remove_text", "x") == 0
    assert network.call(ALICE, cid, "sizes") == [0, 0, 1, 0, 0]


def test_key_over_max_size_traps_and_rolls_back(network):
    cid = deploy(network, "ordering")
    # a text key is stored as a whole Candid message: "DIDL" + table + leb len + bytes
    ok = "k" * 22  # magic 4 + table 1 + count 1 + type 1 + length 1 + 22 = 30: the limit
    network.call(ALICE, cid, "put_texts", [ok])
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "put_texts", ["fine", ok + "k"])
    assert "Key is too large. Expected <= 30 bytes, found 31 bytes" in e.value.message
    assert network.call(ALICE, cid, "text_keys") == [ok]  # "fine" rolled back too


def test_data_survives_upgrade_heap_does_not(network):
    cid = deploy(network, "upgrade_v1", '("shop")')
    network.call(ALICE, cid, "add", "apple", 3)
    network.call(ALICE, cid, "add", "pear", 4)
    assert network.call(ALICE, cid, "version") == "v1 heap=3"
    module = network.build_module(entry("upgrade_v2"), ROOT)
    from localnet.candid import binary
    from localnet.candid import types as T

    network.install_code(cid, module, binary.encode([T.TEXT], ["moved"]), mode="upgrade", sender=ALICE)
    assert network.call(ALICE, cid, "version") == "v2 heap=1"  # heap rebuilt by v2's code
    assert network.call(ALICE, cid, "label") == "shop"
    assert network.call(ALICE, cid, "meta_value", "pre_upgrade_ran") == "v1"
    assert network.call(ALICE, cid, "meta_value", "note") == "moved"
    # old records decode at the new type (the new opt field is None), new ones round-trip
    assert network.call(ALICE, cid, "get", 1) == {"name": "pear", "price": 4, "tag": None}
    key = network.call(ALICE, cid, "add", "fig", 5, "fresh")
    assert network.call(ALICE, cid, "get", key) == {"name": "fig", "price": 5, "tag": "fresh"}
    assert "upgraded to v2: 2 items" in network.logs(cid)


def test_raw_stable_memory(network):
    cid = deploy(network, "ordering")
    assert network.call(ALICE, cid, "raw_size") == 0
    assert network.call(ALICE, cid, "raw_write", 65530, b"0123456789") == 2
    assert network.call(ALICE, cid, "raw_read", 65530, 10) == b"0123456789"
    assert network.call(ALICE, cid, "raw_read", 0, 3) == b"\x00\x00\x00"
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "raw_read", 2 * 65536 - 2, 4)
    assert "stable memory out of bounds" in e.value.message


def test_record_and_variant_keys_sort_in_declaration_order(network):
    """Kybra's derived Ord (cdk_framework record.rs/variant.rs: members in source order)."""
    cid = deploy(network, "ordering_records")
    network.call(ALICE, cid, "put_pairs", [{"zeta": 2, "alpha": "a"}, {"zeta": 1, "alpha": "b"}])
    assert network.call(ALICE, cid, "pair_keys") == [{"zeta": 1, "alpha": "b"}, {"zeta": 2, "alpha": "a"}]
    network.call(ALICE, cid, "put_levels", [{"Low": None}, {"High": None}])
    assert network.call(ALICE, cid, "level_keys") == [{"High": None}, {"Low": None}]
