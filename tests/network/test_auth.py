"""Envelope decoding and authentication: key schemes, delegations, expiry, errors."""

import time

import cbor2
import pytest

from localnet.http.envelope import decode
from localnet.http.errors import HttpError

from .signers import Ed25519Signer, P256Signer, Secp256k1Signer, call_content, delegate, envelope, principal_of

CANISTER = bytes(8) + b"\x01\x01"
NOW = time.time_ns()


@pytest.fixture(autouse=True)
def _fresh_now():
    """Each test checks expiries against the clock when it runs, not when the module was
    imported (a long suite would otherwise push every expiry out of the window)."""
    global NOW
    NOW = time.time_ns()


@pytest.mark.parametrize("signer_cls", [Ed25519Signer, Secp256k1Signer, P256Signer])
def test_signed_call_accepted_for_each_scheme(signer_cls):
    signer = signer_cls()
    content = call_content(principal_of(signer.der), CANISTER)
    req = decode(envelope(content, signer), "call", NOW)
    assert req.sender == principal_of(signer.der)
    assert req.method_name == "m" and req.canister_id == CANISTER


def test_icpy_identities_accepted():
    from ic.agent import sign_request
    from ic.identity import Identity

    for kind in ("ed25519", "secp256k1"):
        ident = Identity(type=kind)
        content = call_content(ident.sender().bytes, CANISTER)
        req_id, body = sign_request(content, ident)
        req = decode(body, "call", NOW)
        assert req.request_id == req_id and req.sender == ident.sender().bytes


def test_with_and_without_self_describe_tag():
    content = call_content(b"\x04", CANISTER)
    assert decode(envelope(content, tag=False), "call", NOW).sender == b"\x04"
    assert decode(envelope(content, tag=True), "call", NOW).sender == b"\x04"


def test_bad_signature_is_400():
    signer = Ed25519Signer()
    content = call_content(principal_of(signer.der), CANISTER)
    body = cbor2.loads(envelope(content, signer))
    body["sender_sig"] = bytes(64)
    with pytest.raises(HttpError) as err:
        decode(cbor2.dumps(body), "call", NOW)
    assert err.value.status == 400 and "Invalid signature" in err.value.message


def test_sender_must_match_public_key():
    signer, other = Ed25519Signer(), Ed25519Signer()
    content = call_content(principal_of(other.der), CANISTER)
    with pytest.raises(HttpError) as err:
        decode(envelope(content, signer), "call", NOW)
    assert "does not match the public key" in err.value.message


def test_anonymous_must_not_carry_signature():
    signer = Ed25519Signer()
    content = call_content(b"\x04", CANISTER)
    with pytest.raises(HttpError):
        decode(envelope(content, signer), "call", NOW)


def test_missing_signature_for_named_sender():
    signer = Ed25519Signer()
    content = call_content(principal_of(signer.der), CANISTER)
    with pytest.raises(HttpError) as err:
        decode(envelope(content), "call", NOW)
    assert "missing sender_pubkey" in err.value.message


def test_expiry_window():
    content = call_content(b"\x04", CANISTER, expiry=NOW - 10**9)
    with pytest.raises(HttpError) as err:
        decode(envelope(content), "call", NOW)
    assert err.value.message.startswith("Invalid request expiry: ")
    content = call_content(b"\x04", CANISTER, expiry=NOW + 10 * 60 * 10**9)
    with pytest.raises(HttpError):
        decode(envelope(content), "call", NOW)
    content = call_content(b"\x04", CANISTER, expiry=NOW + 5 * 60 * 10**9 + 30 * 10**9)
    decode(envelope(content), "call", NOW)
    # anonymous queries may carry any expiry
    content = call_content(b"\x04", CANISTER, kind="query", expiry=1)
    decode(envelope(content), "query", NOW)


def test_delegation_chain():
    root, middle, session = Ed25519Signer(), Secp256k1Signer(), P256Signer()
    chain = [delegate(root, middle.der), delegate(middle, session.der, targets=[CANISTER])]
    content = call_content(principal_of(root.der), CANISTER)
    req = decode(envelope(content, session, sender_der=root.der, delegations=chain), "call", NOW)
    assert req.sender == principal_of(root.der)


def test_delegation_failures():
    root, session = Ed25519Signer(), Ed25519Signer()
    content = call_content(principal_of(root.der), CANISTER)
    expired = [delegate(root, session.der, expiration=NOW - 1)]
    with pytest.raises(HttpError) as err:
        decode(envelope(content, session, root.der, expired), "call", NOW)
    assert "expired" in err.value.message
    wrong_target = [delegate(root, session.der, targets=[b"\x00" * 10])]
    with pytest.raises(HttpError) as err:
        decode(envelope(content, session, root.der, wrong_target), "call", NOW)
    assert err.value.status == 403
    forged = [delegate(Ed25519Signer(), session.der)]
    with pytest.raises(HttpError) as err:
        decode(envelope(content, session, root.der, forged), "call", NOW)
    assert "does not verify" in err.value.message
    cycle = [delegate(root, session.der), delegate(session, root.der)]
    with pytest.raises(HttpError) as err:
        decode(envelope(content, root, root.der, cycle), "call", NOW)
    assert "cycle" in err.value.message
    # signed by the delegating key instead of the session key
    ok_chain = [delegate(root, session.der)]
    with pytest.raises(HttpError):
        decode(envelope(content, root, root.der, ok_chain), "call", NOW)


def test_canister_signature_keys_are_refused_clearly():
    der = bytes.fromhex("301f300c060a2b0601040183b8430102030f000a") + bytes(14)
    content = call_content(principal_of(der), CANISTER)
    env = {"content": content, "sender_pubkey": der, "sender_sig": b"\x00"}
    with pytest.raises(HttpError) as err:
        decode(cbor2.dumps(env), "call", NOW)
    assert "canister signatures are not supported" in err.value.message


@pytest.mark.parametrize(
    "body",
    [b"\xff\x00", cbor2.dumps([1, 2]), cbor2.dumps({"content": 1}), cbor2.dumps({"content": {"request_type": "call"}})],
)
def test_malformed_bodies_are_400(body):
    with pytest.raises(HttpError) as err:
        decode(body, "call", NOW)
    assert err.value.status == 400 and "Could not parse body" in err.value.message


def test_wrong_request_type_and_field_types():
    content = call_content(b"\x04", CANISTER, kind="query")
    with pytest.raises(HttpError):
        decode(envelope(content), "call", NOW)
    content = call_content(b"\x04", CANISTER)
    content["arg"] = "text"
    with pytest.raises(HttpError) as err:
        decode(envelope(content), "call", NOW)
    assert "`arg`" in err.value.message
