"""The project's one Candid implementation: type model, binary codec with subtyping,
textual values and .did files. See localnet/ARCHITECTURE.md for the value mapping."""

from .binary import decode, encode, field_key
from .did import format_did, format_type, parse_did, parse_type, parse_types
from .errors import CandidError
from .text import format_args, parse_args
from .types import ServiceDescription, TypeEnv

__all__ = [
    "decode",
    "encode",
    "field_key",
    "format_did",
    "format_type",
    "parse_did",
    "parse_type",
    "parse_types",
    "CandidError",
    "format_args",
    "parse_args",
    "ServiceDescription",
    "TypeEnv",
]
