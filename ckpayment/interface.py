"""The typed-call layer: a canister's committed `.did` file parsed by the project's Candid
codec (`localnet.candid`), used to encode arguments and decode replies, so values are the
project's Python values (opt = None or the value, record = dict, variant = one-key dict,
principal = kybra Principal; principals may be given as text).

`Canister.call(method, *args)` sends a query or an update as the .did says;
`Canister.result(...)` also unwraps `variant { Ok : T; Err : text }`, raising
`CkPaymentError(code, message)` for `Err`. Because every method comes from the .did, a
method added to a canister is callable here as soon as its .did is regenerated."""

from __future__ import annotations

import os
from functools import lru_cache

from localnet.candid import binary
from localnet.candid.did import parse_did
from localnet.candid.errors import CandidError
from localnet.candid.types import Func, Var, Variant

from .errors import CkPaymentError, TransportError

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def candid_dir() -> str:
    """Where the committed .did files are: `$CKPAY_CANDID_DIR`, else the package's own
    `candid/` (package data in a wheel; in the repository a link to its `candid/`)."""
    return os.environ.get("CKPAY_CANDID_DIR") or os.path.join(PACKAGE_DIR, "candid")


class Interface:
    """One canister's Candid service, from .did text."""

    def __init__(self, did_text: str, name: str = "canister"):
        self.name = name
        try:
            self.desc = parse_did(did_text)
        except CandidError as exc:
            raise TransportError(f"{name}: invalid .did ({exc})") from None
        self.env = self.desc.env
        self.methods: dict[str, Func] = {}
        for method, func in self.desc.service.methods:
            self.methods[method] = self.env.resolve(func) if isinstance(func, Var) else func

    @classmethod
    def load(cls, name_or_path: str) -> "Interface":
        """`name_or_path` is a path to a .did or a canister name under `candid_dir()`."""
        return _load(name_or_path)

    def func(self, method: str) -> Func:
        try:
            return self.methods[method]
        except KeyError:
            raise AttributeError(f"{self.name} has no method {method!r}") from None

    def is_query(self, method: str) -> bool:
        modes = self.func(method).modes
        return "query" in modes or "composite_query" in modes

    def encode_args(self, method: str, args) -> bytes:
        func = self.func(method)
        if len(args) != len(func.args):
            raise TypeError(f"{self.name}.{method} takes {len(func.args)} argument(s), {len(args)} given")
        try:
            return binary.encode(func.args, list(args), self.env)
        except CandidError as exc:
            raise TypeError(f"{self.name}.{method}: invalid argument: {exc}") from None

    def decode_reply(self, method: str, data: bytes) -> list:
        try:
            return binary.decode(data, self.func(method).rets, self.env)
        except CandidError as exc:
            raise TransportError(
                f"{self.name}.{method}: reply does not match the .did ({exc}); is the .did out of date?"
            ) from None

    def returns_result(self, method: str) -> bool:
        """True when the method returns `variant { Ok : T; Err : text }`."""
        rets = self.func(method).rets
        if len(rets) != 1:
            return False
        t = self.env.resolve(rets[0])
        return isinstance(t, Variant) and {f.name for f in t.fields} == {"Ok", "Err"}


@lru_cache(maxsize=32)
def _load(name_or_path: str) -> Interface:
    path = name_or_path
    if not path.endswith(".did"):
        path = os.path.join(candid_dir(), name_or_path + ".did")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise TransportError(f"cannot read the Candid interface {path}: {exc.strerror}") from None
    return Interface(text, os.path.basename(path)[:-4])


def unwrap(value, method: str | None = None):
    """`Ok` value of a result variant, or `CkPaymentError` for its `Err` text."""
    if isinstance(value, dict) and len(value) == 1:
        if "Ok" in value:
            return value["Ok"]
        if "Err" in value:
            err = value["Err"]
            if isinstance(err, str):
                raise CkPaymentError.from_text(err, method)
            raise CkPaymentError("error", repr(err), method)
    return value


class Canister:
    """A canister reached through an `IcAgent`, typed by its Interface."""

    def __init__(self, agent, canister_id, interface: Interface | str):
        from .agent import _text_id

        self.agent = agent
        try:
            self.canister_id = _text_id(canister_id)
        except Exception:
            raise TransportError(f"invalid canister id {canister_id!r}") from None
        self.interface = interface if isinstance(interface, Interface) else Interface.load(interface)

    def call(self, method: str, *args, query: bool | None = None):
        """The decoded reply: the value for one return value, a tuple for several, None
        for none."""
        arg = self.interface.encode_args(method, args)
        as_query = self.interface.is_query(method) if query is None else query
        send = self.agent.query_bytes if as_query else self.agent.call_bytes
        values = self.interface.decode_reply(method, send(self.canister_id, method, arg))
        if not values:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    def result(self, method: str, *args):
        """`call`, then `unwrap` of a result variant (CkPaymentError on Err)."""
        return unwrap(self.call(method, *args), method)

    def __repr__(self):
        return f"<{type(self).__name__} {self.interface.name} {self.canister_id}>"
