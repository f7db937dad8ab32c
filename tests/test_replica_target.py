"""The replica target of the suite (tests/suite_target.py), without dfx: `localnet start` in
a separate process plays the replica (reached only over HTTP) and `localnet build` plays
`dfx build` (its modules go to a temporary $CKPAY_TEST_WASM_DIR). A subset of the suite runs
against it with `--target replica` in a subprocess; each test must pass, or skip for the
reason the replica target gives."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import suite_target

ROOT = suite_target.ROOT
PY = sys.executable
BUILT = ("icrc_ledger", "payment_backend", "user_payment_canister")  # not exchange_rate
TIME_TRAVEL = "test_expired_session_then_late_payment_is_refunded"  # advances the clock


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CKPAY_TEST_")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    """(url, wasm_dir): a `localnet start` process and the built modules."""
    tmp = tmp_path_factory.mktemp("replica")
    wasm_dir = tmp / "wasm"
    wasm_dir.mkdir()
    for name in BUILT:
        subprocess.run(
            [PY, "-m", "localnet.cli", "build", f"src/{name}/main.py", "-o", str(wasm_dir / f"{name}.wasm")],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    port_file = tmp / "port"
    log = open(tmp / "replica.log", "wb")
    proc = subprocess.Popen(
        [PY, "-m", "localnet.cli", "start", "--port", "0", "--port-file", str(port_file)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, (tmp / "replica.log").read_text()
            assert time.monotonic() < deadline, "localnet start did not report its port"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port_file.read_text().strip()}", str(wasm_dir)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _run_suite(args, tmp_path, **env):
    junit = tmp_path / "junit.xml"
    proc = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", f"--junitxml={junit}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
        env=_env(**env),
    )
    results = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("name").split("[")[0]
            outcome, reason = "passed", ""
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome, reason = tag, node.get("message", "")
            results.setdefault((case.get("classname").split(".")[-1], name), []).append((outcome, reason))
    return proc, results


def test_suite_subset_runs_against_a_replica(replica, tmp_path):
    url, wasm_dir = replica
    proc, results = _run_suite(
        [
            "--target",
            "replica",
            "tests/ledger/test_icrc_ledger.py",
            "tests/merchant/test_merchant_checkout.py",
            "tests/ledger/test_exchange_rate.py",
            "tests/factory/test_factory_registry.py::test_listings_and_pagination",
            "-k",
            "not test_merchant_checkout or paid_checkout or wrong_token or expired_session",
        ],
        tmp_path,
        CKPAY_TEST_URL=url,
        CKPAY_TEST_WASM_DIR=wasm_dir,
    )
    out = proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, out
    outcomes = {k: {o for o, _ in v} for k, v in results.items()}
    assert not any({"failure", "error"} & o for o in outcomes.values()), out
    by_file = {}
    for (module, name), runs in results.items():
        for outcome, reason in runs:
            by_file.setdefault(module, []).append((name, outcome, reason))
    # real work happened on the replica in each file that has a built canister
    for module in ("test_icrc_ledger", "test_merchant_checkout"):
        assert any(o == "passed" for _, o, _ in by_file[module]), (module, out)
    assert outcomes[("test_merchant_checkout", "test_icrc2_paid_checkout")] == {"passed"}
    assert outcomes[("test_merchant_checkout", "test_wrong_token")] == {"passed"}
    # the factory stores the merchant module (server.network.build_module: the built Wasm)
    # and deploys merchant canisters with it on the replica
    assert outcomes[("test_factory_registry", "test_listings_and_pagination")] == {"passed"}
    # skips only for the replica target's reasons
    for module, runs in by_file.items():
        for name, outcome, reason in runs:
            if outcome != "skipped":
                continue
            if module == "test_exchange_rate":
                assert (
                    "no built Wasm for canister 'exchange_rate'" in reason or "not a canister of dfx.json" in reason
                ), (name, reason)
            else:
                assert "needs localnet itself" in reason, (name, reason)
    assert outcomes[("test_merchant_checkout", TIME_TRAVEL)] == {"skipped"}
    assert all(o == "skipped" for _, o, _ in by_file["test_exchange_rate"])


def test_a_missing_replica_fails_with_a_clear_error(tmp_path):
    proc, results = _run_suite(
        ["tests/ledger/test_icrc_ledger.py", "-k", "metadata"],
        tmp_path,
        CKPAY_TEST_TARGET="dfx",
        CKPAY_TEST_URL="http://127.0.0.1:9",
    )
    assert proc.returncode != 0
    assert "no replica answers at http://127.0.0.1:9/api/v2/status" in proc.stdout
    assert results and all(o == {"error"} or o == {"failure"} for o in ({x for x, _ in v} for v in results.values()))


def test_an_unknown_target_is_a_usage_error(tmp_path):
    proc, _ = _run_suite(["tests/ledger/test_icrc_ledger.py", "--co"], tmp_path, CKPAY_TEST_TARGET="mainnet")
    assert proc.returncode == 4  # pytest's usage error
    assert "unknown test target 'mainnet'" in proc.stderr


def test_big_modules_are_installed_in_chunks(replica, monkeypatch, new_identity, actor, tmp_path):
    """A module over the ingress limit goes through upload_chunk + install_chunked_code, and
    the canister ends with exactly the requested controllers."""
    import cbor2
    from ic.certificate import lookup

    from localnet.http.principal import from_text

    sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))
    from ledger_client import LEDGER_DID, LEDGER_ENTRY, ledger_init_arg

    url, wasm_dir = replica
    gz_dir = tmp_path / "gz"  # dfx leaves gzipped modules: those are installed as they are
    gz_dir.mkdir()
    with open(os.path.join(wasm_dir, "icrc_ledger.wasm"), "rb") as f:
        (gz_dir / "icrc_ledger.wasm.gz").write_bytes(gzip.compress(f.read()))
    monkeypatch.setenv("CKPAY_TEST_WASM_DIR", str(gz_dir))
    monkeypatch.setattr(suite_target, "INGRESS_LIMIT", 8 * 1024 + suite_target.ENVELOPE_MARGIN)
    monkeypatch.setattr(suite_target, "CHUNK", 4 * 1024)
    calls = []
    server = suite_target.open_replica(url)
    deployer = suite_target.ReplicaDeployer(server)
    original = deployer._call
    monkeypatch.setattr(deployer, "_call", lambda method, *a: calls.append(method) or original(method, *a))
    owner = new_identity()
    holder = new_identity().sender().to_str()
    cid = deployer.deploy(LEDGER_ENTRY, ledger_init_arg([(holder, 5_000)]), [owner])
    chunks = -(-(gz_dir / "icrc_ledger.wasm.gz").stat().st_size // (4 * 1024))
    assert chunks > 1
    assert calls == (
        ["provisional_create_canister_with_cycles"]
        + ["upload_chunk"] * chunks
        + ["install_chunked_code", "update_settings"]
    )
    ledger = actor(server, cid, owner, LEDGER_DID)
    assert ledger.icrc1_balance_of({"owner": holder, "subaccount": []}) == [5_000]
    cert = deployer.agent.read_state_raw(cid, [[b"canister", from_text(cid), b"controllers"]])
    controllers = cbor2.loads(lookup([b"canister", from_text(cid), b"controllers"], cert))
    assert [bytes(c) for c in controllers] == [owner.sender().bytes]


def test_target_names_and_wasm_lookup(tmp_path, monkeypatch):
    """The option/variable names, and which Wasm stands for which entry."""
    monkeypatch.delenv("CKPAY_TEST_TARGET", raising=False)
    assert suite_target.resolve(None) == "localnet"
    assert suite_target.resolve("dfx") == suite_target.resolve("replica") == "replica"
    monkeypatch.setenv("CKPAY_TEST_TARGET", "dfx")
    assert suite_target.resolve(None) == "replica"
    assert suite_target.resolve("localnet") == "localnet"  # the option wins
    with pytest.raises(suite_target.TargetError, match="unknown test target 'pocketic'"):
        suite_target.resolve("pocketic")
    ledger = os.path.join(ROOT, "src", "icrc_ledger", "main.py")
    merchant = os.path.join(ROOT, "src", "user_payment_canister", "main.py")
    assert suite_target.canister_name(ledger) == "icrc_ledger"
    assert suite_target.canister_name(merchant) == "user_payment_canister"
    monkeypatch.setenv("CKPAY_TEST_WASM_DIR", str(tmp_path))
    (tmp_path / "icrc_ledger.wasm").write_bytes(b"\0asm plain")
    net = suite_target.ReplicaNetwork()
    assert net.build_module(ledger) == b"\0asm plain"
    assert gzip.decompress(net.build_module(ledger, gzipped=True)) == b"\0asm plain"
    (tmp_path / "icrc_ledger.wasm.gz").write_bytes(gzip.compress(b"\0asm packed"))
    assert gzip.decompress(net.build_module(ledger)) == b"\0asm packed"  # .gz preferred
    with pytest.raises(pytest.skip.Exception, match="not a canister of dfx.json"):
        net.build_module(os.path.join(ROOT, "tests", "canisters", "counter", "main.py"))
    project = tmp_path / "project"  # a dfx.json canister nobody built
    (project / "src" / "solo").mkdir(parents=True)
    (project / "dfx.json").write_text('{"canisters": {"solo": {"type": "kybra", "main": "src/solo/main.py"}}}')
    monkeypatch.setattr(suite_target, "ROOT", str(project))
    with pytest.raises(pytest.skip.Exception, match="no built Wasm for canister 'solo'"):
        net.build_module(str(project / "src" / "solo" / "main.py"))
    with pytest.raises(pytest.skip.Exception, match="uses server.network.advance_time"):
        net.advance_time(60)
    monkeypatch.setenv("CKPAY_TEST_WASM_DIR", str(tmp_path / "missing"))
    with pytest.raises(pytest.fail.Exception, match="is not a directory"):
        net.build_module(ledger)
