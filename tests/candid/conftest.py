"""Candid test helpers on sys.path, and the conformance summary line at the end of a run."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def pytest_terminal_summary(terminalreporter):
    passed = failed = 0
    for outcome in ("passed", "failed", "error", "xfailed", "xpassed"):
        for rep in terminalreporter.stats.get(outcome, []):
            if "test_conformance.py::test_assertion" not in getattr(rep, "nodeid", ""):
                continue
            if getattr(rep, "when", "call") != "call" and outcome == "passed":
                continue
            if outcome == "passed":
                passed += 1
            else:
                failed += 1
    if passed or failed:
        terminalreporter.write_line(f"candid conformance: {passed} passed, {failed} failed")
