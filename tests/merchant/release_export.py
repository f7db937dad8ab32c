"""A release of the canisters' source from git (`git archive` of one commit), for the tests
that install an earlier release and upgrade from it."""

from __future__ import annotations

import os
import subprocess
import tarfile

import pytest
from ic.identity import Identity
from merchant_client import MERCHANT_ENTRY, ROOT, build_shop


def export_release(tmp_path_factory, commit: str) -> str:
    """The source tree of the release at `commit`, exported from git."""
    root = tmp_path_factory.mktemp("release_" + commit)
    archive = root / "src.tar"
    subprocess.run(["git", "-C", ROOT, "archive", "--format=tar", "-o", str(archive), commit, "src"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    return str(root)


def shop_on_release(server, new_identity, deploy, actor, release_root: str):
    """The usual shop, with the release exported at `release_root` as its merchant canister."""

    def deploy_old(target, entry_path, arg_text="()", controllers=None, cycles=None):
        if entry_path != MERCHANT_ENTRY:
            return deploy(target, entry_path, arg_text, controllers, cycles)
        entry = os.path.join(release_root, "src", "user_payment_canister", "main.py")
        with target.lock:
            return target.network.deploy(entry, arg_text, None, cycles, project_root=release_root).to_str()

    return build_shop(server, new_identity, deploy_old, actor, Identity(anonymous=True))


@pytest.fixture(scope="module")
def release_root(request, tmp_path_factory) -> str:
    """The source tree of the test module's `RELEASE` (a commit), exported from git."""
    return export_release(tmp_path_factory, request.module.RELEASE)


@pytest.fixture
def old_shop(server, new_identity, deploy, actor, release_root):
    """The usual shop on the test module's `RELEASE`."""
    return shop_on_release(server, new_identity, deploy, actor, release_root)
