"""A stable map's layout across upgrades, as ic-stable-structures 0.5.6 (Kybra 0.7.1's lock
file) behaves: the upgrade itself succeeds (Kybra opens maps lazily) and the first access
after it shows the change. BTreeMap::load (src/btreemap.rs) asserts the declared max sizes
are <= the header's; Node::load (src/btreemap/node.rs) then walks the nodes with the
declared sizes; Kybra's Storable::from_bytes Candid-decodes every key and value with
`unwrap_or_trap`."""

import pytest
from helpers import ALICE, ROOT, deploy, entry

from localnet.runtime import CallRejected


def _upgrade(network, cid, name):
    network.install_code(cid, network.build_module(entry(name), ROOT), mode="upgrade", sender=ALICE)


def _traps(network, cid, method, *args) -> str:
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, method, *args)
    return e.value.message


def _filled(network):
    cid = deploy(network, "layout_v1")
    network.call(ALICE, cid, "put_note", "a", "first")
    network.call(ALICE, cid, "put_note", "b", "second")
    network.call(ALICE, cid, "put_count", 7, 70)
    return cid


def test_raising_a_max_size_traps_at_every_access_after_the_upgrade(network):
    cid = deploy(network, "ordering")
    network.call(ALICE, cid, "put_texts", ["kept"])
    network.call(ALICE, cid, "put_ints", [1])
    _upgrade(network, cid, "ordering_bigger")  # the upgrade succeeds: nothing is opened yet
    assert "max_key_size must be <= 30" in _traps(network, cid, "text_keys")
    assert "max_key_size must be <= 30" in _traps(network, cid, "sizes")  # len() too
    assert network.call(ALICE, cid, "int_keys") == [1]  # the other maps are fine
    # the header still says 30: going back to the old code recovers the map
    _upgrade(network, cid, "ordering")
    assert network.call(ALICE, cid, "text_keys") == ["kept"]


def test_lowering_a_max_size_of_a_filled_map_reads_at_wrong_offsets(network):
    cid = _filled(network)
    _upgrade(network, cid, "layout_lowered")
    msg = _traps(network, cid, "get_note", "a")
    assert "CandidError" in msg
    assert "max_key_size=40, max_value_size=100" in msg
    assert "CandidError" in _traps(network, cid, "put_note", "c", "x")
    assert network.call(ALICE, cid, "note_count") == 2  # len() reads the header only
    assert network.call(ALICE, cid, "get_count", 7) == 70  # unchanged map still works


def test_lowering_a_max_size_of_an_empty_map_is_harmless_and_sticks(network):
    cid = _filled(network)
    _upgrade(network, cid, "layout_lowered")
    network.call(ALICE, cid, "put_spare", "k", "v")  # spare was empty: new nodes, new sizes
    assert network.call(ALICE, cid, "get_spare", "k") == "v"
    # that insert wrote the lowered key size (20) into the header: v1's 40 is now too big
    _upgrade(network, cid, "layout_v1")
    assert "max_key_size must be <= 20" in _traps(network, cid, "get_spare", "k")
    assert network.call(ALICE, cid, "get_note", "a") == "first"  # notes' layout is back


def test_changed_key_or_value_type_fails_to_decode(network):
    cid = _filled(network)
    _upgrade(network, cid, "layout_retyped")
    # notes: stored text keys do not decode as nat64, so no node of the map can be read
    assert "CandidError" in _traps(network, cid, "get_note", 1)
    assert "CandidError" in _traps(network, cid, "put_note", 1, "x")
    # counts: keys still decode; the stored nat64 value fails only when it is read
    assert "CandidError" in _traps(network, cid, "get_count", 7)
    network.call(ALICE, cid, "put_count", 8, "eight")
    assert network.call(ALICE, cid, "get_count", 8) == "eight"
    assert "CandidError" in _traps(network, cid, "put_count", 7, "seven")  # returns the old


def test_a_failed_upgrade_restores_the_layout(network):
    cid = _filled(network)
    _upgrade(network, cid, "layout_lowered")
    with pytest.raises(CallRejected) as e:
        _upgrade(network, cid, "layout_failing")
    assert "refusing this upgrade" in e.value.message
    assert "CandidError" in _traps(network, cid, "get_note", "a")  # still the lowered code
    _upgrade(network, cid, "layout_v1")
    assert network.call(ALICE, cid, "get_note", "b") == "second"


def test_the_stored_layout_survives_save_and_load(tmp_path):
    from localnet.runtime import Network

    net = Network(seed=3)
    cid = _filled(net)
    _upgrade(net, cid, "layout_lowered")
    net.call(ALICE, cid, "put_spare", "k", "v")  # header of `spare` now says 20
    net.save(str(tmp_path))
    loaded = Network.load(str(tmp_path))
    assert "CandidError" in _traps(loaded, cid, "get_note", "a")
    _upgrade(loaded, cid, "layout_v1")
    assert loaded.call(ALICE, cid, "get_note", "a") == "first"
    assert "max_key_size must be <= 20" in _traps(loaded, cid, "get_spare", "k")
