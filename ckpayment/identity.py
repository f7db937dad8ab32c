"""Identities from PEM files in the formats dfx writes (`~/.config/dfx/identity/<name>/
identity.pem`): Ed25519 PKCS#8 (v1, and v2 with the public key, as older dfx wrote) and
secp256k1 as SEC1 `EC PRIVATE KEY` (optionally after an `EC PARAMETERS` block, as
`openssl ecparam -genkey` writes) or PKCS#8. Returns ic-py `Identity` objects.

Also the one identity store of `ckpay` and `localnet`, in dfx's layout:
`<home>/identity/<name>/identity.pem`, the selected name in `<home>/identity.json`
(`{"default": NAME}`). `<home>` is `$LOCALNET_HOME` when set (a demo's own keys),
else `$DFX_CONFIG_ROOT/.config/dfx`, else `~/.config/dfx`, so dfx's identities work as
they are. Commands take a name or a PEM path (`resolve_identity`)."""

from __future__ import annotations

import json
import os
import re

from ic.identity import Identity

from .errors import IdentityError

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_KEY_BLOCKS = ("PRIVATE KEY", "EC PRIVATE KEY")


def _private_key_pem(text: str, where: str) -> str:
    for label, body in _BLOCK.findall(text):
        if label in _KEY_BLOCKS:
            return f"-----BEGIN {label}-----{body}-----END {label}-----\n"
        if label == "ENCRYPTED PRIVATE KEY":
            raise IdentityError(
                f"{where}: the key is encrypted; export it without a password (`dfx identity export NAME`)"
            )
    raise IdentityError(f"{where}: no PRIVATE KEY or EC PRIVATE KEY block found")


_ED25519_PREFIX = bytes.fromhex("020101300506032b657004220420")  # v2, OID 1.3.101.112


def _ed25519_pkcs8_v2(block: str):
    """PKCS#8 v2 (RFC 5958, with the public key) Ed25519 keys, which older dfx versions
    wrote and `cryptography` refuses: the seed is checked against the embedded public key."""
    import base64
    import binascii

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    body = "".join(block.strip().splitlines()[1:-1])
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(der) != 85 or der[:2] != b"\x30\x53" or der[2:16] != _ED25519_PREFIX:
        return None
    if der[48:53] != bytes.fromhex("a123032100"):
        return None
    key = ed25519.Ed25519PrivateKey.from_private_bytes(der[16:48])
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if public != der[53:85]:
        raise IdentityError("the Ed25519 key's embedded public key does not match its seed")
    return key


def _ecdsa_fallback(block: str):
    """Keys `cryptography` refuses but the `ecdsa` package reads, e.g. the PKCS#8 with
    version 1 and no public key that ic-py's `Identity.to_pem()` writes."""
    import ecdsa

    try:
        key = ecdsa.SigningKey.from_pem(block)
    except Exception:
        return None
    if key.curve == ecdsa.curves.SECP256k1:
        return Identity(privkey=key.to_string().hex(), type="secp256k1")
    if key.curve == ecdsa.curves.Ed25519:
        return Identity(privkey=key.to_string().hex(), type="ed25519")
    return None


def identity_from_pem(pem: str | bytes, where: str = "PEM") -> Identity:
    """An ic-py Identity for an Ed25519 or secp256k1 private key in PEM text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    text = pem.decode("utf-8", "replace") if isinstance(pem, (bytes, bytearray)) else pem
    block = _private_key_pem(text, where)
    try:
        key = serialization.load_pem_private_key(block.encode(), password=None)
    except (ValueError, TypeError) as exc:
        try:
            key = _ed25519_pkcs8_v2(block)
        except IdentityError as bad:
            raise IdentityError(f"{where}: not a usable private key ({bad})") from None
        if key is None:
            ident = _ecdsa_fallback(block)
            if ident is not None:
                return ident
            reason = " ".join(str(exc).split())
            raise IdentityError(f"{where}: not a usable private key ({reason})") from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return Identity(privkey=raw.hex(), type="ed25519")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256K1):
            raise IdentityError(f"{where}: EC curve {key.curve.name} is not supported (secp256k1 or Ed25519)")
        secret = key.private_numbers().private_value.to_bytes(32, "big")
        return Identity(privkey=secret.hex(), type="secp256k1")
    raise IdentityError(f"{where}: {type(key).__name__} keys are not supported (secp256k1 or Ed25519)")


def load_identity(path: str | None) -> Identity:
    """The identity in the PEM file `path`; None or "anonymous" gives the anonymous one."""
    if path is None or path == "anonymous":
        return Identity(anonymous=True)
    path = os.path.expanduser(path)
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except FileNotFoundError:
        raise IdentityError(f"{path}: no such identity file") from None
    except OSError as exc:
        raise IdentityError(f"{path}: cannot read ({exc.strerror})") from None
    return identity_from_pem(data, path)


def new_identity_pem(key_type: str = "ed25519") -> bytes:
    """A fresh key as PEM (PKCS#8 for Ed25519, SEC1 for secp256k1, as dfx writes them)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if key_type == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
        fmt = serialization.PrivateFormat.PKCS8
    elif key_type == "secp256k1":
        key = ec.generate_private_key(ec.SECP256K1())
        fmt = serialization.PrivateFormat.TraditionalOpenSSL
    else:
        raise IdentityError(f"unsupported key type {key_type!r} (ed25519 or secp256k1)")
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def principal_of(identity) -> str:
    return identity.sender().to_str()


# ---- the identity store (dfx's layout) ----------------------------------------------------
DEFAULT_NAME = "default"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"^[A-Za-z0-9@._-]{1,64}$")


