"""`scripts/run.sh` itself, as a user runs it: it must finish within a bounded time and
report the paid checkout with the webhook verified; bad options exit 2."""
from __future__ import annotations

import os
import subprocess

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


def test_run_sh_rejects_bad_options():
    for argv in (["--nope"], ["--port"], ["--port", "x1"]):
        done = subprocess.run([SCRIPT, *argv], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2 and done.stderr.startswith("Error: "), done.stderr
