"""localnet's replica identity: the root (subnet) BLS key and one node's Ed25519 key.

The single subnet is the root subnet, so its id is the self-authenticating principal of
the root key (as the agents assume for certificates without delegation). Keys derive from
a 32-byte seed that `--state-dir` persists, so a restarted localnet keeps its root key.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from .auth import self_authenticating
from .bls import BlsKey

# canister ids are 8 bytes + 0x01 0x01; one range covers every id localnet can allocate
CANISTER_RANGE = (bytes(8) + b"\x01\x01", b"\x00\x00\x00\x00\x00\xff\xff\xff\x01\x01")


class ReplicaKeys:
    def __init__(self, seed: bytes | None = None):
        self.seed = seed if seed is not None else os.urandom(32)
        if len(self.seed) != 32:
            raise ValueError("replica key seed must be 32 bytes")
        self.root = BlsKey(hashlib.sha256(b"localnet-root" + self.seed).digest())
        self._node = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"localnet-node" + self.seed).digest())
        self.node_der = self._node.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.root_der = self.root.der
        self.subnet_id = self_authenticating(self.root_der)
        self.node_id = self_authenticating(self.node_der)

    def node_sign(self, message: bytes) -> bytes:
        return self._node.sign(message)

    @classmethod
    def load_or_create(cls, path: str) -> "ReplicaKeys":
        """Read the seed file at `path`, creating it on first use."""
        if os.path.exists(path):
            with open(path, "rb") as f:
                seed = f.read()
            if len(seed) != 32:
                raise ValueError(f"{path}: corrupt replica key seed (expected 32 bytes)")
            return cls(seed)
        keys = cls()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(keys.seed)
        return keys
