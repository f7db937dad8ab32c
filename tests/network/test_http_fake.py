"""The IC HTTP interface through ic-py's Agent, on the runtime test double."""

import time

import cbor2
import httpx
import pytest
from ic.agent import Agent
from ic.candid import Types, encode
from ic.client import Client
from ic.identity import Identity
from ic.principal import Principal as IcPrincipal

from localnet.http import bls, hashtree
from localnet.http.principal import to_text
from localnet.http.testing import LocalnetServer

from .fake_network import COUNTER_DID, COUNTER_ID, FakeNetwork
from .signers import call_content, envelope

CID = to_text(COUNTER_ID)


@pytest.fixture
def srv():
    with LocalnetServer(FakeNetwork(time_ns=time.time_ns())) as s:
        yield s


def agent(srv, kind="ed25519", anonymous=False):
    return Agent(Identity(type=kind, anonymous=anonymous) if anonymous else Identity(type=kind), Client(srv.url))


def verify_cert(srv, cert):
    root = hashtree.reconstruct(cert["tree"])
    assert bls.verify(bls.extract_der(srv.root_key), cert["signature"], b"\x0dic-state-root" + root)


def test_status_endpoint(srv):
    r = httpx.get(srv.url + "/api/v2/status")
    assert r.status_code == 200 and r.headers["content-type"] == "application/cbor"
    body = cbor2.loads(r.content)
    assert body["root_key"] == srv.root_key and len(body["root_key"]) == 133
    assert body["replica_health_status"] == "healthy" and body["impl_version"]


@pytest.mark.parametrize("kind", ["ed25519", "secp256k1"])
def test_icpy_update_and_query(srv, kind):
    a = agent(srv, kind)
    assert a.update_raw(CID, "inc", encode([]))[0]["value"] == 1
    # ic-py sends no nonce and whole-second expiries: an identical request within the same
    # second is the same message (deduplicated, as on the IC), so change the expiry
    a.ingress_expiry = 200
    assert a.update_raw(CID, "inc", encode([]))[0]["value"] == 2
    assert a.query_raw(CID, "get", encode([]))[0]["value"] == 2


def test_expired_requests_are_pruned_here_and_in_the_network(srv):
    """Past ingress_expiry plus the retention period a finished request is forgotten by the
    HTTP layer and by the network (the spec's `pruned`), so neither grows without bound."""
    a = agent(srv)
    assert a.update_raw(CID, "inc", encode([]))[0]["value"] == 1
    a.ingress_expiry = 200
    assert a.update_raw(CID, "inc", encode([]))[0]["value"] == 2
    ids = [entry.message_id for entry in srv.api.ingress.values()]
    assert len(ids) == 2 and all(srv.api.network.status(mid).state == "replied" for mid in ids)
    real_clock = srv.api.wall_clock
    srv.api.wall_clock = lambda: real_clock() + 11 * 60 * 10**9  # past expiry and retention
    srv.api._prune_at = 0  # sweep now, not at 10,000 entries
    with srv.lock:
        srv.api._prune()
    srv.api.wall_clock = real_clock
    assert srv.api.ingress == {}
    assert all(srv.api.network.status(mid) is None for mid in ids)
    a.ingress_expiry = 100
    assert a.update_raw(CID, "inc", encode([]))[0]["value"] == 3


def test_icpy_reject_and_polling_never_hangs(srv):
    a = agent(srv)
    with pytest.raises(Exception, match="Rejected: boom"):
        a.update_raw(CID, "fail", encode([]), timeout=10)
    unknown = to_text(bytes(7) + b"\x09\x01\x01")
    with pytest.raises(Exception, match="not found"):
        a.update_raw(unknown, "inc", encode([]), timeout=10)
    assert "query boom" in a.query_raw(CID, "fail", encode([]))


def test_icpy_canister_from_did(srv):
    from ic.canister import Canister

    c = Canister(agent(srv), CID, COUNTER_DID)
    assert c.inc() == [1]
    assert c.get() == [1]


