"""Point 11: snapshot/revert of the whole network, and save/load to a directory."""

import pytest
from helpers import ALICE, deploy

from localnet.runtime import LocalnetError, Network


def test_snapshot_and_revert(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    network.call(ALICE, cid, "increment", "a")
    snap = network.snapshot()
    t0 = network.time_ns
    network.call(ALICE, cid, "increment", "a")
    network.advance_time(100)
    other = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    for _ in range(2):  # a snapshot can be reverted to repeatedly
        network.revert(snap)
        assert network.call(ALICE, cid, "get", "a") == 1
        assert network.call(ALICE, cid, "heap_calls") == 1  # heap globals reverted too
        assert network.time_ns == t0
        assert other.bytes not in network.canisters
        network.call(ALICE, cid, "increment", "a")


def test_snapshot_needs_an_idle_network(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    from localnet.candid import binary
    from localnet.candid import types as T

    network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    with pytest.raises(LocalnetError):
        network.snapshot()


def test_save_and_load(tmp_path):
    net = Network(seed=7)
    cid = deploy(net, "counter", f'(principal "{ALICE.to_str()}")')
    net.call(ALICE, cid, "increment", "a")
    net.call(ALICE, cid, "increment", "b")
    other = deploy(net, "ordering")
    net.call(ALICE, other, "raw_write", 10, b"persisted")
    net.call(ALICE, other, "put_texts", ["z", "a"])
    net.run_until_idle()
    before = {c: net.canister(c) for c in (cid, other)}
    net.save(str(tmp_path))
    loaded = Network.load(str(tmp_path))
    assert loaded.time_ns == net.time_ns
    for c in (cid, other):
        info = loaded.canister(c)
        for key in ("module_hash", "cycles", "status", "certified_data"):
            assert info[key] == before[c][key]
        assert [p.to_str() for p in info["controllers"]] == [p.to_str() for p in before[c]["controllers"]]
    assert loaded.call(ALICE, cid, "get", "a") == 1
    assert loaded.call(ALICE, other, "raw_read", 10, 9) == b"persisted"
    assert loaded.call(ALICE, other, "text_keys") == ["a", "z"]
    # heap globals survive the restart, as on the IC
    assert loaded.call(ALICE, cid, "heap_calls") == 2
    assert loaded.call(ALICE, cid, "owner") == ALICE.to_str()
    new = deploy(loaded, "counter", f'(principal "{ALICE.to_str()}")')
    assert new.bytes not in (cid.bytes, other.bytes)  # the id counter survived


def test_load_rejects_garbage(tmp_path):
    (tmp_path / "state.cbor").write_bytes(b"\x01\x02")
    with pytest.raises(LocalnetError):
        Network.load(str(tmp_path))


def test_stable_memory_images(network):
    a = deploy(network, "ordering")
    b = deploy(network, "ordering")
    network.call(ALICE, a, "put_texts", ["q", "p"])
    network.call(ALICE, a, "raw_write", 0, b"image")
    network.set_stable_memory(b, network.get_stable_memory(a))
    assert network.call(ALICE, b, "text_keys") == ["p", "q"]
    assert network.call(ALICE, b, "raw_read", 0, 5) == b"image"
    network.set_stable_memory(b, b"raw bytes")  # anything else: raw pages
    assert network.call(ALICE, b, "raw_size") == 1
    assert network.call(ALICE, b, "raw_read", 0, 9) == b"raw bytes"
    assert network.call(ALICE, b, "text_keys") == []


def test_save_and_load_keep_timers(tmp_path):
    net = Network()
    cid = deploy(net, "timers")  # init arms a 5 s timer
    net.call(ALICE, cid, "schedule_interval", 2)
    net.advance_time(2)
    net.save(str(tmp_path))
    loaded = Network.load(str(tmp_path))
    loaded.advance_time(3)  # t=5: the init timer and the interval (again) fire
    assert loaded.call(ALICE, cid, "fired_order") == ["tick", "tick", "first"]
