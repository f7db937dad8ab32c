"""What `./scripts/run.sh` prints works in a real browser (Playwright + Debian's Chromium):
the hosted page of the open session it made, and the dashboard and the builder opened with
its dev links, signed in as the demo merchant (the key in the URL fragment). Screenshots
71-73 in web/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from test_browser import SCREENSHOTS  # noqa: E402
from webshop import ROOT, run_flow  # noqa: E402

IDS = os.path.join(ROOT, ".dfx", "local", "canister_ids.json")


@pytest.mark.needs_localnet
def test_run_sh_links_open_the_hosted_page_dashboard_and_builder(chromium):
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node/npm are not on PATH: run.sh skips the front ends")
    if os.path.exists(IDS):
        pytest.skip("the repository has its own canister_ids.json")
    done = subprocess.run(
        [os.path.join(ROOT, "scripts", "run.sh"), "--keep"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    out = done.stdout
    url = re.search(r"Canisters on (\S+)", out).group(1) if "Canisters on " in out else None
    home = re.search(r"LOCALNET_HOME=(\S+)", out)
    try:
        assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
        for name in ("checkout", "builder", "dashboard"):
            assert re.search(rf"^  {name} +\S+-cai +http://\S+\.localhost:\d+/", out, re.M), name
        hosted = re.search(r"pay an open session \(0\.025 LTT\):\s+(\S+)", out).group(1)
        dashboard = re.search(r"^    dashboard +(\S+#dev-identity=\S+)$", out, re.M).group(1)
        builder = re.search(r"^    builder +(\S+#dev-identity=\S+)$", out, re.M).group(1)
        owner = re.search(r"merchant owner (\S+),", out).group(1)
        merchant = re.search(r"merchant canister: (\S+)", out).group(1)
        assert "/pay/cs_" in hosted
        # the key is only in the fragment, never in a part of the URL a server gets
        assert all("dev-identity" not in link.split("#")[0] for link in (dashboard, builder))
        seen = run_flow(
            "runlinks",
            {
                "chromium": chromium,
                "screenshots": SCREENSHOTS,
                "hostedUrl": hosted,
                "dashboardUrl": dashboard,
                "builderUrl": builder,
            },
            timeout=300,
        )
    finally:
        if url and home:
            subprocess.run(
                [os.path.join(ROOT, ".venv", "bin", "localnet"), "stop", "--network", url],
                cwd=ROOT,
                env=dict(os.environ, LOCALNET_HOME=home.group(1)),
                capture_output=True,
                timeout=120,
            )
    assert seen["amount"] == "0.025 LTT" and seen["company"] == "Demo Shop"
    assert seen["fiat"] == "≈ $0.25"  # LTT priced as ICP at the local XRC's $10
    assert seen["volumeUsd"] == "$1.50"  # the demo's 0.05 + 0.1 LTT
    assert seen["dashboardAs"] == owner and seen["merchantName"] == "Demo Shop"
    assert "dev-identity" not in seen["dashboardHref"] and f"merchant={merchant}" in seen["dashboardHref"]
    assert seen["builderAs"] == owner and "dev-identity" not in seen["builderHref"]
    assert seen["templates"] == [
        "No template",
        "Mint (bold)",
        "Minimal (minimal)",
        "Midnight (dark)",
        "Classic (light)",
    ]
    assert seen["pageErrors"] == []