def store_home() -> str:
    """The directory holding `identity/` and `identity.json` (see the module docstring)."""
    if os.environ.get("LOCALNET_HOME"):
        return os.environ["LOCALNET_HOME"]
    root = os.environ.get("DFX_CONFIG_ROOT") or os.path.expanduser("~")
    return os.path.join(root, ".config", "dfx")


def identity_pem_path(name: str) -> str:
    return os.path.join(store_home(), "identity", name, "identity.pem")


def _check_name(name: str) -> None:
    if not _NAME.match(name) or name in (".", ".."):
        raise IdentityError(f"invalid identity name {name!r}: use letters, digits, @ . _ -")


def identity_names() -> list[str]:
    """Stored identities (with a plain PEM file), sorted; `anonymous` is always there."""
    root = os.path.join(store_home(), "identity")
    found = set()
    if os.path.isdir(root):
        found = {n for n in os.listdir(root) if os.path.exists(identity_pem_path(n))}
    return sorted(found | {ANONYMOUS})


def selected_identity() -> str:
    """The name `identity use` selected (dfx's `identity.json`), `default` if none."""
    try:
        with open(os.path.join(store_home(), "identity.json"), encoding="utf-8") as f:
            name = json.load(f).get("default")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_NAME
    return name if isinstance(name, str) and name else DEFAULT_NAME


def create_identity(name: str, key_type: str = "ed25519") -> Identity:
    """A new key stored as `name` (PEM as dfx writes it, mode 0600)."""
    _check_name(name)
    if name == ANONYMOUS:
        raise IdentityError("`anonymous` is built in and cannot be created")
    pem = new_identity_pem(key_type)
    path = identity_pem_path(name)
    if os.path.exists(path):
        raise IdentityError(f"identity {name!r} already exists ({path})")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return identity_from_pem(pem, path)


def use_identity(name: str) -> None:
    """Select `name` for commands without `--identity` (dfx's `identity.json`)."""
    _check_name(name)
    if name != ANONYMOUS and not os.path.exists(identity_pem_path(name)):
        raise IdentityError(_missing(name))
    os.makedirs(store_home(), exist_ok=True)
    path = os.path.join(store_home(), "identity.json")
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"default": name}, f)
    os.replace(path + ".tmp", path)


def _missing(name: str) -> str:
    folder = os.path.join(store_home(), "identity", name)
    if os.path.exists(os.path.join(folder, "identity.pem.encrypted")):
        return (
            f"identity {name!r} is encrypted by dfx; export it (`dfx identity export "
            f"{name} > {name}.pem`) and pass the PEM path"
        )
    if os.path.isdir(folder):
        return (
            f"identity {name!r} has no identity.pem (dfx keeps it in the system keyring); "
            f"export it (`dfx identity export {name} > {name}.pem`) and pass the PEM path"
        )
    return f"no identity named {name!r} in {store_home()}/identity (see `localnet identity list`, or pass a PEM path)"


def _is_path(spec: str) -> bool:
    return os.sep in spec or spec.startswith("~") or spec.endswith(".pem") or os.path.isfile(spec)


def resolve_identity(spec: str | None = None) -> Identity:
    """The identity a command's `--identity` names: a PEM path (has a `/`, ends in `.pem`
    or is a file), a stored name, `anonymous`, or None for the selected one. `default` is
    created on first use, as dfx does."""
    if spec is not None and _is_path(spec):
        return load_identity(spec)
    name = spec or selected_identity()
    if name == ANONYMOUS:
        return Identity(anonymous=True)
    _check_name(name)
    path = identity_pem_path(name)
    if not os.path.exists(path):
        if name == DEFAULT_NAME:
            return create_identity(DEFAULT_NAME)
        raise IdentityError(_missing(name))
    return load_identity(path)
