"""The transport: ic-py's request signing and read_state over one keep-alive HTTP
connection, returning raw Candid reply bytes (decoded by the project's codec,
`localnet.candid`, in `ckpayment.interface`).

Each request carries a random nonce and a nanosecond expiry, so two identical calls are two
messages (ic-py alone sends neither, and the IC answers a repeated request id with the
first reply). Certificates of update calls are checked against the root key (BLS),
following a subnet delegation when the replica sends one (mainnet; the delegation's
canister ranges are not checked). Query replies are taken as sent, as ic-py does: their
node signatures are not verified, so use update calls where the answer must be certified."""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

import cbor2
import httpx
from ic.agent import Agent, sign_request
from ic.client import Client
from ic.constants import IC_ROOT_KEY
from ic.principal import Principal

from .errors import CallRejectedError, TransportError

STATE_ROOT_DOMAIN = b"\x0dic-state-root"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
DEFAULT_URL = "http://127.0.0.1:4943"


def _text_id(canister_id) -> str:
    if isinstance(canister_id, str):
        Principal.from_str(canister_id)  # validates the checksum
        return canister_id
    if isinstance(canister_id, (bytes, bytearray)):
        return Principal(bytes(canister_id)).to_str()
    return canister_id.to_str()


class _HttpClient(Client):
    """ic-py's Client over one httpx connection pool, with HTTP errors turned into
    `TransportError` (ic-py ignores the status of a call)."""

    def __init__(self, url: str, timeout: float):
        super().__init__(url.rstrip("/"))
        self.http = httpx.Client(timeout=timeout)

    def _request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        try:
            if method == "GET":
                r = self.http.get(self.url + path)
            else:
                r = self.http.post(self.url + path, content=data, headers={"Content-Type": "application/cbor"})
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot reach {self.url}: {exc}") from None
        if r.status_code not in (200, 202):
            text = " ".join(r.text.split())[:300]
            raise TransportError(f"{self.url}{path}: HTTP {r.status_code}: {text}")
        return r.content

    def query(self, canister_id, data):
        return self._request("POST", f"/api/v2/canister/{canister_id}/query", data)

    def call(self, canister_id, req_id, data):
        self._request("POST", f"/api/v2/canister/{canister_id}/call", data)
        return req_id

    def read_state(self, canister_id, data):
        return self._request("POST", f"/api/v2/canister/{canister_id}/read_state", data)

    def status(self):
        return self._request("GET", "/api/v2/status")


class IcAgent(Agent):
    """An ic-py Agent for `url` signing as `identity`, with `call_bytes`/`query_bytes`.

    The root key of a local replica (localhost URLs, or `fetch_root_key=True`) is read
    from `/api/v2/status`; mainnet uses the IC's published root key."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        identity=None,
        *,
        timeout: float = 300.0,
        fetch_root_key: bool | None = None,
        verify: bool = True,
    ):
        from ic.identity import Identity

        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise TransportError(f"invalid network URL {url!r} (expected http(s)://host[:port])")
        super().__init__(identity or Identity(anonymous=True), _HttpClient(url, timeout), ingress_expiry=240)
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.verify = verify
        local = parsed.hostname in LOCAL_HOSTS
        self._fetch_root = local if fetch_root_key is None else fetch_root_key
        self.root_key = None if self._fetch_root else IC_ROOT_KEY

    def close(self) -> None:
        self.client.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- keys and certificates -------------------------------------------------------------
    def get_root_key(self) -> bytes:
        if self.root_key is None:
            try:
                status = cbor2.loads(self.client.status())
            except (ValueError, cbor2.CBORDecodeError) as exc:
                raise TransportError(f"{self.url}/api/v2/status: not CBOR ({exc})") from None
            key = status.get("root_key") if isinstance(status, dict) else None
            if not isinstance(key, bytes):
                raise TransportError(f"{self.url}/api/v2/status has no root_key")
            self.root_key = key
        return self.root_key

    def _check_certificate(self, cert: dict, key_der: bytes | None = None) -> None:
        from localnet.http import bls, hashtree

        if not self.verify:
            return
        key_der = key_der or self.get_root_key()
        if "delegation" in cert:
            delegation = cert["delegation"]
            inner = cbor2.loads(delegation["certificate"])
            self._check_certificate(inner, key_der)
            found = hashtree.lookup_path([b"subnet", delegation["subnet_id"], b"public_key"], inner["tree"])
            if found.value is None:
                raise TransportError("certificate delegation names no subnet public key")
            key_der = found.value
        root = hashtree.reconstruct(cert["tree"])
        if not bls.verify(bls.extract_der(key_der), cert["signature"], STATE_ROOT_DOMAIN + root):
            raise TransportError("certificate signature does not verify against the root key")

    def read_state_raw(self, canister_id, paths):
        cert = super().read_state_raw(canister_id, paths)
        self._check_certificate(cert)
        return cert

    # -- requests --------------------------------------------------------------------------
    def get_expiry_date(self):
        return time.time_ns() + self.ingress_expiry * 10**9

    def _request(self, kind: str, canister_id: str, method: str, arg: bytes) -> dict:
        return {
            "request_type": kind,
            "sender": self.identity.sender().bytes,
            "canister_id": Principal.from_str(canister_id).bytes,
            "method_name": method,
            "arg": arg,
            "ingress_expiry": self.get_expiry_date(),
            "nonce": os.urandom(16),
        }

    def query_bytes(self, canister_id, method: str, arg: bytes, effective_canister_id=None) -> bytes:
        cid = _text_id(canister_id)
        _, data = sign_request(self._request("query", cid, method, arg), self.identity)
        raw = self.client.query(_text_id(effective_canister_id or cid), data)
        try:
            result = cbor2.loads(raw)
        except (ValueError, cbor2.CBORDecodeError) as exc:
            raise TransportError(f"query {method}: reply is not CBOR ({exc})") from None
        if not isinstance(result, dict) or "status" not in result:
            raise TransportError(f"query {method}: malformed reply")
        if result["status"] == "replied":
            return result["reply"]["arg"]
        raise CallRejectedError(
            result.get("reject_code", 0), result.get("reject_message", ""), result.get("error_code"), method
        )

    def call_bytes(self, canister_id, method: str, arg: bytes, effective_canister_id=None) -> bytes:
        from ic.certificate import lookup

        cid = _text_id(canister_id)
        eid = _text_id(effective_canister_id or cid)
        req_id, data = sign_request(self._request("call", cid, method, arg), self.identity)
        self.client.call(eid, req_id, data)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            status, cert = self.request_status_raw(eid, req_id)
            if status == "replied":
                return lookup([b"request_status", req_id, b"reply"], cert)
            if status == "rejected":
                code = lookup([b"request_status", req_id, b"reject_code"], cert) or b"\x00"
                message = lookup([b"request_status", req_id, b"reject_message"], cert) or b""
                error = lookup([b"request_status", req_id, b"error_code"], cert)
                raise CallRejectedError(
                    int.from_bytes(code[:1], "little"),
                    message.decode("utf-8", "replace"),
                    error.decode() if error else None,
                    method,
                )
            if status == "done":
                raise TransportError(f"{method}: the reply was already pruned (status done)")
            if time.monotonic() > deadline:
                raise TransportError(f"{method}: no reply within {self.timeout:.0f} s (status {status or 'unknown'})")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
