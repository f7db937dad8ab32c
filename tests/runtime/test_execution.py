"""Point 2: canister execution from source: init, queries, updates, generators, Manual
replies, and per-canister isolation of module namespaces."""

import sys

import pytest
from helpers import ALICE, BOB, deploy

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected


def test_init_update_query_roundtrip(network):
    cid = deploy(network, "counter", f'(principal "{BOB.to_str()}")')
    assert network.call(ALICE, cid, "owner") == BOB.to_str()
    assert network.logs(cid)[0] == "counter installed"
    assert network.call(ALICE, cid, "increment", "a") == 1
    assert network.call(ALICE, cid, "increment", "a") == 2
    assert network.call(ALICE, cid, "get", "a") == 2
    assert network.call(ALICE, cid, "get", "zzz") == 0
    assert network.call(BOB, cid, "whoami").to_str() == BOB.to_str()


def test_two_canisters_from_one_source_share_nothing(network):
    a = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    b = deploy(network, "counter", f'(principal "{BOB.to_str()}")')
    network.call(ALICE, a, "increment", "x")
    network.call(ALICE, a, "increment", "x")
    assert network.call(ALICE, a, "heap_calls") == 2
    assert network.call(ALICE, b, "heap_calls") == 0  # heap globals are per canister
    assert network.call(ALICE, b, "get", "x") == 0  # and so is stable memory
    assert network.call(ALICE, a, "owner") == ALICE.to_str()
    assert network.call(ALICE, b, "owner") == BOB.to_str()
    # nothing of the canisters leaks into the host interpreter
    assert "main" not in sys.modules or not hasattr(sys.modules["main"], "counts")
    import builtins

    assert not hasattr(builtins, "_kybra_ic")


def test_query_changes_are_discarded(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    network.call(ALICE, cid, "increment", "q")
    assert network.call(ALICE, cid, "peek_after_write", "q") == 999  # visible inside
    assert network.call(ALICE, cid, "get", "q") == 1  # gone afterwards
    assert network.call(ALICE, cid, "heap_calls") == 1
    # an update call to a query method runs it as a query too
    network.call(ALICE, cid, "peek_after_write", "q", query=False)
    assert network.call(ALICE, cid, "get", "q") == 1


def test_manual_reply(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    assert network.call(ALICE, cid, "echo_manual", "hi") == "hi!"


def test_unknown_method_and_bad_arguments(network):
    cid = deploy(network, "counter", f'(principal "{ALICE.to_str()}")')
    with pytest.raises(CallRejected) as e:
        network.update_call(ALICE, cid, "nope", binary.encode([], []))
    assert (e.value.code, e.value.error_code) == (3, "IC0302")
    with pytest.raises(CallRejected) as e:
        network.query_call(ALICE, cid, "increment", binary.encode([T.TEXT], ["a"]))
    assert e.value.code == 3 and "no query method" in e.value.message
    with pytest.raises(CallRejected) as e:
        network.update_call(ALICE, cid, "increment", binary.encode([T.NAT], [5]))
    assert e.value.code == 5 and "failed to decode call arguments" in e.value.message


def test_generators_and_inter_canister_calls(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    # a -> b -> a -> b -> a: each hop is its own message, calls nest re-entrantly
    assert network.call(ALICE, a, "ping", b, 4) == 4
    assert network.call(ALICE, a, "hits") == 3
    assert network.call(ALICE, b, "hits") == 2


def test_composite_query(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    network.call(ALICE, b, "ping", a, 0)
    assert network.call(ALICE, a, "sum_hits", b) == 1
    with pytest.raises(CallRejected) as e:  # composite queries are not replicated
        network.call(ALICE, a, "sum_hits", b, query=False)
    assert e.value.error_code == "IC0527"


def test_raw_calls_and_candid_text(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    reply = network.call(ALICE, a, "raw_ping", b)
    assert binary.decode(reply, [T.NAT64]) == [0]


def test_keyword_members_use_kybra_python_keys(network):
    # `from_: str` in the source is Candid `from`; canister code indexes `transfer["from_"]`
    cid = deploy(network, "ordering")
    out = network.call(ALICE, cid, "record_transfer", {"from": "alice", "amount": 5})
    assert out == {"from": "alice!", "amount": 5}
