"""The certified state tree and certificates (interface spec, "The system state tree").

`StateView` lays out the paths localnet certifies; `Certifier` prunes the tree to the
requested paths and signs the root hash with the root BLS key.
"""

from __future__ import annotations

import cbor2

from . import hashtree
from .keys import CANISTER_RANGE, ReplicaKeys
from .requestid import hash_of_map, leb128_unsigned

STATE_ROOT_DOMAIN = b"\x0dic-state-root"
RESPONSE_DOMAIN = b"\x0bic-response"


def tagged(value) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(55799, value))


def status_subtree(status) -> dict:
    """`/request_status/<id>` children for an ingress status."""
    node = {b"status": status.state.encode()}
    if status.state == "replied":
        node[b"reply"] = bytes(status.reply or b"")
    elif status.state == "rejected":
        node[b"reject_code"] = leb128_unsigned(int(status.reject_code))
        node[b"reject_message"] = (status.reject_message or "").encode()
        if status.error_code:
            node[b"error_code"] = status.error_code.encode()
    return node


def canister_subtree(info: dict) -> dict:
    """`/canister/<id>` children from the runtime's canister info (`Network.canister`)."""
    node = {}
    node[b"certified_data"] = bytes(info.get("certified_data") or b"")
    node[b"controllers"] = tagged([_raw(c) for c in info.get("controllers") or []])
    module_hash = info.get("module_hash")
    if module_hash:
        node[b"module_hash"] = bytes(module_hash)
        candid = info.get("candid")
        if candid:
            node[b"metadata"] = {b"candid:service": candid.encode()}
    return node


def _raw(principal) -> bytes:
    if isinstance(principal, (bytes, bytearray)):
        return bytes(principal)
    raw = getattr(principal, "bytes", None)
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw)
    return bytes(principal._bytes)


class Certifier:
    def __init__(self, keys: ReplicaKeys):
        self.keys = keys

    def subnet_subtree(self) -> dict:
        ranges = tagged([[CANISTER_RANGE[0], CANISTER_RANGE[1]]])
        return {
            self.keys.subnet_id: {
                b"public_key": self.keys.root_der,
                b"canister_ranges": ranges,
                b"node": {self.keys.node_id: {b"public_key": self.keys.node_der}},
            }
        }

    def state(self, time_ns: int, statuses: dict, canisters: dict) -> dict:
        """Labeled state: `statuses` maps request id -> status, `canisters` id -> info."""
        state = {
            b"time": leb128_unsigned(time_ns),
            b"subnet": self.subnet_subtree(),
        }
        if statuses:
            state[b"request_status"] = {rid: status_subtree(s) for rid, s in statuses.items()}
        if canisters:
            state[b"canister"] = {cid: canister_subtree(i) for cid, i in canisters.items()}
        return state

    def certificate(self, state: dict, paths) -> bytes:
        """CBOR certificate revealing `paths` (and always `/time`)."""
        tree = hashtree.witness(state, list(paths) + [[b"time"]])
        root = hashtree.reconstruct(tree)
        signature = self.keys.root.sign(STATE_ROOT_DOMAIN + root)
        return tagged({"tree": tree, "signature": signature})

    def sign_query_response(self, response: dict, req_id: bytes, time_ns: int) -> list:
        """The `signatures` list of a query response, signed by the node key."""
        signed = {k: v for k, v in response.items() if k != "signatures"}
        signed["timestamp"] = time_ns
        signed["request_id"] = req_id
        sig = self.keys.node_sign(RESPONSE_DOMAIN + hash_of_map(signed))
        return [{"timestamp": time_ns, "signature": sig, "identity": self.keys.node_id}]
