"""Acceptance checks for issue 3 against the real runtime over HTTP (the other HTTP tests use
a runtime double): secp256k1 and P-256 signed requests end to end, sender/public-key
mismatch, ingress_expiry outside the window, request_status readable only by its sender at
its effective canister id, and the synchronous v3 call's certificate
(docs/localnet_acceptance.md)."""

import os
import time

import cbor2
import httpx
import pytest

from localnet.candid import binary
from localnet.candid import types as T
from localnet.http import bls, hashtree
from localnet.http.principal import from_text
from localnet.http.requestid import request_id
from localnet.http.testing import LocalnetServer

from .signers import Ed25519Signer, P256Signer, Secp256k1Signer, call_content, envelope, principal_of

HERE = os.path.dirname(__file__)
COUNTER = os.path.join(HERE, "canisters", "counter", "main.py")


@pytest.fixture(scope="module")
def live():
    with LocalnetServer() as srv:
        with srv.lock:
            root = os.path.dirname(COUNTER)
            srv.cids = [srv.network.deploy(COUNTER, project_root=root).to_str() for _ in range(2)]
        yield srv


def post(live, cid, kind, body, version="v2"):
    return httpx.post(f"{live.url}/api/{version}/canister/{cid}/{kind}", content=body, timeout=30)


def verified_tree(live, cert_bytes):
    cert = cbor2.loads(cert_bytes)
    root = hashtree.reconstruct(cert["tree"])
    assert bls.verify(bls.extract_der(live.root_key), cert["signature"], b"\x0dic-state-root" + root)
    return cert["tree"]


def counter_value(live, cid):
    content = call_content(b"\x04", from_text(cid), "get", binary.encode([], []), kind="query")
    resp = cbor2.loads(post(live, cid, "query", envelope(content)).content)
    assert resp["status"] == "replied"
    return binary.decode(resp["reply"]["arg"], [T.NAT])[0]


@pytest.mark.parametrize("signer_cls", [Secp256k1Signer, P256Signer, Ed25519Signer])
def test_signed_update_and_query_end_to_end(live, signer_cls):
    signer = signer_cls()
    cid = live.cids[0]
    sender = principal_of(signer.der)
    content = call_content(sender, from_text(cid), "inc", binary.encode([], []))
    before = counter_value(live, cid)
    r = post(live, cid, "call", envelope(content, signer), version="v3")
    assert r.status_code == 200, r.text
    resp = cbor2.loads(r.content)
    assert resp["status"] == "replied"
    tree = verified_tree(live, resp["certificate"])  # v3 call: a real certificate
    rid = request_id(content)
    assert hashtree.lookup_path([b"request_status", rid, b"status"], tree).value == b"replied"
    reply = hashtree.lookup_path([b"request_status", rid, b"reply"], tree).value
    assert binary.decode(reply, [T.NAT]) == [before + 1]
    assert hashtree.lookup_path([b"time"], tree).status == "found"
    # a signed query sees the caller as the self-authenticating principal of the key
    q = call_content(sender, from_text(cid), "whoami", binary.encode([], []), kind="query")
    resp = cbor2.loads(post(live, cid, "query", envelope(q, signer)).content)
    from localnet.candid.principals import principal_to_text

    assert binary.decode(resp["reply"]["arg"], [T.TEXT]) == [principal_to_text(sender)]


def test_sender_not_matching_its_public_key_is_refused_and_not_run(live):
    signer, other = Secp256k1Signer(), P256Signer()
    cid = live.cids[0]
    before = counter_value(live, cid)
    content = call_content(principal_of(other.der), from_text(cid), "inc", binary.encode([], []))
    r = post(live, cid, "call", envelope(content, signer))
    assert r.status_code == 400 and "does not match the public key" in r.text
    assert counter_value(live, cid) == before


@pytest.mark.parametrize("offset_s", [-60, -1, 7 * 60, 24 * 3600])
def test_ingress_expiry_outside_the_window_is_refused_and_not_run(live, offset_s):
    signer = Ed25519Signer()
    cid = live.cids[0]
    before = counter_value(live, cid)
    expiry = time.time_ns() + offset_s * 10**9
    content = call_content(principal_of(signer.der), from_text(cid), "inc", binary.encode([], []), expiry=expiry)
    for version in ("v2", "v3"):
        r = post(live, cid, "call", envelope(content, signer), version=version)
        assert r.status_code == 400 and "Invalid request expiry" in r.text
    assert counter_value(live, cid) == before
    ok = call_content(
        principal_of(signer.der), from_text(cid), "inc", binary.encode([], []), expiry=time.time_ns() + 4 * 60 * 10**9
    )
    assert post(live, cid, "call", envelope(ok, signer), version="v3").status_code == 200


