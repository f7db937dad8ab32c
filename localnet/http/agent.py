"""A small IC agent for the CLI: signs with an ic-py `Identity`, calls over HTTP, and
returns raw Candid reply bytes (decoded by localnet.candid, not by ic-py).

Update calls use the synchronous `/api/v3/.../call` and fall back to polling `read_state`;
every certificate is checked against the root key fetched from `/api/v2/status`.
"""

from __future__ import annotations

import os
import time

import cbor2
import httpx
from ic.agent import sign_request

from localnet.runtime.errors import CallRejected

from . import bls, hashtree
from .certify import STATE_ROOT_DOMAIN
from .principal import to_text


class AgentError(Exception):
    """Transport or protocol failure (not a canister reject)."""


class Agent:
    def __init__(self, url: str, identity, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.identity = identity
        self.timeout = timeout
        self._root_key = None
        self._http = httpx.Client(timeout=timeout)

    def close(self):
        self._http.close()

    def _post(self, path: str, body: bytes) -> httpx.Response:
        try:
            return self._http.post(self.url + path, content=body, headers={"Content-Type": "application/cbor"})
        except httpx.HTTPError as exc:
            raise AgentError(f"cannot reach {self.url}: {exc}") from None

    def root_key(self) -> bytes:
        if self._root_key is None:
            try:
                r = self._http.get(self.url + "/api/v2/status")
            except httpx.HTTPError as exc:
                raise AgentError(f"cannot reach {self.url}: {exc}") from None
            if r.status_code != 200:
                raise AgentError(f"{self.url}/api/v2/status answered HTTP {r.status_code}")
            self._root_key = cbor2.loads(r.content)["root_key"]
        return self._root_key

    def _verify(self, cert: dict) -> dict:
        if "delegation" in cert:
            raise AgentError("certificates with subnet delegations are not supported")
        root = hashtree.reconstruct(cert["tree"])
        if not bls.verify(bls.extract_der(self.root_key()), cert["signature"], STATE_ROOT_DOMAIN + root):
            raise AgentError("certificate signature does not verify against the root key")
        return cert

    def _content(self, kind: str, canister_id: bytes, method: str, arg: bytes) -> dict:
        return {
            "request_type": kind,
            "sender": self.identity.sender().bytes,
            "canister_id": canister_id,
            "method_name": method,
            "arg": arg,
            "ingress_expiry": time.time_ns() + 240 * 10**9,
            "nonce": os.urandom(16),
        }

    @staticmethod
    def _check_http(r: httpx.Response):
        if r.status_code not in (200, 202):
            raise AgentError(f"HTTP {r.status_code}: {r.text.strip()}")

    def query(self, canister_id: bytes, method: str, arg: bytes, effective: bytes | None = None) -> bytes:
        _, body = sign_request(self._content("query", canister_id, method, arg), self.identity)
        r = self._post(f"/api/v2/canister/{to_text(effective or canister_id)}/query", body)
        self._check_http(r)
        resp = cbor2.loads(r.content)
        if resp.get("status") == "replied":
            return resp["reply"]["arg"]
        raise CallRejected(resp.get("reject_code", 0), resp.get("reject_message", ""), resp.get("error_code"))

    def call(self, canister_id: bytes, method: str, arg: bytes, effective: bytes | None = None) -> bytes:
        eid = to_text(effective or canister_id)
        rid, body = sign_request(self._content("call", canister_id, method, arg), self.identity)
        r = self._post(f"/api/v3/canister/{eid}/call", body)
        if r.status_code == 404:
            r = self._post(f"/api/v2/canister/{eid}/call", body)
        self._check_http(r)
        resp = cbor2.loads(r.content) if r.content else {}
        if "reject_code" in resp:
            raise CallRejected(resp["reject_code"], resp.get("reject_message", ""), resp.get("error_code"))
        if "certificate" in resp:
            outcome = self._outcome(self._verify(cbor2.loads(resp["certificate"])), rid)
            if outcome is not None:
                return outcome
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            outcome = self._outcome(self.read_state(eid, [[b"request_status", rid]]), rid)
            if outcome is not None:
                return outcome
            time.sleep(0.05)
        raise AgentError(f"no response to request 0x{rid.hex()} within {self.timeout:.0f}s")

    def read_state(self, effective_text: str, paths) -> dict:
        content = {
            "request_type": "read_state",
            "sender": self.identity.sender().bytes,
            "paths": paths,
            "ingress_expiry": time.time_ns() + 240 * 10**9,
        }
        _, body = sign_request(content, self.identity)
        r = self._post(f"/api/v2/canister/{effective_text}/read_state", body)
        if r.status_code != 200:
            raise AgentError(f"read_state: HTTP {r.status_code}: {r.text.strip()}")
        return self._verify(cbor2.loads(cbor2.loads(r.content)["certificate"]))

    @staticmethod
    def _outcome(cert: dict, rid: bytes):
        tree = cert["tree"]

        def get(name):
            return hashtree.lookup_path([b"request_status", rid, name], tree).value

        status = get(b"status")
        if status == b"replied":
            return get(b"reply")
        if status == b"rejected":
            code = int.from_bytes(get(b"reject_code") or b"\x00", "little")  # leb128 < 128
            err = get(b"error_code")
            raise CallRejected(code, (get(b"reject_message") or b"").decode(), err.decode() if err else None)
        if status == b"done":
            raise AgentError(f"request 0x{rid.hex()} is done; its reply was pruned")
        return None

    def metadata(self, canister_id: bytes, name: str) -> bytes | None:
        cid = to_text(canister_id)
        cert = self.read_state(cid, [[b"canister", canister_id, b"metadata", name.encode()]])
        return hashtree.lookup_path([b"canister", canister_id, b"metadata", name.encode()], cert["tree"]).value
