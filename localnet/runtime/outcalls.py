"""HTTPS outcalls (`http_request` of the management canister), made for real.

localnet performs the request with httpx, but only to loopback hosts (127.0.0.0/8,
localhost, ::1): tests run local webhook receivers and price feeds, and a local network
must never reach the internet on a canister's behalf. The caller pays the IC's fee from the
attached cycles (the rest is refunded); `max_response_bytes` (default 2 MB) is enforced; the
canister's transform query, when given, is applied to the response before it is returned.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

from localnet.runtime import errors as E
from localnet.runtime.execution import CallMessage, Reject

HTTP_MAX_RESPONSE_DEFAULT = 2_000_000
HTTP_TIMEOUT_SECONDS = 30
MAX_URL_LENGTH = 8192


def _fail(message: str, code: int = E.SYS_FATAL, error_code: str = E.CANISTER_REJECTED_MESSAGE):
    from localnet.runtime.management import ManagementError

    raise ManagementError(code, message, error_code)


def is_loopback_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TLS: list = []


def _tls_context():
    """httpx's default verifying TLS context, built once (loading the CA bundle takes
    about 90 ms, which made every outcall that slow)."""
    if not _TLS:
        import httpx

        _TLS.append(httpx.create_ssl_context())
    return _TLS[0]


def http_request(mgmt, msg: CallMessage, args: dict):
    import httpx

    from localnet.candid import binary

    net = mgmt.net
    if msg.kind != "call":
        _fail("Only canisters can call ic00 method http_request", E.CANISTER_REJECT, E.CANISTER_CONTRACT_VIOLATION)
    url = args["url"]
    if len(url) > MAX_URL_LENGTH:
        _fail(f"url is longer than {MAX_URL_LENGTH} characters")
    if not is_loopback_url(url):
        _fail(f"localnet only makes HTTP outcalls to loopback hosts (127.0.0.0/8, localhost, [::1]); refused {url}")
    max_bytes = args.get("max_response_bytes")
    max_bytes = HTTP_MAX_RESPONSE_DEFAULT if max_bytes is None else max_bytes
    if max_bytes > HTTP_MAX_RESPONSE_DEFAULT:
        _fail(f"max_response_bytes cannot exceed {HTTP_MAX_RESPONSE_DEFAULT}", E.CANISTER_REJECT)
    body = args.get("body") or b""
    headers = [(h["name"], h["value"]) for h in args["headers"]]
    transform = args.get("transform")
    request_bytes = (
        len(url.encode())
        + len(body)
        + sum(len(k.encode()) + len(v.encode()) for k, v in headers)
        + (len(transform["function"][1].encode()) + len(transform["context"]) if transform else 0)
    )
    fee = net.policy.http_request_fee(request_bytes, max_bytes)
    if msg.cycles < fee:
        _fail(f"http_request request sent with {msg.cycles} cycles, but {fee} cycles are required.", E.CANISTER_REJECT)
    msg.cycles -= fee  # the fee is burned; the rest is refunded
    ((method, _),) = args["method"].items()
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False, verify=_tls_context()) as client:
            with client.stream(
                method.upper(), url, headers=headers, content=body if method == "post" else None
            ) as resp:
                data = bytearray()
                for chunk in resp.iter_raw():
                    data += chunk
                    if len(data) > max_bytes:
                        _fail(f"Http body exceeds size limit of {max_bytes} bytes.")
                status = resp.status_code
                resp_headers = [{"name": k, "value": v} for k, v in resp.headers.items()]
    except httpx.HTTPError as e:
        _fail(f"Connecting to {urllib.parse.urlsplit(url).hostname} failed: {e}", E.SYS_TRANSIENT)
    response = {"status": status, "headers": resp_headers, "body": bytes(data)}
    if transform is not None:
        principal, method_name = transform["function"]
        if principal.bytes != msg.caller:
            _fail("the transform function must be a query of the calling canister", E.CANISTER_REJECT)
        from localnet.runtime.management import ic_did

        rtype = ic_did().env.types["http_request_result"]
        from localnet.candid import types as T

        arg_type = T.Record((T.Field.named("response", T.Var("http_request_result")), T.Field.named("context", T.BLOB)))
        arg = binary.encode([arg_type], [{"response": response, "context": transform["context"]}], ic_did().env)
        sub = CallMessage(b"", msg.caller, method_name, arg, 0, kind="call")
        result = net._query_sync(sub, frozenset())
        if isinstance(result, Reject):
            _fail(f"Transform function failed: {result.message}", E.CANISTER_REJECT)
        try:
            response = binary.decode(result.data, [rtype], ic_did().env)[0]
        except Exception as e:
            _fail(f"Transform function returned an invalid response: {e}", E.CANISTER_REJECT)
    size = len(response["body"]) + sum(len(h["name"]) + len(h["value"]) for h in response["headers"])
    if size > max_bytes:
        _fail(f"Http body exceeds size limit of {max_bytes} bytes.")
    return response
