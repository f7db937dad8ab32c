"""The README's CLI section is what `scripts/cli_docs.py` generates from the parsers (the
`--help` of `ckpay` and `localnet`): a new command or flag without regenerating fails."""

from __future__ import annotations

import os
import subprocess
import sys

from sdk_env import ROOT


def test_readme_cli_section_is_generated_from_the_parsers():
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "cli_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + " (run `python scripts/cli_docs.py`)"


def test_every_command_is_in_the_readme():
    from ckpayment.cli import build_parser

    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    for words in (
        "ckpay webhooks resend",
        "ckpay listen --forward-to URL",
        "localnet status",
        "localnet stop",
        "ckpay trigger EVENT_TYPE",
    ):
        assert f"`{words}" in text
    assert build_parser().prog == "ckpay"
