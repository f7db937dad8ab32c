"""Identities from the PEM formats dfx and other tools write, giving the same principal
as an independent derivation (ic-py from the raw key), and clear errors otherwise."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from ic.identity import Identity

from ckpayment import IdentityError, identity_from_pem, load_identity
from ckpayment.identity import new_identity_pem

RAW = serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()


def pem(key, fmt) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def expected(kind: str, secret: bytes) -> str:
    return Identity(privkey=secret.hex(), type=kind).sender().to_str()


def test_ed25519_pkcs8_v1_and_v2():
    key = ed25519.Ed25519PrivateKey.generate()
    seed = key.private_bytes(*RAW)
    want = expected("ed25519", seed)
    assert identity_from_pem(pem(key, serialization.PrivateFormat.PKCS8)).sender().to_str() == want
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    der = (
        bytes.fromhex("3053020101300506032b657004220420") + seed + bytes.fromhex("a123032100") + public
    )  # RFC 5958 v2, as older dfx wrote
    text = "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n"
    ident = identity_from_pem(text)
    assert ident.key_type == "ed25519" and ident.sender().to_str() == want
    # a v2 key whose public key does not belong to the seed is refused
    other = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    bad = der[:53] + other
    with pytest.raises(IdentityError, match="not a usable private key"):
        identity_from_pem(
            "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(bad).decode() + "\n-----END PRIVATE KEY-----\n"
        )


def test_secp256k1_sec1_with_parameters_block_and_pkcs8():
    key = ec.generate_private_key(ec.SECP256K1())
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    want = expected("secp256k1", secret)
    sec1 = pem(key, serialization.PrivateFormat.TraditionalOpenSSL)
    assert sec1.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    params = b"-----BEGIN EC PARAMETERS-----\nBgUrgQQACg==\n-----END EC PARAMETERS-----\n"
    for text in (sec1, params + sec1, pem(key, serialization.PrivateFormat.PKCS8)):
        ident = identity_from_pem(text)
        assert ident.key_type == "secp256k1" and ident.sender().to_str() == want


def test_icpy_written_pems_and_generated_ones(tmp_path):
    for kind in ("ed25519", "secp256k1"):
        ident = Identity(type=kind)
        assert identity_from_pem(ident.to_pem()).sender().to_str() == ident.sender().to_str()
        path = tmp_path / f"{kind}.pem"
        path.write_bytes(new_identity_pem(kind))
        assert load_identity(str(path)).key_type == kind
    assert load_identity(None).sender().to_str() == "2vxsx-fae"
    assert load_identity("anonymous").sender().to_str() == "2vxsx-fae"


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(IdentityError, match="no such identity file"):
        load_identity(str(tmp_path / "missing.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    with pytest.raises(IdentityError, match="no PRIVATE KEY or EC PRIVATE KEY block"):
        load_identity(str(garbage))
    p256 = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(IdentityError, match="secp256r1 is not supported"):
        identity_from_pem(pem(p256, serialization.PrivateFormat.TraditionalOpenSSL))
    locked = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(IdentityError, match="encrypted"):
        identity_from_pem(locked)
    broken = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(IdentityError, match="not a usable private key"):
        identity_from_pem(broken)
    with pytest.raises(IdentityError, match="unsupported key type"):
        new_identity_pem("rsa")
