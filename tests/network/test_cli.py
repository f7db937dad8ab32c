"""`localnet` CLI end to end (subprocesses): start, identity, deploy, call, logs, build,
did, lint, restart with --state-dir, and the one-line errors."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
CANISTERS = os.path.join(HERE, "canisters")
DFX_JSON = """{"canisters": {
  "counter": {"type": "kybra", "main": "src/counter/main.py"},
  "greeter": {"type": "custom", "build": "python -m kybra greeter src/greeter/main.py",
              "candid": "src/greeter/greeter.did", "wasm": ".kybra/greeter/greeter.wasm"}}}
"""


def env_for(tmp_path, url=None):
    env = dict(os.environ, PYTHONPATH=ROOT, LOCALNET_HOME=str(tmp_path / "home"))
    env.pop("LOCALNET_DEBUG", None)
    if url:
        env["LOCALNET_URL"] = url
    return env


def cli(env, *args, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "localnet.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def one_line_error(proc):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


class Replica:
    def __init__(self, tmp_path, state_dir, *extra):
        self.port_file = tmp_path / f"port{time.monotonic_ns()}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localnet.cli",
                "start",
                "--port",
                "0",
                "--port-file",
                str(self.port_file),
                "--state-dir",
                str(state_dir),
                *extra,
            ],
            env=env_for(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not (self.port_file.exists() and self.port_file.read_text().endswith("\n")):
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, "localnet start did not write its port file"
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        return out


@pytest.fixture
def project(tmp_path):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    for name in ("counter", "greeter"):
        shutil.copytree(os.path.join(CANISTERS, name), proj / "src" / name)
    (proj / "dfx.json").write_text(DFX_JSON)
    return proj


def assert_counter_after_restart(tmp_path, state, project, expected: str) -> None:
    """A localnet started again on `state` still has the counter's value."""
    again = Replica(tmp_path, state)
    try:
        env = env_for(tmp_path, again.url)
        assert cli(env, "call", "counter", "get", cwd=project).stdout.strip() == expected
    finally:
        again.stop()


def test_deploy_call_logs_upgrade_and_restart(tmp_path, project):
    state = tmp_path / "state"
    replica = Replica(tmp_path, state)
    try:
        env = env_for(tmp_path, replica.url)
        out = cli(env, "deploy", "counter", cwd=project)
        assert out.returncode == 0, out.stderr
        assert "Deployed counter:" in out.stdout and "(install)" in out.stdout
        assert "counter" in (project / ".dfx" / "local" / "canister_ids.json").read_text()
        assert cli(env, "call", "counter", "inc", cwd=project).stdout.strip() == "(1 : nat)"
        assert cli(env, "call", "counter", "add", "(41)", cwd=project).stdout.strip() == "(42 : nat)"
        assert cli(env, "call", "counter", "get", "--query", cwd=project).stdout.strip() == "(42 : nat)"
        logs = cli(env, "logs", "counter", cwd=project)
        assert logs.returncode == 0 and "]: inc -> 1" in logs.stdout
        # a redeploy upgrades: the stable counter survives
        out = cli(env, "deploy", "counter", cwd=project)
        assert "(upgrade)" in out.stdout
        assert cli(env, "call", "counter", "get", cwd=project).stdout.strip() == "(42 : nat)"
        out = cli(env, "deploy", "greeter", "--argument", '("Hello")', cwd=project)
        assert out.returncode == 0, out.stderr
        assert cli(env, "call", "greeter", "greet", '("Bob")', cwd=project).stdout.strip() == '("Hello, Bob!")'
        # identities: a new one is a different caller and cannot read a canister's logs
        assert cli(env, "identity", "new", "alice").returncode == 0
        me = cli(env, "identity", "whoami", "--identity", "alice").stdout.strip()
        who = cli(env, "call", "counter", "whoami", "--identity", "alice", cwd=project)
        assert who.stdout.strip() == f'("{me}")'
        assert "not allowed" in one_line_error(cli(env, "logs", "counter", "--identity", "alice", cwd=project))
        # error paths, each one line
        assert "no method" in one_line_error(cli(env, "call", "counter", "nope", cwd=project))
        assert "invalid Candid" in one_line_error(cli(env, "call", "counter", "add", "(bad", cwd=project))
        assert "expected nat" in one_line_error(cli(env, "call", "counter", "add", '("x")', cwd=project))
        assert "unknown canister" in one_line_error(cli(env, "call", "ghost", "get", cwd=project))
        assert "IC0503" in one_line_error(cli(env, "call", "counter", "fail", cwd=project))
        assert "no dfx.json" in one_line_error(cli(env, "deploy", cwd=tmp_path))
        assert "no Kybra canister named" in one_line_error(cli(env, "deploy", "ghost", cwd=project))
        assert "greeter: invalid init argument" in one_line_error(
            cli(env, "deploy", "greeter", "--mode", "reinstall", cwd=project)
        )
        busy = cli(env_for(tmp_path), "start", "--port", str(replica.port))
        assert "already in use" in one_line_error(busy)
    finally:
        saved = replica.stop()
    assert "state saved" in saved
    assert_counter_after_restart(tmp_path, state, project, "(42 : nat)")


