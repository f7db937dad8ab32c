"""Every canister's committed candid/<name>.did is what its source generates, and its source
is lint-clean. Regenerate with `python -m localnet.kybra_source.did --write`."""

import glob
import os

import pytest

from localnet.kybra_source.bundle import SourceBundle
from localnet.kybra_source.did import REGENERATE, canister_entries, committed_did_path, did_diff, generate_did
from localnet.kybra_source.lint import lint_bundle

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRIES = canister_entries(ROOT)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_committed_did_matches_source(name):
    path = committed_did_path(ROOT, name)
    generated = generate_did(ENTRIES[name], ROOT)
    if not os.path.exists(path):
        pytest.fail(f"candid/{name}.did is missing; run `{REGENERATE}`")
    with open(path, encoding="utf-8") as f:
        committed = f.read()
    if committed != generated:
        pytest.fail(
            f"candid/{name}.did differs from src/{name}/main.py; run `{REGENERATE}`\n"
            + did_diff(generated, committed, f"candid/{name}.did")
        )


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_canister_source_is_lint_clean(name):
    findings = lint_bundle(SourceBundle.from_entry(ENTRIES[name], ROOT))
    assert not findings, "\n".join(map(str, findings))


def test_every_committed_did_belongs_to_a_canister():
    stale = [
        os.path.basename(p)
        for p in glob.glob(os.path.join(ROOT, "candid", "*.did"))
        if os.path.basename(p)[:-4] not in ENTRIES
    ]
    assert not stale, f"no src/<name>/main.py generates {stale}"
