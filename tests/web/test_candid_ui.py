"""localnet's Candid UI (/_/candid/, localnet/http/candid_ui.py + web/src/candid-ui) in a real
browser (Playwright + Debian's Chromium): the canister picker lists the network's canisters
by name, each method gets a form generated from the canister's interface by the JS agent's
Candid UI widgets, calls go through the IC HTTP interface as anonymous or as a pasted dfx
PEM identity, and the page shows the decoded result (or the reject) and the cycles the call
cost. Also: the committed app bundle is what `npm run candid-ui` builds from the source."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ledger"))

from webshop import ROOT, WEB, chromium_or_skip, run_flow  # noqa: E402

SCREENSHOTS = os.path.join(WEB, "screenshots")
COUNTER = os.path.join(os.path.dirname(HERE), "network", "canisters", "counter", "main.py")


@pytest.fixture(scope="module")
def net():
    from ledger_client import LEDGER_ENTRY, ledger_init_arg

    from ckpayment.identity import identity_from_pem, new_identity_pem
    from localnet.http.testing import LocalnetServer

    pem = new_identity_pem("ed25519").decode()
    me = identity_from_pem(pem).sender().to_str()
    with LocalnetServer() as server:
        with server.lock:
            ledger = server.network.deploy(
                LEDGER_ENTRY, ledger_init_arg([(me, 123_456_789)]), project_root=ROOT
            ).to_str()
            counter = server.network.deploy(COUNTER, project_root=ROOT).to_str()
        yield {"server": server, "pem": pem, "me": me, "ledger": ledger, "counter": counter}


def test_candid_ui_resources(net):
    url = net["server"].url
    page = urllib.request.urlopen(f"{url}/_/candid/").read().decode()
    assert "Candid UI" in page and "/_/candid/candid_ui.js" in page
    listed = json.loads(urllib.request.urlopen(f"{url}/_/candid/canisters.json").read())
    assert {net["ledger"], net["counter"]} <= {c["id"] for c in listed}
    idl = urllib.request.urlopen(f"{url}/_/candid/idl.js?id={net['counter']}").read().decode()
    assert "export const idlFactory" in idl and "'whoami'" in idl
    cycles = json.loads(urllib.request.urlopen(f"{url}/_/candid/cycles?id={net['counter']}").read())
    assert int(cycles["cycles"]) > 0
    for bad, status in (("idl.js?id=nope", 400), ("idl.js?id=aaaaa-aa", 404), ("x", 404)):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{url}/_/candid/{bad}")
        assert err.value.code == status


def test_candid_ui_in_chromium(net):
    if shutil.which("node") is None or not os.path.isdir(os.path.join(WEB, "node_modules")):
        pytest.skip("node or web/node_modules missing (npm install in web/)")
    chromium = chromium_or_skip(pytest)
    out = run_flow(
        None,
        {
            "chromium": chromium,
            "screenshots": SCREENSHOTS,
            "url": net["server"].url,
            "counterId": net["counter"],
            "ledgerId": net["ledger"],
            "pem": net["pem"],
            "holder": net["me"],
        },
        script_name="candid_ui_flow.mjs",
    )
    assert "error" not in out, out.get("error")
    assert out["pageErrors"] == []
    assert any(net["counter"] in o for o in out["options"])
    assert {"inc", "add", "get", "whoami", "fail"} <= set(out["methods"])
    assert out["url"].endswith(f"?id={net['counter']}")
    assert out["anonymous"] == {"text": '("2vxsx-fae")', "ok": True, "cycles": "0"}
    assert out["add"]["ok"] and out["add"]["text"] == "(41)"
    assert int(out["add"]["cycles"]) > 0  # an update costs the canister cycles
    assert not out["bad"]["ok"]  # -3 is no nat: the form refuses it
    assert out["principal"] == net["me"]
    assert out["whoami"]["text"] == f'("{net["me"]}")'
    assert out["get"]["text"] == "(41)"
    assert not out["fail"]["ok"] and "counter failure requested" in out["fail"]["text"]
    assert out["balance"]["ok"] and out["balance"]["text"] == "(123456789)"


def test_committed_bundle_is_built_from_the_source(tmp_path):
    if shutil.which("npx") is None or not os.path.isdir(os.path.join(WEB, "node_modules")):
        pytest.skip("node or web/node_modules missing (npm install in web/)")
    done = subprocess.run(
        ["npx", "vite", "build", "--config", "vite.candid-ui.config.ts"],
        cwd=WEB,
        env=dict(os.environ, CANDID_UI_OUT=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    fresh = (tmp_path / "candid_ui.js").read_bytes()
    committed = open(os.path.join(ROOT, "localnet", "candid_ui", "candid_ui.js"), "rb").read()
    assert fresh == committed, "run `npm --prefix web run candid-ui` and commit the bundle"
