"""ic-wasm (dfinity/ic-wasm, pinned in tools/ic-wasm/package.json and installed from npm with
`npm ci --prefix tools/ic-wasm`) reads the modules localnet builds, and `localnet
wasm-limits` (localnet/runtime/wasm_limits.py) counts what ic-wasm counts, plus the code
section size."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from localnet.candid.binary import leb128 as leb
from localnet.runtime import wasm_limits

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

NPM_BINARY = os.path.join(ROOT, "tools", "ic-wasm", "node_modules", "@icp-sdk", "ic-wasm-linux-x64", "bin", "ic-wasm")


@pytest.fixture(scope="module")
def ic_wasm() -> str:
    for path in (os.environ.get("IC_WASM"), NPM_BINARY, shutil.which("ic-wasm")):
        if path and os.access(path, os.X_OK):
            return path
    pytest.skip("ic-wasm is not installed: npm ci --prefix tools/ic-wasm (docs/deploy.md)")


def run(ic_wasm: str, *args: str) -> str:
    proc = subprocess.run([ic_wasm, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def vec(items: list) -> bytes:
    return leb(len(items)) + b"".join(items)


def name(text: str) -> bytes:
    return leb(len(text.encode())) + text.encode()


def section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + leb(len(body)) + body


def small_module(methods: list, custom: bytes = b"service : {}") -> bytes:
    """A valid module: one import (ic0.msg_reply), one function per exported method."""
    types = section(1, vec([b"\x60\x00\x00"]))
    imports = section(2, vec([name("ic0") + name("msg_reply") + b"\x00" + leb(0)]))
    funcs = section(3, vec([leb(0)] * len(methods)))
    exports = section(7, vec([name(m) + b"\x00" + leb(i + 1) for i, m in enumerate(methods)]))
    code = section(10, vec([leb(4) + b"\x00\x10\x00\x0b"] * len(methods)))  # call msg_reply; end
    meta = section(0, name("icp:public candid:service") + custom)
    other = section(0, name("producers") + b"\x00")
    return b"\x00asm\x01\x00\x00\x00" + types + imports + funcs + exports + code + meta + other


def test_ic_wasm_reads_the_merchant_module_localnet_builds(ic_wasm, tmp_path):
    from localnet.runtime import Network

    module = Network().build_module(os.path.join(ROOT, "src", "user_payment_canister", "main.py"), ROOT)
    path = tmp_path / "user_payment_canister.wasm"
    path.write_bytes(module)
    info = run(ic_wasm, str(path), "info")
    assert "Custom sections with size" in info and "icp:public candid:service" in info
    assert run(ic_wasm, str(path), "metadata").split() == [
        "icp:private",
        "localnet:bundle",
        "icp:public",
        "candid:service",
    ]
    with open(os.path.join(ROOT, "candid", "user_payment_canister.did"), encoding="utf-8") as f:
        assert run(ic_wasm, str(path), "metadata", "candid:service").strip() == f.read().strip()
    shrunk = tmp_path / "shrunk.wasm"
    run(ic_wasm, str(path), "-o", str(shrunk), "shrink")
    assert wasm_limits.measure(shrunk.read_bytes())["icp: custom sections"] == 2


def test_the_limit_checker_counts_what_ic_wasm_counts(ic_wasm, tmp_path):
    methods = ["canister_query hello", "canister_update set_greeting", "canister_init"]
    path = tmp_path / "small.wasm"
    path.write_bytes(small_module(methods))
    info = run(ic_wasm, str(path), "info")
    measured = wasm_limits.measure(path.read_bytes())
    assert f"Number of functions: {measured['functions']}" in info
    assert "hello" in info and "set_greeting" in info
    assert measured["exported methods"] == 2  # canister_init is a system method, not counted
    assert measured["exported method name bytes"] == len("hello") + len("set_greeting")
    assert measured["icp: custom sections"] == 1 and measured["code section bytes"] > 0


def test_the_limit_checker_fails_a_module_over_a_limit(tmp_path):
    path = tmp_path / "many.wasm"
    path.write_bytes(small_module([f"canister_update m{i}" for i in range(1001)]))
    localnet = os.path.join(os.path.dirname(sys.executable), "localnet")
    proc = subprocess.run([localnet, "wasm-limits", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    line = [x for x in proc.stdout.splitlines() if "exported methods" in x and "name" not in x][0]
    assert "1,001" in line and "OVER" in line
    ok = tmp_path / "ok.wasm"
    ok.write_bytes(small_module(["canister_query hello"]))
    assert wasm_limits.report(str(ok)) is True
    proc = subprocess.run(
        [localnet, "wasm-limits", str(tmp_path / "missing.wasm")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1 and proc.stderr.startswith("Error: ")
