"""The world the browser tests run in: a localnet with the ICRC ledger, the factory, a merchant
canister the factory deployed (so hosted pages route through `resolve_hosted_page_route`),
the two asset canisters holding the built front ends, ckpay.js registered in the factory's
component registry, and a sample merchant web site on another origin (its own HTTP server:
the shop page with a pasted embed snippet, the server endpoint that creates checkout
sessions with the merchant's server identity, and the success page)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ic.identity import Identity
from kybra import Principal

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(ROOT, "web")
sys.path.insert(0, os.path.join(ROOT, "tests", "factory"))
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))

from factory_client import (  # noqa: E402
    FACTORY_DID,
    FACTORY_ENTRY,
    MERCHANT_DID,
    MERCHANT_ENTRY,
    build_module,
    default_settings,
    deploy_config,
    merchant_config,
)
from ledger_client import LEDGER_DID, LEDGER_ENTRY, SYMBOL, XRC_DID, XRC_ENTRY, ledger_init_arg  # noqa: E402
from xrc_fixture import CRYPTO, FIAT, asset  # noqa: E402

from localnet.http.assets_upload import ASSET_CANISTER_ENTRY, upload_directory  # noqa: E402
from localnet.http.testing import LocalnetServer, icpy_agent  # noqa: E402

sys.path.insert(0, os.path.join(WEB, "scripts"))
import register_ckpay  # noqa: E402
from ic_results import ok  # noqa: E402,F401  (re-exported to the tests)

from ckpayment.modal_templates import seed_default_templates  # noqa: E402

CKPAY_VERSION = register_ckpay.ckpay_version()
PRICE = 25_000_000  # 0.25 LTT
LTT_USD = 10.0  # the local XRC prices LTT as ICP at $10: 0.25 LTT = $2.50
FUNDS = 10 * 10**8
SEEDS = {"owner": "01" * 32, "api": "02" * 32, "alice": "03" * 32, "bob": "04" * 32, "admin": "05" * 32}


def ed25519_pem(seed_hex: str) -> str:
    """What `dfx identity export` writes for an Ed25519 identity (PKCS#8)."""
    import base64

    der = bytes.fromhex("302e020100300506032b657004220420" + seed_hex)
    return "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n"


def build_front_ends() -> None:
    """`npm install` (cached node_modules) and `npm run build` in web/, as `localnet deploy`
    runs them."""
    for cmd in (["npm", "install", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
        proc = subprocess.run(cmd, cwd=WEB, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


@dataclass
class Shop:
    server: LocalnetServer
    ledger_id: str
    factory_id: str
    merchant_id: str
    checkout_id: str
    builder_id: str
    dashboard_id: str = ""
    site_url: str = ""
    identities: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)  # path -> html of the merchant site
    _httpd: object = None

    def actor(self, canister_id: str, who: str, did: str):
        from ic.canister import Canister

        with open(did, encoding="utf-8") as f:
            candid = f.read()
        agent = icpy_agent(self.server.url, self.identities[who], self.server.root_key)
        return Canister(agent=agent, canister_id=canister_id, candid=candid)

    def merchant(self, who: str):
        return self.actor(self.merchant_id, who, MERCHANT_DID)

    def factory(self, who: str):
        return self.actor(self.factory_id, who, FACTORY_DID)

    def factory_client(self, who: str):
        """The SDK's FactoryClient (what operators' tools use) as `who`."""
        from ckpayment import FactoryClient, IcAgent

        return FactoryClient(IcAgent(self.server.url, self.identities[who]), self.factory_id)

    def ledger(self, who: str):
        return self.actor(self.ledger_id, who, LEDGER_DID)

    def principal(self, who: str) -> str:
        return self.identities[who].sender().to_str()

    def asset_url(self, canister_id: str, path: str = "/") -> str:
        return f"http://{canister_id}.localhost:{self.server.port}{path}"

    def create_session(self, amount: int = PRICE, modal_id: str | None = None, line_items: list | None = None) -> dict:
        """What the merchant's server does: create a session with its server identity."""
        args = {
            "modal_config_id": [] if not modal_id else [modal_id],
            "amount": amount,
            "currency_token": SYMBOL,
            "metadata": [{"key": "order", "value": "web-test"}],
            "customer_email": [],
            "client_reference_id": [],
            "success_url": [f"{self.site_url}/thanks?session={{CHECKOUT_SESSION_ID}}"],
            "cancel_url": [f"{self.site_url}/cart"],
            "expires_in_seconds": [],
            "idempotency_key": [],
            "custom_domain": [],
            "line_items": [] if line_items is None else [line_items],
        }
        return ok(self.merchant("api").create_checkout_session_with_options(args))

    def modal_config(self, name: str, button_text: str, color: str) -> dict:
        """A ModalConfig for `create_modal_config`: LTT only, the shop's name and pages."""
        return {
            "modal_id": "",
            "name": name,
            "description": [],
            "theme": {
                "primary_color": color,
                "background_color": "#ffffff",
                "text_color": "#0f172a",
                "font_family": "Inter, sans-serif",
                "border_radius": 14,
                "dark_mode": False,
            },
            "payment_options": {
                "accepted_tokens": ["LTT"],
                "allow_token_selection": False,
                "show_fiat_equivalent": True,
                "collect_email": False,
            },
            "branding": {
                "company_name": "Satoshi's Coffee",
                "logo_url": [],
                "accent_color": color,
                "button_text": button_text,
                "support_url": [],
            },
            "redirect_urls": {"success_url": f"{self.site_url}/thanks", "cancel_url": f"{self.site_url}/cart"},
            "template_id": [],
            "created_at": 0,
            "updated_at": 0,
            "is_active": True,
        }

    def session(self, session_id: str) -> dict:
        return ok(self.merchant("owner").get_checkout_session(session_id))

    def balance(self, owner: str, sub: bytes | None = None) -> int:
        account = {"owner": owner, "subaccount": [] if sub is None else [list(sub)]}
        res = self.ledger("owner").icrc1_balance_of(account)
        return res[0] if isinstance(res, list) else res

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        self.server.stop()


def _deploy(server, entry, arg="()", controllers=None, cycles=None) -> str:
    ctrls = None if controllers is None else [Principal.from_str(c) for c in controllers]
    with server.lock:
        return server.network.deploy(entry, arg, ctrls, cycles, project_root=ROOT).to_str()


def _upload(server, canister_id: str, sender: str, directory: str) -> None:
    cid = Principal.from_str(canister_id)
    who = Principal.from_str(sender)

    def call(method, arg, query):
        with server.lock:
            send = server.network.query_call if query else server.network.update_call
            return send(who, cid, method, arg)

    upload_directory(call, directory)


def start_shop() -> Shop:
    server = LocalnetServer()
    ids = {name: Identity(privkey=seed, type="ed25519") for name, seed in SEEDS.items()}
    text = {name: ident.sender().to_str() for name, ident in ids.items()}
    ledger_id = _deploy(
        server, LEDGER_ENTRY, ledger_init_arg([(text["alice"], FUNDS), (text["bob"], FUNDS), (text["owner"], FUNDS)])
    )
    factory_id = _deploy(
        server,
        FACTORY_ENTRY,
        f'(record {{ admins = vec {{ principal "{text["admin"]}" }}; settings = null }})',
        controllers=[text["admin"]],
        cycles=10**18,
    )
    checkout_id = _deploy(server, ASSET_CANISTER_ENTRY, controllers=[text["admin"]])
    builder_id = _deploy(server, ASSET_CANISTER_ENTRY, controllers=[text["admin"]])
    shop = Shop(server, ledger_id, factory_id, "", checkout_id, builder_id, identities=ids)
    _upload(server, checkout_id, text["admin"], os.path.join(WEB, "dist", "checkout"))
    _upload(server, builder_id, text["admin"], os.path.join(WEB, "dist", "builder"))
    shop.dashboard_id = _deploy(server, ASSET_CANISTER_ENTRY, controllers=[text["admin"]])
    _upload(server, shop.dashboard_id, text["admin"], os.path.join(WEB, "dist", "dashboard"))

    admin = shop.factory("admin")
    module = build_module(server, MERCHANT_ENTRY)
    import hashlib

    ok(admin.begin_wasm_upload("v1", len(module), hashlib.sha256(module).digest(), "web tests"))
    chunk = 1024 * 1024
    for i in range(0, len(module), chunk):
        ok(admin.upload_wasm_chunk("v1", i // chunk, module[i : i + chunk]))
    ok(admin.commit_wasm_upload("v1"))
    ok(admin.grant_deployment_credits(text["owner"], 1))  # deployments are paid for
    rec = ok(
        shop.factory("owner").deploy_user_payment_canister(
            deploy_config(merchant_config(name="Satoshi's Coffee", tokens=[(SYMBOL, ledger_id)]))
        )
    )
    owner_of = rec["canister_id"][0]
    shop.merchant_id = owner_of if isinstance(owner_of, str) else owner_of.to_str()
    url = register_ckpay.script_url(checkout_id, CKPAY_VERSION, server.port)
    for component in register_ckpay.components(url, CKPAY_VERSION):
        ok(admin.deploy_component_version(component))
    seed_default_templates(shop.factory_client("admin"))  # as run.sh seeds a new factory
    _feed_rates(shop, admin, text["admin"])
    merchant = shop.merchant("owner")
    ok(merchant.refresh_token(SYMBOL))
    # new sessions' `url` is the hosted page on the local checkout canister
    ok(merchant.set_hosted_page_base_url(f"http://{checkout_id}.localhost:{server.port}"))
    ok(merchant.authorize_server_principal(text["api"], "shop backend"))
    _start_site(shop)
    return shop


def _feed_rates(shop: Shop, admin, admin_text: str) -> None:
    """The factory's USD rates (shown as the fiat amount): the local exchange rate canister
    prices ICP, the factory tracks LTT as ICP and refreshes now."""
    xrc_id = _deploy(shop.server, XRC_ENTRY, f'(opt vec {{ principal "{admin_text}" }})')
    ok(admin.update_factory_settings(default_settings(xrc_canister=[xrc_id])))
    ok(admin.add_market_token(SYMBOL, shop.ledger_id, "ICP"))
    with shop.server.lock:
        now_s = shop.server.network.time_ns // 10**9
    ok(
        shop.actor(xrc_id, "admin", XRC_DID).set_rates(
            [
                {
                    "base_asset": asset("ICP", CRYPTO),
                    "quote_asset": asset("USD", FIAT),
                    "rate": int(LTT_USD * 10**9),
                    "timestamp": now_s - now_s % 60,
                }
            ]
        )
    )
    ok(admin.update_global_token_rates())


def _start_site(shop: Shop) -> None:
    """The merchant's own web site (another origin than the IC): static pages, the session
    endpoint (server side: it holds the `api` identity) and the success page."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status, ctype, body: bytes):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path in shop.pages:
                return self._send(200, "text/html; charset=utf-8", shop.pages[path].encode())
            if path == "/thanks":
                return self._send(
                    200,
                    "text/html; charset=utf-8",
                    b"<!doctype html><title>Thank you</title><h1 id=thanks>Thank you for your order!</h1>",
                )
            self._send(404, "text/plain", b"not found")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/create-session":
                try:
                    data = json.loads(body or b"{}")
                    amount = int(data.get("amount") or PRICE)
                    session = shop.create_session(amount, data.get("modal_id"))
                    out = json.dumps({"session_id": session["session_id"]}).encode()
                    return self._send(200, "application/json", out)
                except Exception as exc:  # the page shows the error
                    return self._send(500, "text/plain", str(exc).encode())
            if self.path == "/pages":  # the test publishes a page (the pasted embed code)
                data = json.loads(body)
                shop.pages[data["path"]] = data["html"]
                return self._send(200, "application/json", b"{}")
            self._send(404, "text/plain", b"not found")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    shop._httpd = httpd
    shop.site_url = f"http://127.0.0.1:{httpd.server_address[1]}"


def shop_page(snippet: str, title: str = "Satoshi's Coffee") -> str:
    """A merchant's product page with an embed snippet pasted unchanged; the meta tag tells
    ckpay.js where the shop's server creates sessions."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<meta name="ckpay-session-url" content="/create-session">
<style>body{{font-family:system-ui;max-width:720px;margin:40px auto;color:#1f2937}}
.product{{display:flex;gap:24px;align-items:center;border:1px solid #e5e7eb;border-radius:16px;padding:24px}}
.cup{{font-size:72px}}</style></head><body>
<h1>{title}</h1><div class="product"><div class="cup">☕</div><div><h2>Single-origin beans, 250 g</h2>
<p>0.25 LTT</p>
{snippet}
</div></div></body></html>"""


def chromium_or_skip(pytest) -> str:
    """Debian's Chromium, installed with apt when missing; skip (with the reason) if that
    is impossible here."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if os.path.exists(path):
        return path
    if shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and apt-get is not available")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.skip(f"cannot install chromium ({' '.join(cmd)} failed: {proc.stderr.strip()[-300:]})")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("apt-get installed no /usr/bin/chromium")
    return "/usr/bin/chromium"


def run_flow(flow: str | None, config: dict, timeout: int = 240, script_name: str = "browser_flows.mjs") -> dict:
    """Run one flow of tests/web/js/browser_flows.mjs (or of another script there; `flow`
    None for one without flows), Playwright driving Chromium, and return its JSON result.
    The script is copied next to web/node_modules so Node resolves the project's
    playwright-core and @icp-sdk/core."""
    src = os.path.join(os.path.dirname(__file__), "js", script_name)
    run_dir = os.path.join(WEB, "node_modules", ".ckpay-tests")
    os.makedirs(run_dir, exist_ok=True)
    script = os.path.join(run_dir, script_name)
    shutil.copyfile(src, script)
    argv = [] if flow is None else [flow]
    proc = subprocess.run(
        ["node", script, *argv, json.dumps(config)], cwd=WEB, capture_output=True, text=True, timeout=timeout
    )
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines, (
        f"browser flow {flow} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    return json.loads(lines[-1])
