"""The HTTP gateway (spec/ic-interface/http-gateway-protocol-spec.md) in front of localnet:
browsers get canisters' web pages from the same port as the IC HTTP interface.

Canister id resolution, as dfx's local gateway does it: the first valid canister id from the
right in the hostname (`http://<id>.localhost:4943/`, `<id>.raw.localhost` too), else the
`canisterId` query parameter (`http://localhost:4943/?canisterId=<id>`), else the
`canisterId` in the Referer (so a page loaded with `?canisterId=` can load `/assets/x.js`).

The request is a `http_request` query (anonymous sender, `certificate_version = opt 2`);
`upgrade = opt true` repeats it as a `http_request_update` call; a streaming strategy is
followed by query calls to its callback (which must be a method of the same canister) with
the token encoded at the type the canister's own Candid interface declares.

Response verification is lenient on purpose: localnet is the replica itself, so a
certificate cannot tell the gateway anything it does not already know; the canister's
`IC-Certificate` headers are passed on unchanged for clients that check them.
"""

from __future__ import annotations

import urllib.parse

from localnet.candid import types as T
from localnet.candid.binary import decode, encode
from localnet.candid.did import parse_did, parse_type
from localnet.candid.errors import CandidError

from .errors import HttpError
from .principal import from_text, to_text

ANONYMOUS = b"\x04"
MAX_STREAM_CHUNKS = 10_000
CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "DNT,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Cookie",
    ),
    ("Access-Control-Expose-Headers", "Content-Length,Content-Range"),
]
# the response type when a canister publishes no Candid interface (no streaming then)
FALLBACK_RESPONSE = (
    "record { status_code : nat16; headers : vec record { text; text }; body : blob; upgrade : opt bool }"
)
REQUEST = (
    "record { method : text; url : text; headers : vec record { text; text }; "
    "body : blob; certificate_version : opt nat16 }"
)
UPDATE_REQUEST = "record { method : text; url : text; headers : vec record { text; text }; body : blob }"
# headers the transport sets itself
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "keep-alive"}


class GatewayError(HttpError):
    """A request the gateway cannot serve (answered as a plain-text HTTP error)."""


def _canister_in_host(host: str) -> bytes | None:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host
    for label in reversed(name.split(".")):
        if label.count("-") == 4:  # the textual form of a canister id: 5 groups
            try:
                return from_text(label)
            except HttpError:
                continue
    return None


def _canister_in_query(url: str) -> bytes | None:
    query = urllib.parse.urlsplit(url).query
    values = urllib.parse.parse_qs(query).get("canisterId")
    if not values:
        return None
    try:
        return from_text(values[0])
    except HttpError:
        raise GatewayError(400, f"canisterId {values[0]!r} is not a valid principal") from None


def resolve_canister(path: str, headers) -> bytes | None:
    """The canister a browser request is for, or None when it names none."""
    cid = _canister_in_host(headers.get("Host") or "")
    if cid is not None:
        return cid
    cid = _canister_in_query(path)
    if cid is not None:
        return cid
    referer = headers.get("Referer")
    if referer:
        try:
            return _canister_in_query(urllib.parse.urlsplit(referer)._replace(path="", fragment="").geturl())
        except GatewayError:
            return None
    return None


def _strip_canister_param(path: str) -> str:
    """The URL the canister sees: without the gateway's own `canisterId` parameter."""
    parts = urllib.parse.urlsplit(path)
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "canisterId"]
    query = urllib.parse.urlencode(pairs)
    return parts.path + (f"?{query}" if query else "")


