"""`scripts/run.sh` itself, as a user runs it: it must finish within a bounded time and
report the paid checkout with the webhook verified; bad options exit 2."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from sdk_env import ROOT, localnet_only

SCRIPT = os.path.join(ROOT, "scripts", "run.sh")
IDS = os.path.join(ROOT, ".dfx", "local", "canister_ids.json")


@localnet_only
def test_run_sh_reports_the_paid_checkout():
    before = open(IDS).read() if os.path.exists(IDS) else None
    done = subprocess.run([SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    paid = [line for line in out.splitlines() if line.startswith("PAID: ")]
    assert len(paid) == 1, out[-3000:]
    assert "complete (ICRC-2)" in paid[0] and "complete (ICRC-1)" in paid[0]
    assert "delivered and verified for both" in paid[0]
    assert "uploading v1" in done.stderr  # the chunked upload's progress bar
    for name in ("icrc_ledger", "exchange_rate", "payment_backend", "merchant"):
        assert f"  {name} " in out
    assert "Stopping localnet" in out
    # a dfx project's own ids are put back afterwards
    assert open(IDS).read() == before if before is not None else not os.path.exists(IDS)


@localnet_only
def test_run_sh_never_loses_the_projects_canister_ids(tmp_path):
    """A bad --port fails before touching them; a --keep run keeps them aside and, after
    a kill -9 of its localnet, the next `localnet status` puts them back."""
    import json
    import signal
    import sys

    if os.path.exists(IDS):
        pytest.skip("the repository has its own canister_ids.json")
    os.makedirs(os.path.dirname(IDS), exist_ok=True)
    mine = '{"mine": {"local": "aaaaa-aa"}}'
    with open(IDS, "w") as f:
        f.write(mine)
    try:
        done = subprocess.run(
            [SCRIPT, "--keep", "--port", "99999"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2 and "99999 is not a port" in done.stderr
        assert open(IDS).read() == mine
        done = subprocess.run([SCRIPT, "--keep"], cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "merchant" in json.load(open(IDS))  # the demo's ids while it runs
        assert open(IDS + ".saved").read() == mine and IDS + ".saved" in done.stdout
        pid = int(done.stdout.split("localnet keeps running (pid ")[1].split(")")[0])
        url = done.stdout.split("Canisters on ")[1].split()[0]
        os.kill(pid, signal.SIGKILL)
        localnet = os.path.join(os.path.dirname(sys.executable), "localnet")
        deadline = time.monotonic() + 30
        from localnet.http.id_backup import alive

        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        status = subprocess.run(
            [localnet, "status", "--network", url], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert status.returncode == 1 and "restored the project's canister ids" in status.stderr
        assert open(IDS).read() == mine and not os.path.exists(IDS + ".saved")
    finally:
        os.remove(IDS)
        for extra in (IDS + ".saved", os.path.join(os.path.dirname(IDS), "canister_ids.owner.json")):
            if os.path.exists(extra):
                os.remove(extra)


def test_run_sh_rejects_bad_options():
    for argv in (["--nope"], ["--port"], ["--port", "x1"], ["--port", "99999"]):
        done = subprocess.run([SCRIPT, *argv], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stderr.startswith("Error: "), done.stderr


def test_test_sh_keeps_pytests_summary_line_with_q():
    """`./scripts/test.sh tests/sdk/... -q`: a second -q would hide the summary line."""
    done = subprocess.run(
        [os.path.join(ROOT, "scripts", "test.sh"), "tests/sdk/test_webhook_signature.py", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].split()[1] == "passed", done.stdout[-500:]
