"""Calls with Python values: arguments encoded and replies decoded with the callee's own
method signature (what `dfx canister call` does with a canister's .did)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from localnet.candid import binary, text
from localnet.runtime.errors import LocalnetError


def _sig(network, canister_id, method: str):
    c = network._canister(canister_id)
    if c.interface is None:
        raise LocalnetError(f"canister {canister_id} has no code installed")
    sig = c.interface.methods.get(method)
    if sig is None:
        raise LocalnetError(f"canister {canister_id} has no method {method!r}")
    return c, sig


def encode_call(network, canister_id, method: str, values: Sequence[Any]) -> bytes:
    c, sig = _sig(network, canister_id, method)
    return binary.encode([t for _, t in sig.params], list(values), c.interface.env)


def decode_reply(network, canister_id, method: str, data: bytes):
    c, sig = _sig(network, canister_id, method)
    values = binary.decode(data, list(sig.rets), c.interface.env)
    return values[0] if values else None


def init_arg_from_text(bundle, arg_text: str) -> bytes:
    """Candid bytes of a textual init argument (e.g. '(principal "aaaaa-aa")') typed with
    the init parameters of the bundle's source."""
    from localnet.kybra_source.analyze import analyze

    iface = analyze(bundle)
    types = [t for _, t in iface.init_params]
    values = text.parse_args(arg_text, types, iface.env)
    return binary.encode(types, values, iface.env)


def call(network, sender, canister_id, method: str, *values, query: Optional[bool] = None):
    """Call with Python values; returns the decoded reply (raises CallRejected)."""
    c, sig = _sig(network, canister_id, method)
    arg = encode_call(network, canister_id, method, values)
    if query is None:
        query = sig.kind == "query"
    data = (
        network.query_call(sender, canister_id, method, arg)
        if query
        else network.update_call(sender, canister_id, method, arg)
    )
    return decode_reply(network, canister_id, method, data)