class Gateway:
    """Serves browser requests from canisters through an `IcApi` (shares its lock)."""

    def __init__(self, api):
        self.api = api

    # ---- Candid types of the canister's HTTP interface ----
    def _interface(self, cid: bytes):
        from kybra import Principal

        try:
            info = self.api.network.canister(Principal(cid))
        except Exception:
            raise GatewayError(404, f"Canister {to_text(cid)} not found") from None
        if info.get("module_hash") is None:
            raise GatewayError(503, f"Canister {to_text(cid)} has no code installed")
        candid = info.get("candid")
        if not candid:
            return None
        try:
            return parse_did(candid)
        except CandidError:
            return None

    @staticmethod
    def _method(desc, name: str):
        if desc is None:
            return None
        for method, func in desc.service.methods:
            if method == name:
                return desc.env.resolve(func) if isinstance(func, T.Var) else func
        return None

    # ---- calls ----
    def _query(self, cid: bytes, method: str, arg: bytes) -> bytes:
        from kybra import Principal

        from localnet.runtime.errors import CallRejected

        try:
            return self.api.network.query_call(Principal(ANONYMOUS), Principal(cid), method, arg)
        except CallRejected as rej:
            raise GatewayError(
                502 if rej.code != 3 else 404, f"Canister {to_text(cid)} rejected {method}: {rej.message}"
            ) from None

    def _update(self, cid: bytes, method: str, arg: bytes) -> bytes:
        from kybra import Principal

        from localnet.runtime.errors import CallRejected

        try:
            return self.api.network.update_call(Principal(ANONYMOUS), Principal(cid), method, arg)
        except CallRejected as rej:
            raise GatewayError(502, f"Canister {to_text(cid)} rejected {method}: {rej.message}") from None

    def handle(self, cid: bytes, method: str, path: str, headers, body: bytes):
        """One browser request for canister `cid` -> (status, [(name, value)], body)."""
        url = _strip_canister_param(path)
        header_pairs = [(k, v) for k, v in headers.items()]
        with self.api.lock:
            desc = self._interface(cid)
            func = self._method(desc, "http_request")
            if desc is not None and func is None:
                raise GatewayError(404, f"Canister {to_text(cid)} does not serve HTTP (it has no http_request method)")
            ret_types = func.rets if func is not None else (parse_type(FALLBACK_RESPONSE),)
            env = desc.env if desc is not None else None
            request = {"method": method, "url": url, "headers": header_pairs, "body": body, "certificate_version": 2}
            req_types = func.args if func is not None else (parse_type(REQUEST),)
            arg = self._encode(req_types, request, env)
            reply = self._query(cid, "http_request", arg)
            response = self._decode(reply, ret_types, env, "http_request")
            if response.get("upgrade") is True:
                update = self._method(desc, "http_request_update")
                if desc is not None and update is None:
                    raise GatewayError(
                        502, f"Canister {to_text(cid)} asked for an update call but has no http_request_update method"
                    )
                request.pop("certificate_version")
                up_args = update.args if update is not None else (parse_type(UPDATE_REQUEST),)
                up_rets = update.rets if update is not None else ret_types
                reply = self._update(cid, "http_request_update", self._encode(up_args, request, env))
                response = self._decode(reply, up_rets, env, "http_request_update")
            content = bytes(response["body"])
            strategy = response.get("streaming_strategy")
            if strategy is not None:
                content += self._stream(cid, strategy, desc)
        status = int(response["status_code"])
        if not 100 <= status <= 599:
            raise GatewayError(502, f"Canister {to_text(cid)} answered the invalid HTTP status {status}")
        out_headers = [(str(k), str(v)) for k, v in response["headers"] if str(k).lower() not in HOP_HEADERS]
        names = {k.lower() for k, _ in out_headers}
        out_headers += [(k, v) for k, v in CORS if k.lower() not in names]
        return status, out_headers, b"" if method == "HEAD" else content

    def _stream(self, cid: bytes, strategy, desc) -> bytes:
        callback = strategy.get("Callback") if isinstance(strategy, dict) else None
        if callback is None:
            raise GatewayError(502, "unsupported streaming strategy (only Callback exists)")
        target, method = callback["callback"]
        from localnet.candid.principals import principal_bytes

        if principal_bytes(target) != cid:
            raise GatewayError(502, "the streaming callback is not a method of the canister")
        func = self._method(desc, method)
        if func is None or len(func.args) != 1:
            raise GatewayError(
                502,
                f"the streaming callback {method!r} is not a one-argument method of the canister's Candid interface",
            )
        token = callback["token"]
        out = bytearray()
        for _ in range(MAX_STREAM_CHUNKS):
            reply = self._query(cid, method, self._encode(func.args, token, desc.env))
            chunk = self._decode(reply, func.rets, desc.env, method)
            if chunk is None:
                break
            out += bytes(chunk["body"])
            token = chunk.get("token")
            if token is None:
                break
        else:
            raise GatewayError(502, f"the streaming callback did not end after {MAX_STREAM_CHUNKS} chunks")
        return bytes(out)

    @staticmethod
    def _encode(types, value, env) -> bytes:
        try:
            return encode(list(types), [value], env)
        except CandidError as exc:
            raise GatewayError(502, f"cannot encode the request for the canister's HTTP interface: {exc}") from None

    @staticmethod
    def _decode(reply: bytes, types, env, method: str):
        try:
            return decode(reply, list(types), env)[0]
        except (CandidError, IndexError) as exc:
            raise GatewayError(502, f"the canister's {method} reply is not a valid HTTP response: {exc}") from None


def landing_page(api) -> bytes:
    """What `http://localhost:<port>/` shows without a canister: links to the canisters."""
    with api.lock:
        ids = [to_text(bytes(p.bytes)) for p in api.network.canister_ids()]
    rows = "".join(f'<li><a href="/?canisterId={i}">{i}</a></li>' for i in ids)
    return (
        "<!doctype html><meta charset=utf-8><title>localnet</title>"
        "<h1>localnet</h1><p>Open a canister's web page at "
        "<code>http://&lt;canister-id&gt;.localhost:PORT/</code> or "
        "<code>http://localhost:PORT/?canisterId=&lt;canister-id&gt;</code>; call them "
        'from the <a href="/_/candid/">Candid UI</a>.</p>'
        f"<ul>{rows}</ul>"
    ).encode()


def make_dispatch(api, verbose: bool = False):
    """`dispatch(method, path, body, headers)` for `server.Server`: `/api/...` goes to the
    IC HTTP interface, everything else to the gateway."""
    from . import candid_ui
    from .server import route

    gateway = Gateway(api)

    def dispatch(method, path, body, headers):
        if path.startswith("/api/"):
            return route(api, method, path, body)
        try:
            if (
                path == candid_ui.PREFIX
                or path.startswith(candid_ui.PREFIX + "/")
                or path.startswith(candid_ui.PREFIX + "?")
            ):
                return candid_ui.handle(api, method, path)
            cid = resolve_canister(path, headers) if headers is not None else None
            if cid is None:
                if urllib.parse.urlsplit(path).path == "/" and method in ("GET", "HEAD"):
                    return 200, "text/html; charset=utf-8", landing_page(api)
                raise GatewayError(
                    400,
                    "Could not find a canister id to forward to: use "
                    "http://<canister-id>.localhost:PORT/ or "
                    "?canisterId=<canister-id>",
                )
            return gateway.handle(cid, method, path, headers, body)
        except HttpError as err:
            return err.status, "text/plain; charset=utf-8", err.message.encode()
        except Exception as exc:  # a gateway bug answers 500, never drops the connection
            return 500, "text/plain; charset=utf-8", f"Gateway error: {exc!r}".encode()

    return dispatch