def test_read_state_certificate_paths(srv):
    a = agent(srv)
    cid = IcPrincipal.from_str(CID).bytes
    cert = a.read_state_raw(
        CID,
        [
            [b"canister", cid, b"module_hash"],
            [b"canister", cid, b"controllers"],
            [b"canister", cid, b"metadata", b"candid:service"],
        ],
    )
    verify_cert(srv, cert)
    tree = cert["tree"]
    assert hashtree.lookup_path([b"canister", cid, b"module_hash"], tree).value == srv.network.info.module_hash
    controllers = cbor2.loads(hashtree.lookup_path([b"canister", cid, b"controllers"], tree).value)
    assert controllers == [b"\x04"]
    assert hashtree.lookup_path([b"canister", cid, b"metadata", b"candid:service"], tree).value.decode() == COUNTER_DID
    assert hashtree.lookup_path([b"time"], tree).status == "found"
    assert hashtree.lookup_path([b"canister", cid, b"certified_data"], tree).status != "found"


def test_request_status_is_certified_and_private(srv):
    ident = Identity()
    a = Agent(ident, Client(srv.url))
    content = call_content(ident.sender().bytes, COUNTER_ID, "inc", encode([]))
    from ic.agent import sign_request

    rid, body = sign_request(content, ident)
    r = httpx.post(f"{srv.url}/api/v2/canister/{CID}/call", content=body)
    assert r.status_code == 202
    deadline = time.time() + 10
    while time.time() < deadline:
        status, cert = a.request_status_raw(CID, rid)
        if status == "replied":
            break
        time.sleep(0.05)
    assert status == "replied"
    verify_cert(srv, cert)
    other = Agent(Identity(), Client(srv.url))
    r = httpx.post(
        f"{srv.url}/api/v2/canister/{CID}/read_state",
        content=_read_state_body(other.identity, [[b"request_status", rid]]),
    )
    assert r.status_code == 403


def _read_state_body(ident, paths):
    from ic.agent import sign_request

    content = {
        "request_type": "read_state",
        "sender": ident.sender().bytes,
        "paths": paths,
        "ingress_expiry": time.time_ns() + 60 * 10**9,
    }
    return sign_request(content, ident)[1]


def test_sync_call_v3_returns_certificate(srv):
    ident = Identity()
    from ic.agent import sign_request

    rid, body = sign_request(call_content(ident.sender().bytes, COUNTER_ID, "inc"), ident)
    for version in ("v3", "v4"):
        r = httpx.post(f"{srv.url}/api/{version}/canister/{CID}/call", content=body, timeout=30)
        assert r.status_code == 200
        resp = cbor2.loads(r.content)
        assert resp["status"] == "replied"
        cert = cbor2.loads(resp["certificate"])
        verify_cert(srv, cert)
        reply = hashtree.lookup_path([b"request_status", rid, b"reply"], cert["tree"]).value
        assert reply == encode([{"type": Types.Nat, "value": 1}])  # the same message, once


def test_failed_submit_is_rejected_in_status(srv):
    ident = Identity()
    from ic.agent import sign_request

    missing = bytes(7) + b"\x09\x01\x01"
    rid, body = sign_request(call_content(ident.sender().bytes, missing, "inc"), ident)
    r = httpx.post(f"{srv.url}/api/v3/canister/{to_text(missing)}/call", content=body)
    cert = cbor2.loads(cbor2.loads(r.content)["certificate"])
    tree = cert["tree"]
    assert hashtree.lookup_path([b"request_status", rid, b"status"], tree).value == b"rejected"
    assert hashtree.lookup_path([b"request_status", rid, b"reject_code"], tree).value == b"\x03"
    assert hashtree.lookup_path([b"request_status", rid, b"error_code"], tree).value == b"IC0301"


def test_query_response_is_signed_by_the_node(srv):
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from localnet.http.requestid import hash_of_map, request_id

    content = call_content(b"\x04", COUNTER_ID, "get", kind="query")
    r = httpx.post(f"{srv.url}/api/v2/canister/{CID}/query", content=envelope(content))
    resp = cbor2.loads(r.content)
    sig = resp["signatures"][0]
    assert sig["identity"] == srv.api.keys.node_id
    signed = {
        "status": "replied",
        "reply": resp["reply"],
        "timestamp": sig["timestamp"],
        "request_id": request_id(content),
    }
    load_der_public_key(srv.api.keys.node_der).verify(sig["signature"], b"\x0bic-response" + hash_of_map(signed))


