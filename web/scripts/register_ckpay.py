"""Registers ckpay.js in the factory's component registry (`deploy_component_version`) under
every component id the merchant canister's snippets use, with the script's URL on the
checkout asset canister: `/ckpay/<version>/ckpay.js` (versions are immutable; a new build of
the script gets a new version in web/src/embed/version.ts).

    python web/scripts/register_ckpay.py [--network URL] [--identity NAME] [--mainnet]

Run by a factory admin after `localnet deploy` (ids from .dfx/local/canister_ids.json).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")


def _in_venv() -> None:
    """Run under the project's .venv python when this one lacks its packages (a plain
    `python3 web/scripts/register_ckpay.py`)."""
    try:
        import ic  # noqa: F401
        import kybra  # noqa: F401
    except ImportError:
        venv = os.path.dirname(os.path.dirname(VENV_PYTHON))
        if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
            os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
        raise SystemExit(
            "Error: the project's packages are missing: run ./scripts/run.sh or "
            "`python3 -m venv .venv && .venv/bin/pip install -e .` first"
        )


# the merchant canister's component ids (src/user_payment_canister/modals.py, elements.py)
COMPONENT_IDS = ("ckpay-modal", "payment-button", "token-selector", "price-display", "checkout-form", "wallet-connect")
COMPONENT_ARG = (
    "record { component_id : text; name : text; version : text; cdn_url : text; "
    "documentation_url : text; compatibility : vec text }"
)


def ckpay_version() -> str:
    with open(os.path.join(ROOT, "web", "src", "embed", "version.ts"), encoding="utf-8") as f:
        match = re.search(r"CKPAY_VERSION = '([^']+)'", f.read())
    if match is None:
        raise SystemExit("Error: web/src/embed/version.ts has no CKPAY_VERSION")
    return match.group(1)


def script_url(checkout_id: str, version: str, local_port: int | None) -> str:
    if local_port is not None:
        return f"http://{checkout_id}.localhost:{local_port}/ckpay/{version}/ckpay.js"
    return f"https://{checkout_id}.icp0.io/ckpay/{version}/ckpay.js"


def components(url: str, version: str) -> list[dict]:
    return [
        {
            "component_id": cid,
            "name": f"ckPayment {cid}",
            "version": version,
            "cdn_url": url,
            "documentation_url": "https://docs.ckpayment.io/web#" + cid,
            "compatibility": ["html", "react", "vue"],
        }
        for cid in COMPONENT_IDS
    ]


def main(argv=None) -> int:
    from urllib.parse import urlsplit

    from ckpayment.identity import resolve_identity
    from localnet.candid.binary import decode, encode
    from localnet.candid.did import parse_type
    from localnet.http.agent import Agent
    from localnet.http.principal import from_text
    from localnet.http.project import load_ids

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--network", default=os.environ.get("LOCALNET_URL", "http://127.0.0.1:4943"))
    p.add_argument("--identity")
    p.add_argument("--mainnet", action="store_true", help="register the icp0.io URL")
    a = p.parse_args(argv)
    ids = load_ids(ROOT)
    missing = [n for n in ("payment_backend", "checkout") if n not in ids]
    if missing:
        print(f"Error: deploy {', '.join(missing)} first (not in .dfx/local/canister_ids.json)", file=sys.stderr)
        return 1
    version = ckpay_version()
    port = None if a.mainnet else (urlsplit(a.network).port or 80)
    url = script_url(ids["checkout"], version, port)
    agent = Agent(a.network, resolve_identity(a.identity))
    result_type = parse_type("variant { Ok; Err : text }")
    failed = 0
    for comp in components(url, version):
        reply = agent.call(
            from_text(ids["payment_backend"]), "deploy_component_version", encode([parse_type(COMPONENT_ARG)], [comp])
        )
        result = decode(reply, [result_type])[0]
        if "Ok" in result or result["Err"].startswith("already_exists"):
            status = "registered" if "Ok" in result else "already registered"
        else:
            status, failed = result["Err"], failed + 1
        print(f"{comp['component_id']} {version}: {status}")
    print(f"ckpay.js URL: {url}")
    if failed:
        print(f"Error: {failed} of {len(COMPONENT_IDS)} registrations failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    _in_venv()
    sys.exit(main())
