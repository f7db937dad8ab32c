"""Input checks shared by the canisters.

Every check returns None when the value is acceptable and otherwise the full error text,
starting with the stable code `invalid_argument:` so callers can return it as `Err` as is.
Checks never raise: canister methods must answer bad input with `Err`, never trap.
"""

import re

from kybra import Principal

# Patterns end in \Z, not $: `$` also matches before a final newline, and check_text lets
# newlines through, so "https://shop.example\n" would pass a `$`-anchored pattern.

METADATA_MAX_KEYS = 50
METADATA_MAX_KEY_LEN = 40
METADATA_MAX_VALUE_LEN = 500
URL_MAX_LEN = 2048
EMAIL_MAX_LEN = 254
SHORT_TEXT_MAX = 100
LONG_TEXT_MAX = 1000

EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z"
)
HOST_RE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\Z"
)
URL_RE = re.compile(r"^(https?)://([^/?#:@\s]+)(?::([0-9]{1,5}))?([/?#][^\s]*)?\Z")
COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\Z")
SIZE_RE = re.compile(r"^(?:0|[0-9]{1,4}(?:\.[0-9]{1,3})?(?:px|rem|em|%|vh|vw))\Z")
FONT_RE = re.compile(r"^[A-Za-z0-9 ,'\"-]{1,100}\Z")
SYMBOL_RE = re.compile(r"^[A-Za-z0-9.\-]{1,16}\Z")
SLUG_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}\Z")
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def invalid(field: str, why: str) -> str:
    """The error text for a rejected input field."""
    return "invalid_argument: " + field + " " + why


def check_text(field: str, value: str, max_len: int, min_len: int = 0) -> "str | None":
    """Length bounds (in characters) and no control characters except newline and tab."""
    if not isinstance(value, str):
        return invalid(field, "must be text")
    if len(value) < min_len:
        return invalid(field, "must have at least " + str(min_len) + " characters")
    if len(value) > max_len:
        return invalid(field, "must have at most " + str(max_len) + " characters")
    for ch in value:
        if ord(ch) < 32 and ch not in "\n\t":
            return invalid(field, "contains a control character")
    return None


def check_opt_text(field: str, value: "str | None", max_len: int) -> "str | None":
    """Like check_text for an optional value; None passes."""
    if value is None:
        return None
    return check_text(field, value, max_len, 1)


def check_url(field: str, url: str, allow_http_local: bool = True) -> "str | None":
    """An absolute https URL (http only for localhost), bounded, with a valid host name.

    The checkout placeholder `{CHECKOUT_SESSION_ID}` may appear in the path or query.
    """
    err = check_text(field, url, URL_MAX_LEN, 1)
    if err is not None:
        return err
    m = URL_RE.match(url)
    if m is None:
        return invalid(field, "must be an absolute http(s) URL")
    scheme = m.group(1)
    host = m.group(2).lower()
    port = m.group(3)
    if HOST_RE.match(host) is None:
        return invalid(field, "has an invalid host name")
    if port is not None and (int(port) < 1 or int(port) > 65535):
        return invalid(field, "has an invalid port")
    if scheme == "http":
        is_local = host in LOCAL_HOSTS or host.endswith(".localhost")
        if not (allow_http_local and is_local):
            return invalid(field, "must use https")
    rest = m.group(4) or ""
    for ch in "<>\"'`\\":
        if ch in rest:
            return invalid(field, "contains a character not allowed in a URL")
    return None


def check_email(field: str, email: str) -> "str | None":
    """A plausible address: local@domain with a dotted domain, at most 254 characters."""
    err = check_text(field, email, EMAIL_MAX_LEN, 3)
    if err is not None:
        return err
    if EMAIL_RE.match(email) is None:
        return invalid(field, "is not a valid email address")
    if len(email.split("@")[0]) > 64:
        return invalid(field, "has a local part longer than 64 characters")
    return None


def check_pairs(field: str, entries: list, max_keys: int, max_key: int, max_value: int) -> "str | None":
    """A list of {key, value} records: bounded count and lengths, non-empty unique keys."""
    if len(entries) > max_keys:
        return invalid(field, "has more than " + str(max_keys) + " keys")
    seen = set()
    for entry in entries:
        key = entry["key"]
        err = check_text(field + " key", key, max_key, 1)
        if err is not None:
            return err
        if key in seen:
            return invalid(field, "has the key '" + key + "' twice")
        seen.add(key)
        err = check_text(field + " value for '" + key + "'", entry["value"], max_value)
        if err is not None:
            return err
    return None


def check_metadata(entries: list) -> "str | None":
    """Stripe's metadata limits: 50 keys, key 40 characters, value 500 characters."""
    return check_pairs("metadata", entries, METADATA_MAX_KEYS, METADATA_MAX_KEY_LEN, METADATA_MAX_VALUE_LEN)


def check_color(field: str, value: str) -> "str | None":
    """A CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa."""
    if not isinstance(value, str) or COLOR_RE.match(value) is None:
        return invalid(field, "must be a hex colour like #1a2b3c")
    return None


def check_size(field: str, value: str) -> "str | None":
    """A CSS length: 0 or a number with px, rem, em, %, vh or vw."""
    if not isinstance(value, str) or SIZE_RE.match(value) is None:
        return invalid(field, "must be a CSS size like 16px, 1.5rem or 100%")
    return None


def check_font(field: str, value: str) -> "str | None":
    """A CSS font-family list made of safe characters only."""
    if not isinstance(value, str) or FONT_RE.match(value) is None:
        return invalid(
            field, "must be a font family list (letters, digits, spaces, commas, quotes, hyphens; at most 100)"
        )
    return None


def check_symbol(field: str, value: str) -> "str | None":
    """A token symbol such as ICP, ckBTC or ckUSDC."""
    if not isinstance(value, str) or SYMBOL_RE.match(value) is None:
        return invalid(field, "must be 1-16 letters, digits, dots or hyphens")
    return None


def check_slug(field: str, value: str) -> "str | None":
    """An identifier chosen by a caller: 1-64 letters, digits, underscores or hyphens."""
    if not isinstance(value, str) or SLUG_RE.match(value) is None:
        return invalid(field, "must be 1-64 letters, digits, underscores or hyphens")
    return None


def check_range(field: str, value: int, low: int, high: int) -> "str | None":
    """An integer within [low, high]."""
    if value < low or value > high:
        return invalid(field, "must be between " + str(low) + " and " + str(high))
    return None


def check_choice(field: str, value: str, choices: tuple) -> "str | None":
    """One of a fixed set of words."""
    if value not in choices:
        return invalid(field, "must be one of " + ", ".join(choices))
    return None


def first_error(errors: list) -> "str | None":
    """The first non-None error of a list of check results."""
    for err in errors:
        if err is not None:
            return err
    return None


def is_principal_text(value: str) -> bool:
    """True for the canonical textual form of a principal."""
    try:
        return Principal.from_str(value).to_str() == value
    except Exception:
        return False