@pytest.mark.parametrize(
    "path,method,status",
    [
        ("/api/v2/nothing", "GET", 404),
        ("/api/v2/status", "POST", 405),
        (f"/api/v2/canister/{CID}/query", "GET", 405),
        ("/api/v2/canister/not-a-principal/query", "POST", 400),
    ],
)
def test_routing_errors(srv, path, method, status):
    r = httpx.request(method, srv.url + path, content=b"")
    assert r.status_code == status and r.text


def test_effective_canister_mismatch_and_bad_path(srv):
    content = call_content(b"\x04", COUNTER_ID, "inc")
    other = to_text(bytes(7) + b"\x02\x01\x01")
    r = httpx.post(f"{srv.url}/api/v2/canister/{other}/call", content=envelope(content))
    assert r.status_code == 400 and "does not match effective canister id" in r.text
    body = envelope(
        {
            "request_type": "read_state",
            "sender": b"\x04",
            "paths": [[b"canister", COUNTER_ID, b"certified_data"]],
            "ingress_expiry": time.time_ns(),
        }
    )
    r = httpx.post(f"{srv.url}/api/v2/canister/{CID}/read_state", content=body)
    assert r.status_code == 404 and r.text == "Invalid path requested."


def test_subnet_read_state(srv):
    sid = to_text(srv.api.keys.subnet_id)
    body = envelope(
        {"request_type": "read_state", "sender": b"\x04", "paths": [[b"subnet"]], "ingress_expiry": time.time_ns()}
    )
    for v in ("v2", "v3"):
        r = httpx.post(f"{srv.url}/api/{v}/subnet/{sid}/read_state", content=body)
        cert = cbor2.loads(cbor2.loads(r.content)["certificate"])
        verify_cert(srv, cert)
        key = hashtree.lookup_path([b"subnet", srv.api.keys.subnet_id, b"public_key"], cert["tree"]).value
        assert key == srv.root_key


def test_javascript_agent_verifies_certificates(srv):
    from .jsagent import run_script

    out = run_script("agent_check.mjs", srv.url, CID, "inc", "get", "fail")
    assert out["rootKeyLength"] == 133
    assert out["update1"] == "1" and out["query"] == "1"
    assert out["updateP256"] == "2"
    assert out["delegatedPrincipalMatches"] is True and out["updateDelegated"] == "3"
    assert out["reject"] == "RejectError" and "boom" in out["rejectText"]


def test_execution_error_rejects_calls_in_flight():
    class Broken(FakeNetwork):
        def run_until_idle(self):
            raise RuntimeError("round limit exceeded")

    with LocalnetServer(Broken(time_ns=time.time_ns())) as srv:
        a = agent(srv)
        with pytest.raises(Exception, match="localnet execution error: round limit exceeded"):
            a.update_raw(CID, "inc", encode([]), timeout=20)


def test_ingress_over_2_mib_is_refused_with_413(srv):
    """The replica refuses a signed call over max_ingress_bytes_per_message (2 MiB on an
    application subnet) with 413 before it runs (docs/kybra.md "Message limits")."""
    ident = Identity()
    from ic.agent import sign_request

    big = b"DIDL\x00\x00" + bytes(2 * 1024 * 1024)
    rid, body = sign_request(call_content(ident.sender().bytes, COUNTER_ID, "inc", big), ident)
    r = httpx.post(f"{srv.url}/api/v3/canister/{CID}/call", content=body, timeout=30)
    assert r.status_code == 413
    assert r.text == (
        f"Request 0x{rid.hex()} is too large. Message byte size {len(body)} is larger than the max allowed 2097152."
    )
    small = b"DIDL\x00\x00" + bytes(2 * 1024 * 1024 - 4096)
    rid, body = sign_request(call_content(ident.sender().bytes, COUNTER_ID, "inc", small), ident)
    assert len(body) <= 2 * 1024 * 1024
    r = httpx.post(f"{srv.url}/api/v3/canister/{CID}/call", content=body, timeout=30)
    assert r.status_code == 200
