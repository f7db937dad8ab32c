"""Named identities for the CLI, stored as PEM files like dfx does:
`$LOCALNET_HOME/identity/<name>/identity.pem` (LOCALNET_HOME defaults to
~/.config/localnet), the selected one named in `$LOCALNET_HOME/identity.json`."""
from __future__ import annotations

import json
import os
import re

from ic.identity import Identity

DEFAULT = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class IdentityError(Exception):
    pass


def home() -> str:
    return os.environ.get("LOCALNET_HOME") or os.path.join(os.path.expanduser("~"), ".config",
                                                           "localnet")


def _pem_path(name: str) -> str:
    return os.path.join(home(), "identity", name, "identity.pem")


def _check_name(name: str):
    if not _NAME.match(name):
        raise IdentityError(f"invalid identity name {name!r}: use letters, digits, . _ -")


def names() -> list[str]:
    root = os.path.join(home(), "identity")
    if not os.path.isdir(root):
        return []
    return sorted(n for n in os.listdir(root) if os.path.exists(_pem_path(n)))


def create(name: str, key_type: str = "ed25519") -> Identity:
    _check_name(name)
    if key_type not in ("ed25519", "secp256k1"):
        raise IdentityError(f"unsupported key type {key_type!r} (ed25519 or secp256k1)")
    path = _pem_path(name)
    if os.path.exists(path):
        raise IdentityError(f"identity {name!r} already exists")
    ident = Identity(type=key_type)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(ident.to_pem())
    return ident


def selected() -> str:
    try:
        with open(os.path.join(home(), "identity.json"), encoding="utf-8") as f:
            return json.load(f).get("default", DEFAULT)
    except (OSError, ValueError):
        return DEFAULT


def use(name: str) -> None:
    _check_name(name)
    if not os.path.exists(_pem_path(name)):
        raise IdentityError(f"no identity named {name!r} (see `localnet identity list`)")
    os.makedirs(home(), exist_ok=True)
    with open(os.path.join(home(), "identity.json"), "w", encoding="utf-8") as f:
        json.dump({"default": name}, f)


def load(name: str | None = None) -> Identity:
    """Load a named identity (the selected one if None); `default` is created on first use."""
    name = name or selected()
    _check_name(name)
    path = _pem_path(name)
    if not os.path.exists(path):
        if name == DEFAULT:
            return create(DEFAULT)
        raise IdentityError(f"no identity named {name!r} (see `localnet identity list`)")
    with open(path, "rb") as f:
        pem = f.read()
    try:
        ident = Identity.from_pem(pem.decode())
    except Exception as exc:
        raise IdentityError(f"{path}: not a usable PEM key ({exc})") from None
    if ident.key_type not in ("ed25519", "secp256k1"):
        raise IdentityError(f"{path}: unsupported key type")
    return ident
