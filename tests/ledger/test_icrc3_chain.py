"""ICRC-3 block-log verification as a client does it: check the tip certificate's BLS
signature against the localnet root key, find the ledger's certified_data in it, match
it to the tip hash tree (last_block_index, last_block_hash), then walk the blocks back to
block 0 recomputing each block hash with the test's own Value hash."""

from __future__ import annotations

import cbor2
import pytest
from ic.principal import Principal
from icrc3_verify import (
    map_get,
    tree_hash,
    tree_lookup,
    uleb,
    value_hash,
    verify_certificate,
)
from ledger_client import (
    LEDGER_DID,
    LEDGER_ENTRY,
    MINTER_TEXT,
    LedgerClient,
    acct,
    ledger_init_arg,
    unwrap,
)

PAGE = 40


def tip(client: LedgerClient, server, canister_id: str) -> tuple[int, bytes]:
    """(last_block_index, last_block_hash) proven by the certificate."""
    res = unwrap(client.actor.icrc3_get_tip_certificate())
    assert len(res) == 1, "the ledger has blocks, so it must serve a tip certificate"
    data = res[0]
    cert = verify_certificate(bytes(data["certificate"]), server.root_key)
    certified = tree_lookup(cert["tree"], [b"canister", Principal.from_str(canister_id).bytes, b"certified_data"])
    hash_tree = cbor2.loads(bytes(data["hash_tree"]))
    if isinstance(hash_tree, cbor2.CBORTag):
        hash_tree = hash_tree.value
    assert certified == tree_hash(hash_tree), "certified_data does not match the tip tree"
    index_leb = tree_lookup(hash_tree, [b"last_block_index"])
    last_hash = tree_lookup(hash_tree, [b"last_block_hash"])
    assert index_leb is not None and last_hash is not None
    index = 0
    for shift, byte in enumerate(index_leb):
        index |= (byte & 0x7F) << (7 * shift)
    assert uleb(index) == index_leb
    return index, last_hash


def verify_chain(client: LedgerClient, last_index: int, last_hash: bytes) -> int:
    """Walks blocks last_index..0 checking hashes; returns how many were verified."""
    expected = last_hash
    verified = 0
    end = last_index + 1
    while end > 0:
        start = max(0, end - PAGE)
        got = client.blocks([(start, end - start)])
        assert got["log_length"] == last_index + 1
        page = got["blocks"]
        assert [b["id"] for b in page] == list(range(start, end))
        for entry in reversed(page):
            block = entry["block"]
            assert value_hash(block) == expected, f"block {entry['id']} does not hash to its successor's phash"
            parent = map_get(block, "phash")
            if entry["id"] == 0:
                assert parent is None, "block 0 has no parent"
            else:
                expected = bytes(parent["Blob"])
            verified += 1
        end = start
    return verified


@pytest.fixture
def funded(server, new_identity, deploy, actor):
    alice, bob = new_identity(), new_identity()
    canister_id = deploy(
        server, LEDGER_ENTRY, ledger_init_arg([(alice.sender().to_str(), 10**12), (bob.sender().to_str(), 10**9)])
    )
    a = LedgerClient(actor(server, canister_id, alice, LEDGER_DID), alice)
    b = LedgerClient(actor(server, canister_id, bob, LEDGER_DID), bob)
    return canister_id, a, b


def test_chain_from_tip_certificate_back_to_block_zero(server, funded):
    canister_id, alice, bob = funded
    for i in range(45):
        assert "Ok" in alice.transfer(bob.account(bytes([i % 3] * 32)), 1_000 + i, memo=bytes([i]))
    assert "Ok" in alice.approve(bob.account(), 10**6)
    assert "Ok" in bob.transfer_from(alice.account(), bob.account(), 5_000)
    assert "Ok" in alice.transfer(acct(MINTER_TEXT), 20_000)
    index, last_hash = tip(alice, server, canister_id)
    assert index == 2 + 45 + 3 - 1
    assert verify_chain(alice, index, last_hash) == index + 1


def test_tip_certificate_follows_the_tip(server, funded):
    canister_id, alice, bob = funded
    first = tip(alice, server, canister_id)
    assert first[0] == 1  # the two initial mints
    assert "Ok" in alice.transfer(bob.account(), 1)
    second = tip(alice, server, canister_id)
    assert second[0] == 2 and second[1] != first[1]
    blocks = alice.blocks([(2, 1)])["blocks"]
    assert value_hash(blocks[0]["block"]) == second[1]
    assert bytes(map_get(blocks[0]["block"], "phash")["Blob"]) == first[1]
