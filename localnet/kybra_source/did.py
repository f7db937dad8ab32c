"""Generate a canister's `.did` from its Kybra source, and keep `candid/*.did` in step.

`generate_did` is what `candid/<name>.did` holds for `src/<name>/main.py`. CI compares the
two (tests/test_committed_did.py); regenerate with

    python -m localnet.kybra_source.did --write        # every src/<name>/main.py
    python -m localnet.kybra_source.did src/x/main.py  # print one
"""

from __future__ import annotations

import argparse
import difflib
import glob
import os
import sys
from typing import Dict, List, Optional, Sequence, Union

from localnet.kybra_source.analyze import analyze
from localnet.kybra_source.bundle import BundleError, SourceBundle, find_project_root
from localnet.kybra_source.findings import KybraSourceError

REGENERATE = "python -m localnet.kybra_source.did --write"


def generate_did(
    bundle_or_entry_path: Union[SourceBundle, str, os.PathLike], project_root: Optional[str] = None
) -> str:
    """The .did text of a canister; raises KybraSourceError if Kybra would reject the source."""
    from localnet.candid.did import format_did  # the project's one Candid printer

    bundle = bundle_or_entry_path
    if not isinstance(bundle, SourceBundle):
        bundle = SourceBundle.from_entry(os.fspath(bundle), project_root)
    text = format_did(analyze(bundle).service_description())
    return text if text.endswith("\n") else text + "\n"


def canister_entries(root: str) -> Dict[str, str]:
    """{canister name: entry path} for every `src/<name>/main.py` under the project root."""
    return {
        os.path.basename(os.path.dirname(p)): p for p in sorted(glob.glob(os.path.join(root, "src", "*", "main.py")))
    }


def committed_did_path(root: str, name: str) -> str:
    return os.path.join(root, "candid", f"{name}.did")


def did_diff(expected: str, actual: str, path: str) -> str:
    """A unified diff from the committed file to the generated text."""
    return "".join(
        difflib.unified_diff(
            actual.splitlines(True), expected.splitlines(True), f"{path} (committed)", f"{path} (from source)"
        )
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m localnet.kybra_source.did", description="Generate .did files from Kybra canister source."
    )
    ap.add_argument("entries", nargs="*", help="canister entry files to print")
    ap.add_argument("--write", action="store_true", help="write candid/<name>.did for every src/<name>/main.py")
    ap.add_argument(
        "--check", action="store_true", help="exit 1 if a committed candid/<name>.did differs from its source"
    )
    ap.add_argument("--root", default=None, help="project root (default: nearest with dfx.json or pyproject.toml)")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root or find_project_root(os.getcwd()))
    try:
        if args.entries:
            for e in args.entries:
                sys.stdout.write(generate_did(e, args.root))
            return 0
        failed: List[str] = []
        for name, entry in canister_entries(root).items():
            text = generate_did(entry, root)
            path = committed_did_path(root, name)
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
            if args.write and old != text:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                print(f"wrote {os.path.relpath(path, root)}")
            elif args.check and old != text:
                failed.append(name)
                sys.stdout.write(did_diff(text, old or "", os.path.relpath(path, root)))
        if failed:
            print(f"out of date: {', '.join(failed)}; run `{REGENERATE}`", file=sys.stderr)
            return 1
        if not (args.write or args.check):
            ap.print_usage(sys.stderr)
            return 2
        return 0
    except (BundleError, KybraSourceError) as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
