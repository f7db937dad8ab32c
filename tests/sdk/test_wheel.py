"""The packaged SDK: `python -m build --wheel` gives a wheel with the `.did` files as package
data; installed with pip into a fresh venv and run from outside the repository, the SDK and
the `ckpay` command work against the test localnet."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

from sdk_env import ROOT, localnet_only

PROBE = """
import json, os, sys
import ckpayment
from ckpayment import IcAgent, LedgerClient, MerchantClient, load_identity
from ckpayment.interface import Interface, candid_dir
url, merchant, ledger, pem = sys.argv[1:5]
agent = IcAgent(url, load_identity(pem))
shop = MerchantClient(agent, merchant)
print(json.dumps({
    "package": ckpayment.__file__, "candid": candid_dir(),
    "methods": len(Interface.load("user_payment_canister").methods),
    "page": sorted(shop.list_sessions(None, 1)),
    "tokens": [t["symbol"] for t in shop.accepted_tokens()],
    "fee": LedgerClient(agent, ledger).fee()}))
"""


@localnet_only
def test_wheel_installs_and_works_outside_the_repository(env, tmp_path):
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), ROOT],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = glob.glob(str(dist / "ckpayment-*.whl"))
    assert len(wheel) == 1
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CKPAY_CANDID_DIR", "VIRTUAL_ENV")}
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", wheel[0]],
        capture_output=True,
        text=True,
        timeout=1200,
        env=environ,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", PROBE, env.url, env.merchant_id, env.ledger_id, env.pems["owner"]],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=outside,
        env=environ,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    seen = json.loads(probe.stdout)
    site = str(venv / "lib")
    assert seen["package"].startswith(site) and seen["candid"].startswith(site)
    assert not os.path.islink(seen["candid"])  # real files in the wheel, not the repo's link
    assert seen["methods"] > 50 and seen["tokens"] and seen["fee"] > 0
    assert seen["page"] == ["next_cursor", "sessions"]
    cli = subprocess.run(
        [
            str(venv / "bin" / "ckpay"),
            "--network",
            env.url,
            "--merchant",
            env.merchant_id,
            "--identity",
            env.pems["owner"],
            "sessions",
            "list",
            "--limit",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=outside,
        env=environ,
    )
    assert cli.returncode == 0, cli.stderr
    assert set(json.loads(cli.stdout)) == {"sessions", "next_cursor"}
