"""A real HTTP webhook receiver for the tests (http.server in a thread on 127.0.0.1).

It verifies `ckpay-signature: t=<unix>,v1=<hex>[,v1=<hex>]` against the secrets it is
given (HMAC-SHA256 over "<t>.<raw body>", constant-time compare), records every request,
and can be taken down (socket closed: connections are refused) and brought back on the
same port."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_signature(header: str) -> tuple[int | None, list[str]]:
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    return timestamp, signatures


def signature_valid(header: str, body: bytes, secret: str) -> bool:
    """The check a merchant's server does (docs/webhooks.md)."""
    timestamp, signatures = parse_signature(header)
    if timestamp is None:
        return False
    expected = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)


class WebhookReceiver:
    def __init__(self, status: int = 200):
        self.secrets: list[str] = []
        self.requests: list[dict] = []
        self.status = status
        self.lock = threading.Lock()
        self.port = 0
        self._server = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                header = self.headers.get("ckpay-signature", "")
                with receiver.lock:
                    valid = [s for s in receiver.secrets if signature_valid(header, body, s)]
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "json": json.loads(body),
                            "valid_with": valid,
                        }
                    )
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.allow_reuse_address = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if event_type is None or r["json"]["type"] == event_type]
