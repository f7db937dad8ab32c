"""Hash trees: the spec's example tree, pruning and lookup."""

import cbor2

from localnet.http import hashtree as ht

SPEC_TREE = (
    "8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c64"
    "83024162820344676f6f648301830241638100830241648203476d6f726e696e67"
)
SPEC_PRUNED = (
    "83018301830241618301820458201b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f1"
    "0f71ce3749f5a63883024179820345776f726c6483024162820458207b32ac0c6ba8ce35ac82c2"
    "55fc7906f7fc130dab2a090f80fe12f9c2cae83ba6830182045820ec8324b8a1f1ac16bd2e806e"
    "dba78006479c9877fed4eb464a25485465af601d830241648203476d6f726e696e67"
)
SPEC_ROOT = "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"


def test_spec_example_root_hash():
    assert ht.reconstruct(cbor2.loads(bytes.fromhex(SPEC_TREE))).hex() == SPEC_ROOT
    assert ht.reconstruct(cbor2.loads(bytes.fromhex(SPEC_PRUNED))).hex() == SPEC_ROOT


def test_spec_example_lookups_on_pruned_tree():
    tree = cbor2.loads(bytes.fromhex(SPEC_PRUNED))
    expect = {
        ("a", "a"): "unknown",
        ("a", "y"): "found",
        ("aa",): "absent",
        ("ax",): "absent",
        ("b",): "unknown",
        ("bb",): "unknown",
        ("d",): "found",
        ("e",): "absent",
    }
    for path, status in expect.items():
        assert ht.lookup_path(list(path), tree).status == status, path
    assert ht.lookup_path(["a", "y"], tree).value == b"world"


STATE = {
    b"time": b"\x01",
    b"request_status": {bytes([i]) * 32: {b"status": b"replied", b"reply": bytes([i])} for i in range(1, 9)},
    b"canister": {b"c1": {b"certified_data": b"abc"}},
}


def test_witness_keeps_root_hash_and_reveals_only_requested():
    full_root = ht.root_hash(STATE)
    wanted = bytes([3]) * 32
    tree = ht.witness(STATE, [[b"request_status", wanted], [b"time"]])
    assert ht.reconstruct(tree) == full_root
    assert ht.lookup_path([b"request_status", wanted, b"reply"], tree).value == b"\x03"
    assert ht.lookup_path([b"time"], tree).value == b"\x01"
    other = bytes([4]) * 32
    assert ht.lookup_path([b"request_status", other, b"reply"], tree).status == "unknown"
    assert ht.lookup_path([b"canister", b"c1", b"certified_data"], tree).status == "unknown"
    assert len(cbor2.dumps(tree)) < len(cbor2.dumps(ht.build(STATE)))


def test_witness_proves_absence():
    missing = b"\x05" * 31 + b"\x00"
    tree = ht.witness(STATE, [[b"request_status", missing]])
    assert ht.reconstruct(tree) == ht.root_hash(STATE)
    assert ht.lookup_path([b"request_status", missing, b"status"], tree).status == "absent"
    tree = ht.witness(STATE, [[b"zzz"]])
    assert ht.lookup_path([b"zzz"], tree).status == "absent"


def test_lookup_error_and_empty():
    tree = ht.build(STATE)
    assert ht.lookup_path([b"canister"], tree).status == "error"
    assert ht.lookup_path([b"x"], [ht.EMPTY]).status == "absent"