def test_autosave_keeps_state_when_the_process_is_killed(tmp_path, project):
    state = tmp_path / "state"
    replica = Replica(tmp_path, state, "--autosave", "0.2")
    try:
        env = env_for(tmp_path, replica.url)
        assert cli(env, "deploy", "counter", cwd=project).returncode == 0
        assert cli(env, "call", "counter", "add", "(7)", cwd=project).stdout.strip() == "(7 : nat)"
        deadline = time.monotonic() + 30
        while not (state / "network" / "state.cbor").exists():
            assert time.monotonic() < deadline, "no autosave"
            time.sleep(0.1)
        time.sleep(1)  # a later tick has nothing new to save
    finally:
        replica.proc.kill()  # no SIGTERM: no save at exit
        replica.proc.communicate(timeout=60)
    assert_counter_after_restart(tmp_path, state, project, "(7 : nat)")


def test_unreachable_network_and_usage_errors(tmp_path, project):
    env = env_for(tmp_path, "http://127.0.0.1:9")
    assert "cannot reach" in one_line_error(cli(env, "call", "rwlgt-iiaaa-aaaaa-aaaaa-cai", "get", cwd=project))
    bad = cli(env, "frobnicate")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_identity_commands(tmp_path):
    env = env_for(tmp_path)
    assert cli(env, "identity", "new", "k1", "--type", "secp256k1").returncode == 0
    assert "already exists" in one_line_error(cli(env, "identity", "new", "k1"))
    assert "no identity named" in one_line_error(cli(env, "identity", "use", "ghost"))
    assert "invalid identity name" in one_line_error(cli(env, "identity", "new", "../x"))
    assert cli(env, "identity", "use", "k1").returncode == 0
    listing = cli(env, "identity", "list").stdout.split()
    assert listing == ["anonymous", "k1", "*"]  # dfx lists its built-in anonymous too
    pem = tmp_path / "home" / "identity" / "k1" / "identity.pem"
    assert pem.read_text().startswith("-----BEGIN")


def test_build_did_and_lint(tmp_path):
    env = env_for(tmp_path)
    entry = os.path.join(CANISTERS, "counter", "main.py")
    out = tmp_path / "counter.wasm"
    proc = cli(env, "build", entry, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"\x00asm"
    did = cli(env, "did", entry)
    assert did.returncode == 0 and "inc : () -> (nat);" in did.stdout
    assert "no such file" in one_line_error(cli(env, "did", str(tmp_path / "missing.py")))
    assert cli(env, "lint", entry).returncode == 0
    bad = tmp_path / "bad" / "main.py"
    bad.parent.mkdir()
    bad.write_text("from kybra import query\n\n\n@query\ndef f(x: float) -> str:\n    return 'x'\n")
    lint = cli(env, "lint", str(bad), cwd=tmp_path)
    assert lint.returncode != 0 and "main.py:5" in lint.stdout + lint.stderr


def test_build_did_and_lint_as_json(tmp_path):
    import gzip
    import hashlib
    import json

    env = env_for(tmp_path)
    entry = os.path.join(CANISTERS, "counter", "main.py")
    out = tmp_path / "counter.wasm.gz"
    proc = cli(env, "build", entry, "-o", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    built = json.loads(proc.stdout)
    data = out.read_bytes()
    assert built == {
        "entry": entry,
        "path": str(out),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "gzipped": True,
    }
    assert gzip.decompress(data)[:4] == b"\x00asm"
    did = cli(env, "did", entry, "--output", "json")
    assert did.returncode == 0, did.stderr
    assert json.loads(did.stdout)["did"] == cli(env, "did", entry).stdout
    clean = cli(env, "lint", entry, "--output", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout) == []
    bad = tmp_path / "bad" / "main.py"
    bad.parent.mkdir()
    bad.write_text("from kybra import query\n\n\n@query\ndef f(x: float) -> str:\n    return 'x'\n")
    lint = cli(env, "lint", str(bad), "--output", "json", cwd=tmp_path)
    assert lint.returncode == 1, lint.stderr
    findings = json.loads(lint.stdout)
    assert findings and all(set(f) == {"path", "line", "rule", "message"} for f in findings)
    assert any(f["path"].endswith("main.py") and f["line"] == 5 for f in findings)