def _read_state(live, cid, signer, rid):
    sender = principal_of(signer.der) if signer else b"\x04"
    content = {
        "request_type": "read_state",
        "sender": sender,
        "paths": [[b"request_status", rid]],
        "ingress_expiry": time.time_ns() + 60 * 10**9,
    }
    return post(live, cid, "read_state", envelope(content, signer))


def test_request_status_is_readable_only_by_its_sender_at_its_canister(live):
    owner, stranger = Ed25519Signer(), Secp256k1Signer()
    cid, other_cid = live.cids
    content = call_content(principal_of(owner.der), from_text(cid), "inc", binary.encode([], []))
    assert post(live, cid, "call", envelope(content, owner)).status_code == 202
    rid = request_id(content)
    deadline = time.monotonic() + 20
    while True:
        r = _read_state(live, cid, owner, rid)
        assert r.status_code == 200
        tree = verified_tree(live, cbor2.loads(r.content)["certificate"])
        status = hashtree.lookup_path([b"request_status", rid, b"status"], tree)
        if status.status == "found" and status.value == b"replied":
            break
        assert time.monotonic() < deadline, "the call never settled"
        time.sleep(0.05)
    for signer, at in ((stranger, cid), (None, cid), (owner, other_cid)):
        r = _read_state(live, at, signer, rid)
        assert r.status_code == 403, (signer, at, r.text)
        assert rid.hex() in r.text
    # an unknown request id may be asked for by anyone (proves absence)
    unknown = bytes(32)
    r = _read_state(live, cid, stranger, unknown)
    tree = verified_tree(live, cbor2.loads(r.content)["certificate"])
    assert hashtree.lookup_path([b"request_status", unknown, b"status"], tree).status == "absent"


def test_oversized_install_code_ingress_is_refused_with_413(live):
    """A > 2 MiB install_code ingress is refused by the HTTP endpoint with 413, as the
    replica's validate_ingress_message does; it never runs (docs/kybra.md "Message limits")."""
    from localnet.runtime import module as wasm
    from localnet.runtime.management import ic_did

    signer = Ed25519Signer()
    sender = principal_of(signer.der)
    with live.lock:
        from localnet.candid.principals import make_principal

        target = live.network.create_canister(controllers=[make_principal(sender)])
        module = live.network.build_module(COUNTER, os.path.dirname(COUNTER))
    module += wasm.custom_section("icp:private padding", os.urandom(2 * 1024 * 1024))
    func = ic_did().env.resolve(dict(ic_did().service.methods)["install_code"])
    arg = binary.encode(
        list(func.args),
        [
            {
                "mode": {"install": None},
                "canister_id": target,
                "wasm_module": module,
                "arg": binary.encode([], []),
                "sender_canister_version": None,
            }
        ],
        ic_did().env,
    )
    content = call_content(sender, b"", "install_code", arg)
    r = post(live, target.to_str(), "call", envelope(content, signer), version="v3")
    assert r.status_code == 413, r.text
    assert r.text.startswith(f"Request 0x{request_id(content).hex()} is too large.")
    assert r.text.endswith("is larger than the max allowed 2097152.")
    with live.lock:
        assert live.network.canister(target)["module_hash"] is None


def test_subnet_canister_ranges_cover_the_deployed_canisters(live):
    sid = live.api.keys.subnet_id
    from localnet.http.principal import to_text

    body = envelope(
        {
            "request_type": "read_state",
            "sender": b"\x04",
            "paths": [[b"subnet", sid, b"canister_ranges"]],
            "ingress_expiry": time.time_ns() + 60 * 10**9,
        }
    )
    r = httpx.post(f"{live.url}/api/v3/subnet/{to_text(sid)}/read_state", content=body)
    tree = verified_tree(live, cbor2.loads(r.content)["certificate"])
    ranges = cbor2.loads(hashtree.lookup_path([b"subnet", sid, b"canister_ranges"], tree).value)
    assert ranges and all(len(pair) == 2 and pair[0] <= pair[1] for pair in ranges)
    for cid in live.cids:
        raw = from_text(cid)
        assert any(lo <= raw <= hi for lo, hi in ranges), cid
