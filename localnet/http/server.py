"""HTTP transport for the IC interface: routes `/api/...` URLs to an `IcApi`.

`route()` is shared with the PocketIC server (which mounts it under `/instances/<n>/`);
`serve()` runs a ThreadingHTTPServer on 127.0.0.1 for `localnet start` and the tests.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .errors import HttpError
from .ic_api import TEXT, IcApi

MAX_BODY = 4 * 1024 * 1024
_ROUTES = [
    (re.compile(r"^/api/v2/canister/([^/]+)/call$"), "call_async"),
    (re.compile(r"^/api/v[34]/canister/([^/]+)/call$"), "call_sync"),
    (re.compile(r"^/api/v[23]/canister/([^/]+)/query$"), "query"),
    (re.compile(r"^/api/v[23]/canister/([^/]+)/read_state$"), "read_state_canister"),
    (re.compile(r"^/api/v[23]/subnet/([^/]+)/read_state$"), "read_state_subnet"),
]


def route(api: IcApi, method: str, path: str, body: bytes):
    """Answer one request: returns `(status, content_type, body)`; never raises."""
    path = path.split("?", 1)[0]
    try:
        if path == "/api/v2/status":
            if method != "GET":
                raise HttpError(405, "Method not allowed: use GET for /api/v2/status")
            return api.status()
        for pattern, name in _ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            if method != "POST":
                raise HttpError(405, f"Method not allowed: use POST for {path}")
            ident = match.group(1)
            if name == "call_async":
                return api.call(ident, body, sync=False)
            if name == "call_sync":
                return api.call(ident, body, sync=True)
            return getattr(api, name)(ident, body)
        raise HttpError(404, f"Not found: {path}")
    except HttpError as err:
        return err.status, TEXT, err.message.encode()
    except Exception as exc:  # a bug must answer 500, not drop the connection
        return 500, TEXT, f"Internal error: {exc!r}".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localnet"
    disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms ACK stalls

    def log_message(self, fmt, *args):  # keep test output quiet
        if self.server.verbose:
            super().log_message(fmt, *args)

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, TEXT, b"Request body too large")
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, status, ctype, body, head=False):
        """`ctype` is a content type, or a list of (name, value) headers (the gateway)."""
        self.send_response(status)
        headers = [("Content-Type", ctype)] if isinstance(ctype, str) else list(ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if not any(name.lower() == "access-control-allow-origin" for name, _ in headers):
            self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self):
        self._send(*self.server.dispatch("GET", self.path, b"", self.headers))

    def do_HEAD(self):
        status, ctype, body = self.server.dispatch("HEAD", self.path, b"", self.headers)
        self._send(status, ctype, body, head=True)

    def do_POST(self):
        body = self._body()
        if body is not None:
            self._send(*self.server.dispatch("POST", self.path, body, self.headers))

    def do_DELETE(self):
        self._body()
        self._send(*self.server.dispatch("DELETE", self.path, b"", self.headers))

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address, dispatch, verbose=False):
        """`dispatch(method, path, body, headers) -> (status, content_type, body)`."""
        self.dispatch = dispatch
        self.verbose = verbose
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]


def serve(api: IcApi, host="127.0.0.1", port=0, verbose=False) -> tuple[Server, threading.Thread]:
    """Start serving `api` (and the HTTP gateway to canisters' web pages) in a background
    thread; returns the server and its thread."""
    from .gateway import make_dispatch

    server = Server((host, port), make_dispatch(api), verbose=verbose)
    thread = threading.Thread(target=server.serve_forever, name="localnet-http", daemon=True)
    thread.start()
    return server, thread


def write_port_file(path: str, port: int) -> None:
    """Write the port followed by a newline, atomically (readers poll for the newline)."""
    import os

    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)
