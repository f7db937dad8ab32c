"""Every shell and Python block of the README runs, in order, as a reader runs them: the
set-up block first (run.sh as written; test.sh with pytest only collecting, as running the
whole suite inside one test is the suite itself), then the others against a fresh localnet
that `./scripts/run.sh --keep` leaves running, with the variables it tells the reader to
export. A block that fails fails the test with its output, so the README cannot drift."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from sdk_env import ROOT, localnet_only

README = os.path.join(ROOT, "README.md")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
IDS = os.path.join(ROOT, ".dfx", "local", "canister_ids.json")
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    with open(README, encoding="utf-8") as f:
        return BLOCK.findall(f.read())


def _run(kind: str, code: str, environ: dict, timeout: int = 1500):
    argv = ["bash", "-euo", "pipefail", "-c", code] if kind == "bash" else [VENV_PY, "-c", code]
    done = subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"README {kind} block failed (exit {done.returncode}):\n"
        f"{code}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n"
        f"{done.stderr[-4000:]}"
    )
    return done


def next_commands(out: str) -> list[str]:
    """The commands run.sh prints under "Next, ..." (continuation lines joined)."""
    block = out.split("Next, with localnet still running", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in block.splitlines()[1:]]
    joined, commands = "", []
    for line in lines:
        joined += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            commands.append(joined)
            joined = ""
    return commands


def run_next_commands(out: str, environ: dict) -> None:
    """Each "Next" command works (`listen` runs until stopped: it must be ready and
    still running after a few seconds); the final `localnet stop` is left to the caller."""
    commands = next_commands(out)
    assert commands[0].startswith("export ") and commands[-1].endswith("localnet stop")
    for command in commands[1:-1]:
        if " listen " in command:
            proc = subprocess.Popen(
                ["bash", "-c", "exec " + command],
                cwd=ROOT,
                env=environ,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert proc.stdout.readline().startswith("Ready! "), proc.stderr.read()
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            continue
        _run("bash", command, environ, timeout=300)


@localnet_only
def test_every_readme_block_runs_against_a_fresh_localnet():
    if os.path.exists(IDS):
        pytest.skip("the repository has its own canister_ids.json")
    found = blocks()
    assert len(found) >= 5 and "./scripts/run.sh" in found[0][1]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CKPAY_", "LOCALNET_", "PYTEST_"))}
    setup = dict(base, PYTEST_ADDOPTS="--collect-only")
    out = _run(*found[0], setup).stdout
    assert "PAID: " in out and "tests collected" in out
    kept = _run("bash", "./scripts/run.sh --keep", base).stdout
    exports = re.search(r"export (LOCALNET_URL=\S+) (LOCALNET_HOME=\S+)", kept)
    environ = dict(base, **dict(pair.split("=", 1) for pair in exports.groups()))
    made = os.path.join(ROOT, "user_payment_canister.wasm.gz")
    try:
        run_next_commands(kept, environ)
        outputs = [_run(kind, code, environ).stdout for kind, code in found[1:]]
        joined = "\n".join(outputs)
        assert "icrc2" in joined  # the SDK example's payment
        assert "invalid_argument" in joined  # its refund of more than was paid
        assert "<-- [" in joined  # `ckpay listen` forwarded the triggered event
        assert "ckpay.js URL: " in joined  # register_ckpay.py after the front ends' deploy
        # registrations that fail (not a factory admin) fail the script, under plain python3
        refused = subprocess.run(
            ["python3", "web/scripts/register_ckpay.py", "--identity", "customer"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert refused.returncode == 1 and "registrations failed" in refused.stderr, refused
        assert "unauthorized" in refused.stdout
    finally:
        subprocess.run(
            [os.path.join(ROOT, ".venv", "bin", "localnet"), "stop"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            timeout=120,
        )
        if os.path.exists(made):
            os.remove(made)
        if os.path.exists(IDS):
            os.remove(IDS)
        for folder in (os.path.dirname(IDS), os.path.dirname(os.path.dirname(IDS))):
            if os.path.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)
