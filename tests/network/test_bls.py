"""BLS: localnet signs what the IC's ciphersuite verifies, checked on a mainnet certificate."""

import os

import cbor2

from localnet.http import bls, hashtree

IC_ROOT_KEY = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab"
    "583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf"
    "4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
)


def test_verifies_a_real_mainnet_certificate():
    path = os.path.join(os.path.dirname(__file__), "data", "mainnet_certificate.hex")
    cert = cbor2.loads(bytes.fromhex(open(path).read().strip()))
    msg = b"\x0dic-state-root" + hashtree.reconstruct(cert["tree"])
    key = bls.extract_der(IC_ROOT_KEY)
    assert bls.verify(key, cert["signature"], msg)
    assert not bls.verify(key, cert["signature"], msg + b"x")


def test_sign_and_verify_roundtrip_and_der():
    key = bls.BlsKey(b"\x07" * 32)
    sig = key.sign(b"message")
    assert len(sig) == 48 and len(key.der) == 133
    assert bls.extract_der(key.der) == key.public_key
    assert bls.verify(key.public_key, sig, b"message")
    assert not bls.verify(bls.BlsKey(b"\x08" * 32).public_key, sig, b"message")
    assert not bls.verify(key.public_key, b"\x00" * 48, b"message")
