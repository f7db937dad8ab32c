"""Installs the JavaScript agent from the npm registry into a cache dir and runs scripts."""

import json
import os
import shutil
import subprocess

import pytest

PACKAGE = "@icp-sdk/core@6.1.0"
CACHE = os.environ.get("LOCALNET_NPM_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "localnet-tests", "npm"))
HERE = os.path.join(os.path.dirname(__file__), "js")


def ensure_agent() -> str:
    """npm-install the agent once; skip the test if npm is not on PATH."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm/node are not on PATH: cannot install the JavaScript agent")
    marker = os.path.join(CACHE, "node_modules", "@icp-sdk", "core", "package.json")
    if not os.path.exists(marker):
        os.makedirs(CACHE, exist_ok=True)
        with open(os.path.join(CACHE, "package.json"), "w") as f:
            f.write('{"name": "localnet-js-tests", "private": true, "type": "module"}\n')
        proc = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", PACKAGE],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, f"npm install failed:\n{proc.stderr[-2000:]}"
    return CACHE


def run_script(name: str, *args, timeout=180) -> dict:
    cache = ensure_agent()
    script = os.path.join(cache, name)
    shutil.copyfile(os.path.join(HERE, name), script)
    proc = subprocess.run(["node", script, *args], cwd=cache, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"node {name} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
