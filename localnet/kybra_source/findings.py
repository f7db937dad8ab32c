"""A lint/analysis finding: where (file and line), which rule, and why.

Shared by the analyser (which reports what kybra_generate itself would reject) and the
lint (which adds the rules for what breaks under Kybra at run time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


class KybraSourceError(Exception):
    """Canister source that Kybra would not compile; carries every finding."""

    def __init__(self, findings: List[Finding]):
        self.findings = sorted(findings)
        super().__init__("\n".join(str(f) for f in self.findings) or "invalid Kybra source")
