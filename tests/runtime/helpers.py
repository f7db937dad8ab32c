"""Shared bits of the runtime tests: example canister paths and user principals."""

import os

from kybra import Principal

CANISTERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "canisters")
ROOT = os.path.dirname(os.path.dirname(CANISTERS))
ALICE = Principal.self_authenticating(b"alice-key")
BOB = Principal.self_authenticating(b"bob-key")


def entry(name: str) -> str:
    return os.path.join(CANISTERS, name, "main.py")


def deploy(net, name: str, arg: str = "()", **kw) -> Principal:
    kw.setdefault("controllers", [ALICE])
    return net.deploy(entry(name), arg, project_root=ROOT, **kw)
