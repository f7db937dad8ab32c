"""localnet's execution runtime: `Network`, the in-process IC that runs Kybra canisters
from their Python source (see localnet/ARCHITECTURE.md)."""

from localnet.runtime.errors import CallRejected, LocalnetError
from localnet.runtime.network import IngressStatus, Network

__all__ = ["Network", "CallRejected", "LocalnetError", "IngressStatus"]
