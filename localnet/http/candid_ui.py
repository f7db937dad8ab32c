"""localnet's Candid UI, at `http://127.0.0.1:<port>/_/candid/` (`?id=<canister>` opens one):
the page and its app (web/src/candid-ui, committed built as localnet/candid_ui/candid_ui.js),
plus what the app reads from this network: the canisters (`canisters.json`, named from the
project's canister_ids.json), each one's interface as an IDL factory for the JS agent
(`idl.js?id=`, from the canister's candid:service metadata or its
`__get_candid_interface_tmp_hack`, with web/scripts/gen_idl.py) and its cycle balance
(`cycles?id=`, so the app shows what a call cost). Calls themselves go from the browser
through the IC HTTP interface, signed by the identity chosen in the page."""

from __future__ import annotations

import json
import os
import sys
import urllib.parse

from .errors import HttpError
from .principal import from_text, to_text

PREFIX = "/_/candid"
HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(os.path.dirname(HERE), "candid_ui", "candid_ui.js")
REPO = os.path.dirname(os.path.dirname(HERE))
ANONYMOUS = b"\x04"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Candid UI · localnet</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }
 header { background: #111827; color: #f9fafb; padding: 12px 20px; display: flex; gap: 16px;
          align-items: center; flex-wrap: wrap; }
 header h1 { font-size: 17px; margin: 0; }
 main { padding: 16px 20px; max-width: 1000px; }
 .method { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px;
           margin: 10px 0; }
 .method h3 { font: 13px ui-monospace, monospace; margin: 0 0 8px; word-break: break-all; }
 .result { background: #f3f4f6; padding: 6px 8px; white-space: pre-wrap; word-break: break-all;
           min-height: 1em; }
 .result.err { background: #fee2e2; } .result.ok { background: #ecfdf5; }
 .cost { color: #6b7280; font-size: 12px; } #identity { font-size: 12px; }
 textarea { width: 100%; height: 60px; font: 11px ui-monospace, monospace; }
 input.reject { border-color: #dc2626; }
</style></head>
<body>
<header><h1>Candid UI · localnet</h1>
 <label>Canister <select id="canister"><option value="">choose…</option></select></label>
 <span id="identity">caller: <b id="principal"></b> (<span id="identity-kind"></span>)
  <button id="use-anonymous">anonymous</button> <button id="use-new">new key</button></span>
</header>
<main>
 <details><summary>Call as a dfx identity (paste its identity.pem; it stays in this page)</summary>
  <textarea id="pem" placeholder="-----BEGIN PRIVATE KEY-----"></textarea>
  <button id="use-pem">use this PEM</button> <span id="pem-error"></span></details>
 <h2 id="canister-title"></h2>
 <div id="methods"></div>
</main>
<script type="module" src="/_/candid/candid_ui.js"></script>
</body></html>
"""


def _canister_id(query: dict) -> bytes:
    text = (query.get("id") or [""])[0]
    try:
        return from_text(text)
    except HttpError:
        raise HttpError(400, f"invalid canister id {text!r}") from None


def _names() -> dict:
    """canister id -> name, from the project the localnet runs in (if any)."""
    from .project import ProjectError, find_root, load_ids

    try:
        return {cid: name for name, cid in load_ids(find_root()).items()}
    except ProjectError:
        return {}


def _candid(api, cid: bytes) -> str:
    from localnet.candid.binary import decode
    from localnet.candid.types import TEXT
    from localnet.runtime.errors import CallRejected, LocalnetError

    with api.lock:
        try:
            info = api.network.canister(cid)
        except LocalnetError:
            raise HttpError(404, f"canister {to_text(cid)} does not exist") from None
        if info.get("candid"):
            return info["candid"]
        try:
            reply = api.network.query_call(ANONYMOUS, cid, "__get_candid_interface_tmp_hack")
        except (CallRejected, LocalnetError):
            raise HttpError(404, f"canister {to_text(cid)} publishes no Candid interface") from None
    return decode(reply, [TEXT])[0]


def _idl_js(name: str, did_text: str) -> str:
    sys.path.insert(0, os.path.join(REPO, "web", "scripts"))
    try:
        from gen_idl import generate
    except ImportError:
        raise HttpError(
            500, "web/scripts/gen_idl.py is needed for the Candid UI (run localnet from the repository)"
        ) from None
    finally:
        sys.path.pop(0)
    return generate(name, did_text)[0]


def handle(api, method: str, path: str):
    """(status, content type, body) for a /_/candid request."""
    if method not in ("GET", "HEAD"):
        raise HttpError(405, "the Candid UI only answers GET")
    parts = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(parts.query)
    route = parts.path[len(PREFIX) :].strip("/")
    if route == "":
        return 200, "text/html; charset=utf-8", PAGE.encode()
    if route == "candid_ui.js":
        with open(APP, "rb") as f:
            return 200, "text/javascript; charset=utf-8", f.read()
    if route == "canisters.json":
        names = _names()
        with api.lock:
            ids = [to_text(bytes(p.bytes)) for p in api.network.canister_ids()]
        listed = [{"id": i, "name": names.get(i)} for i in ids]
        return 200, "application/json", json.dumps(listed).encode()
    if route == "idl.js":
        cid = _canister_id(query)
        name = _names().get(to_text(cid), to_text(cid))
        return 200, "text/javascript; charset=utf-8", _idl_js(name, _candid(api, cid)).encode()
    if route == "cycles":
        from localnet.runtime.errors import LocalnetError

        cid = _canister_id(query)
        with api.lock:
            try:
                balance = api.network.canister(cid)["cycles"]
            except LocalnetError:
                raise HttpError(404, f"canister {to_text(cid)} does not exist") from None
        return 200, "application/json", json.dumps({"cycles": str(balance)}).encode()
    raise HttpError(404, f"no such Candid UI resource: {parts.path}")
