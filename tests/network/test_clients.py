"""Real clients against localnet with the real runtime and a real Kybra canister:
ic-py's Agent and Canister, and the official JavaScript agent."""

import os
import time

import cbor2
import httpx
import pytest
from ic.agent import Agent
from ic.candid import encode
from ic.canister import Canister
from ic.client import Client
from ic.identity import Identity

from localnet.http import bls, hashtree
from localnet.http.testing import LocalnetServer

HERE = os.path.dirname(__file__)
COUNTER = os.path.join(HERE, "canisters", "counter", "main.py")


@pytest.fixture(scope="module")
def live():
    with LocalnetServer() as srv:
        with srv.lock:
            cid = srv.network.deploy(COUNTER, project_root=os.path.dirname(COUNTER))
        srv.cid = cid.to_str()
        srv.did = srv.network.canister(cid)["candid"]
        yield srv


def fresh_agent(live, kind="ed25519"):
    return Agent(Identity(type=kind), Client(live.url))


@pytest.mark.parametrize("kind", ["ed25519", "secp256k1"])
def test_icpy_update_query_and_caller(live, kind):
    a = fresh_agent(live, kind)
    before = a.query_raw(live.cid, "get", encode([]))[0]["value"]
    after = a.update_raw(live.cid, "inc", encode([]))[0]["value"]
    assert after == before + 1
    assert a.query_raw(live.cid, "get", encode([]))[0]["value"] == after
    assert a.query_raw(live.cid, "whoami", encode([]))[0]["value"] == a.identity.sender().to_str()


def test_icpy_reject_paths(live):
    a = fresh_agent(live)
    with pytest.raises(Exception, match="counter failure requested"):
        a.update_raw(live.cid, "fail", encode([]), timeout=20)
    with pytest.raises(Exception, match="Rejected"):
        a.update_raw(live.cid, "no_such_method", encode([]), timeout=20)
    assert "no_such_method" in str(a.query_raw(live.cid, "no_such_method", encode([])))


def test_icpy_canister_built_from_the_did(live):
    c = Canister(fresh_agent(live), live.cid, live.did)
    start = c.get()[0]
    assert c.add(5) == [start + 5]
    assert c.get() == [start + 5]


def test_candid_metadata_and_tmp_hack(live):
    a = fresh_agent(live)
    from ic.principal import Principal

    raw = Principal.from_str(live.cid).bytes
    cert = a.read_state_raw(
        live.cid, [[b"canister", raw, b"metadata", b"candid:service"], [b"canister", raw, b"module_hash"]]
    )
    root = hashtree.reconstruct(cert["tree"])
    assert bls.verify(bls.extract_der(live.root_key), cert["signature"], b"\x0dic-state-root" + root)
    did = hashtree.lookup_path([b"canister", raw, b"metadata", b"candid:service"], cert["tree"]).value.decode()
    assert did == live.did and "inc : () -> (nat)" in did
    assert len(hashtree.lookup_path([b"canister", raw, b"module_hash"], cert["tree"]).value) == 32
    hack = a.query_raw(live.cid, "__get_candid_interface_tmp_hack", encode([]))
    assert hack[0]["value"] == live.did


def test_certificate_time_follows_the_clock(live):
    body = cbor2.dumps(
        {
            "content": {
                "request_type": "read_state",
                "sender": b"\x04",
                "paths": [[b"time"]],
                "ingress_expiry": time.time_ns(),
            }
        }
    )
    r = httpx.post(f"{live.url}/api/v2/canister/{live.cid}/read_state", content=body)
    cert = cbor2.loads(cbor2.loads(r.content)["certificate"])
    raw = hashtree.lookup_path([b"time"], cert["tree"]).value
    t, shift = 0, 0
    for byte in raw:
        t |= (byte & 0x7F) << shift
        shift += 7
    assert abs(t - time.time_ns()) < 30 * 10**9


def test_javascript_agent_with_real_canister(live):
    from .jsagent import run_script

    a = fresh_agent(live)
    before = a.query_raw(live.cid, "get", encode([]))[0]["value"]
    out = run_script("agent_check.mjs", live.url, live.cid, "inc", "get", "fail")
    assert out["rootKeyLength"] == 133
    assert int(out["update1"]) == before + 1 and int(out["query"]) == before + 1
    assert int(out["updateP256"]) == before + 2 and int(out["updateDelegated"]) == before + 3
    assert out["reject"] == "RejectError" and "counter failure requested" in out["rejectText"]


def test_remote_replica_handle(live, tmp_path):
    from localnet.http.project import save_id
    from localnet.http.testing import RemoteReplica

    save_id(str(tmp_path), "counter", live.cid)
    remote = RemoteReplica(live.url, str(tmp_path))
    assert remote.root_key == live.root_key and remote.network is None
    assert remote.canister_id("counter") == live.cid
    with pytest.raises(KeyError, match="dfx deploy"):
        remote.canister_id("ghost")


def test_data_certificate_is_a_real_certificate(live):
    from ic.candid import Types
    from ic.principal import Principal

    a = fresh_agent(live)
    a.update_raw(live.cid, "certify", encode([{"type": Types.Vec(Types.Nat8), "value": b"\x01" * 32}]))
    got = Canister(a, live.cid, live.did).certificate()[0]
    cert = cbor2.loads(bytes(got[0]))
    assert bls.verify(
        bls.extract_der(live.root_key), cert["signature"], b"\x0dic-state-root" + hashtree.reconstruct(cert["tree"])
    )
    raw = Principal.from_str(live.cid).bytes
    assert hashtree.lookup_path([b"canister", raw, b"certified_data"], cert["tree"]).value == b"\x01" * 32


def test_icpy_agent_helper_does_not_deduplicate(live):
    from localnet.http.testing import icpy_agent

    a = icpy_agent(live.url, Identity(), live.root_key)
    first = a.update_raw(live.cid, "inc", encode([]))[0]["value"]
    second = a.update_raw(live.cid, "inc", encode([]))[0]["value"]
    assert second == first + 1  # two identical calls, two messages
    assert a.query_raw(live.cid, "get", encode([]))[0]["value"] == second
    assert Canister(a, live.cid, live.did).get() == [second]
    assert a.client.http.get(live.url + "/api/v2/status").status_code == 200
