"""A minimal webhook endpoint on 127.0.0.1 for the demo and tests: every POST is checked
with `verify_webhook` against the secrets it knows, recorded, and answered 200 (401 when
the signature is bad, so the canister's delivery log shows the failure)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .errors import WebhookSignatureError
from .webhooks import HEADER, verify_webhook

MAX_BODY = 1 << 20


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/ckpay/webhooks"):
        self.secrets: list[str] = []
        self.deliveries: list[dict] = []  # {"event", "headers", "verified", "error"}
        self.path = path
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY))
                entry = {"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}}
                try:
                    entry["event"] = verify_webhook(body, self.headers.get(HEADER, ""), list(receiver.secrets))
                    entry["verified"], entry["error"] = True, None
                except WebhookSignatureError as exc:
                    entry["event"], entry["verified"], entry["error"] = None, False, str(exc)
                with receiver._cond:
                    receiver.deliveries.append(entry)
                    receiver._cond.notify_all()
                status = 200 if entry["verified"] else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}{path}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, event_type: str, timeout: float = 60.0) -> dict | None:
        """The first verified delivery of `event_type`, waiting up to `timeout` seconds."""

        def find():
            return next((d for d in self.deliveries if d["verified"] and d["event"].get("type") == event_type), None)

        with self._cond:
            self._cond.wait_for(find, timeout)
            return find()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
