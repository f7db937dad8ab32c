"""scripts/deploy-dfx.sh's safety rules, run against a fake `dfx` that records every call.

The script must refuse a dfx other than the one Kybra 0.7.1 supports, never pass `--clean`
(wiping a replica) unless asked to, never wipe a *running* replica without consent, and
never write a private key into the project folder. `--setup-only` stops before anything is
built, so no network and no real dfx is needed."""

from __future__ import annotations

import os
import stat
import subprocess
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "deploy-dfx.sh")

FAKE_DFX = r"""#!/bin/sh
printf '%s\n' "$*" >>"$FAKE_DFX_LOG"
case "$1" in
  --version) echo "dfx $FAKE_DFX_VERSION" ;;
  ping) [ "$FAKE_DFX_RUNNING" = 1 ] ;;
  start|stop) exit 0 ;;
  info) echo 4943 ;;
  identity)
    case "$2" in
      whoami) echo default ;;
      get-principal) echo 2vxsx-fae ;;
      list) printf 'default\nckpay-demo-customer\n' ;;
      new) exit 0 ;;
      export) printf -- '-----BEGIN EC PRIVATE KEY-----\nZmFrZQ==\n-----END EC PRIVATE KEY-----\n' ;;
      *) exit 1 ;;
    esac ;;
  *) echo "fake dfx: unexpected $*" >&2; exit 3 ;;
esac
"""


def executable(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o755)


def project_pems() -> set:
    found = set()
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
        found.update(os.path.join(top, f) for f in files if f.endswith(".pem"))
    return found


@pytest.fixture
def fake(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable(str(bin_dir / "dfx"), FAKE_DFX)
    executable(str(bin_dir / "python3.10"), "#!/bin/sh\necho 3.10\n")
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "dfx.log"

    def run(*args, version="0.23.0", running=False, env=None):
        e = {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "HOME": str(home),
            "FAKE_DFX_LOG": str(log),
            "FAKE_DFX_VERSION": version,
            "FAKE_DFX_RUNNING": "1" if running else "0",
        }
        e.update(env or {})
        if log.exists():
            log.unlink()
        before = project_pems()
        proc = subprocess.run(
            ["bash", SCRIPT, "--setup-only", *args],
            env=e,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        calls = log.read_text().splitlines() if log.exists() else []
        assert project_pems() == before, "a .pem was written into the project folder"
        return proc, calls

    run.home = home
    run.bin = bin_dir
    return run


def test_an_unsupported_dfx_is_refused_before_anything_runs(fake):
    proc, calls = fake(version="0.24.1")
    assert proc.returncode == 1
    assert "dfx 0.24.1 is not supported" in proc.stderr and "0.23.0" in proc.stderr
    assert calls == ["--version"]


def test_a_python_other_than_3_10_is_refused(fake, tmp_path):
    executable(str(tmp_path / "py311"), "#!/bin/sh\necho 3.11\n")
    proc, calls = fake(env={"PYTHON310": str(tmp_path / "py311")})
    assert proc.returncode == 1 and "not a Python 3.10" in proc.stderr
    assert not any(c.startswith(("start", "stop", "identity")) for c in calls)


def test_no_replica_running_starts_one_without_clean(fake):
    proc, calls = fake()
    assert proc.returncode == 0, proc.stderr
    assert "start --background" in calls
    assert not any("--clean" in c for c in calls) and "stop" not in calls
    keys = fake.home / ".config" / "ckpayment" / "keys"
    for name in ("operator.pem", "customer.pem"):
        pem = keys / name
        assert pem.read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
        assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700


def test_a_running_replica_is_reused_as_it_is(fake):
    proc, calls = fake(running=True)
    assert proc.returncode == 0, proc.stderr
    assert not any(c.startswith(("start", "stop")) for c in calls)


def test_clean_on_a_running_replica_needs_consent(fake):
    proc, calls = fake("--clean", running=True)  # stdin is not a terminal: cannot ask
    assert proc.returncode == 1 and "--yes" in proc.stderr
    assert not any(c.startswith(("start", "stop")) for c in calls)
    proc, calls = fake("--clean", "--yes", running=True)
    assert proc.returncode == 0, proc.stderr
    assert calls.index("stop") < calls.index("start --clean --background")


def test_clean_without_a_running_replica_starts_a_clean_one(fake):
    proc, calls = fake("--clean")
    assert proc.returncode == 0, proc.stderr
    assert "start --clean --background" in calls and "stop" not in calls


def test_a_key_folder_inside_the_project_is_refused(fake):
    inside = os.path.join(ROOT, ".dfx", "ckpay-keys-test")
    try:
        proc, calls = fake(env={"CKPAY_KEY_DIR": inside})
        assert proc.returncode == 1 and "inside the project folder" in proc.stderr
        assert not any(c.startswith("identity export") for c in calls)
        assert not os.path.exists(inside)  # refused before it was created
    finally:
        if os.path.isdir(inside):
            os.rmdir(inside)


def test_the_script_documents_its_flags():
    out = subprocess.run(["bash", SCRIPT, "--help"], capture_output=True, text=True, timeout=30).stdout
    for flag in ("--clean", "--yes", "--setup-only", "dfx 0.23.0", "CKPAY_KEY_DIR"):
        assert flag in out, flag
    assert textwrap.dedent(out).strip()
