"""Unit tests of the shared canister helpers (src/common/validation.py, ids.py,
pagination.py, icrc_account.py): plain functions, so they run under CPython directly."""

from __future__ import annotations

import hashlib

import pytest
from kybra import Principal

from src.common import ids, pagination, validation
from src.common.icrc_account import account_to_text, same_subaccount

SPEC_OWNER = "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae"


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://shop.example.com/thanks?id={CHECKOUT_SESSION_ID}", True),
        ("https://example.com", True),
        ("http://localhost:3000/done", True),
        ("http://127.0.0.1/done", True),
        ("http://example.com/done", False),
        ("ftp://example.com", False),
        ("javascript:alert(1)", False),
        ("https://exa mple.com", False),
        ("https://-bad-.com/", False),
        ("https://example.com/<script>", False),
        ("https://example.com:99999/", False),
        ("https://" + "a" * 2100 + ".com", False),
        ("", False),
    ],
)
def test_check_url(url, ok):
    err = validation.check_url("success_url", url)
    assert (err is None) == ok, err
    if not ok:
        assert err.startswith("invalid_argument: success_url")


@pytest.mark.parametrize(
    "email, ok",
    [
        ("buyer@example.com", True),
        ("first.last+tag@mail.example.org", True),
        ("no-at-sign.example.com", False),
        ("buyer@localhost", False),
        ("a@b", False),
        ("x" * 65 + "@example.com", False),
        ("buyer@exa mple.com", False),
    ],
)
def test_check_email(email, ok):
    assert (validation.check_email("customer_email", email) is None) == ok


def test_metadata_limits():
    pair = lambda k, v: {"key": k, "value": v}  # noqa: E731
    assert validation.check_metadata([pair("order", "42")]) is None
    assert validation.check_metadata([pair(f"k{i}", "v") for i in range(50)]) is None
    assert "more than 50 keys" in validation.check_metadata([pair(f"k{i}", "v") for i in range(51)])
    assert "at most 40" in validation.check_metadata([pair("k" * 41, "v")])
    assert "at most 500" in validation.check_metadata([pair("k", "v" * 501)])
    assert "twice" in validation.check_metadata([pair("k", "1"), pair("k", "2")])
    assert "at least 1" in validation.check_metadata([pair("", "v")])
    assert "control character" in validation.check_metadata([pair("k", "a\x00b")])


@pytest.mark.parametrize(
    "value, ok",
    [("#fff", True), ("#1a2B3c", True), ("#1a2b3c80", True), ("red", False), ("#12", False), ("#gggggg", False)],
)
def test_check_color(value, ok):
    assert (validation.check_color("c", value) is None) == ok


@pytest.mark.parametrize(
    "value, ok",
    [("16px", True), ("1.5rem", True), ("100%", True), ("0", True), ("12", False), ("12pt", False), ("-1px", False)],
)
def test_check_size(value, ok):
    assert (validation.check_size("s", value) is None) == ok


def test_font_and_symbol():
    assert validation.check_font("f", "'Inter', Helvetica, sans-serif") is None
    assert validation.check_font("f", "x; background:url(evil)") is not None
    assert validation.check_symbol("s", "ckBTC") is None
    assert validation.check_symbol("s", "") is not None
    assert validation.check_symbol("s", "TOO-LONG-SYMBOL-NAME") is not None


def test_session_ids_embed_the_routing_key():
    rand = bytes(range(32))
    sid = ids.make_session_id("shop42", rand, "1")
    assert sid.startswith("cs_shop42_") and len(sid) == len("cs_shop42_") + 32
    assert ids.session_routing_key(sid) == "shop42"
    assert ids.make_session_id("shop42", rand, "2") != sid
    assert ids.session_routing_key("cs_shop42_xyz") is None
    assert ids.session_routing_key("cs_Shop42_" + "0" * 32) is None
    assert ids.session_routing_key("pay_shop42_" + "0" * 32) is None
    assert ids.check_routing_key("abc123") is None
    assert ids.check_routing_key("ABC") is not None
    assert ids.check_routing_key("a" * 25) is not None


def test_subaccount_and_memo_are_derived_from_the_id():
    assert ids.subaccount_for("cs_x_1") == hashlib.sha256(b"cs_x_1").digest()
    assert len(ids.memo_for("cs_x_1")) == 32
    assert ids.memo_for("cs_x_1") != ids.subaccount_for("cs_x_1")
    assert ids.check_id("session_id", "cs_abc_0123", "cs") is None
    assert ids.check_id("session_id", "pay_abc", "cs") is not None
    assert ids.check_id("session_id", "cs_a b", "cs") is not None


def test_icrc1_textual_encoding_matches_the_spec_examples():
    owner = Principal.from_str(SPEC_OWNER)
    assert account_to_text(SPEC_OWNER, owner.bytes, None) == SPEC_OWNER
    assert account_to_text(SPEC_OWNER, owner.bytes, bytes(32)) == SPEC_OWNER
    assert account_to_text(SPEC_OWNER, owner.bytes, bytes(31) + b"\x01") == SPEC_OWNER + "-6cc627i.1"
    assert account_to_text(SPEC_OWNER, owner.bytes, bytes(range(1, 33))) == (
        SPEC_OWNER + "-dfxgiyy.102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
    )
    assert same_subaccount(None, bytes(32)) and not same_subaccount(None, bytes(31) + b"\x01")


def test_pagination_newest_first_with_gaps():
    store = {i: f"item{i}" for i in range(1, 251) if i % 10 != 0}
    seen = []
    cursor = None
    while True:
        items, cursor, err = pagination.page_desc(store.get, 250, cursor, 100)
        assert err is None
        assert len(items) <= 100
        seen.extend(items)
        if cursor is None:
            break
    assert seen == [store[i] for i in sorted(store, reverse=True)]
    items, cursor, err = pagination.page_desc(store.get, 250, None, None)
    assert len(items) == pagination.DEFAULT_LIMIT and cursor is not None
    assert pagination.page_desc(store.get, 250, None, 101)[2].startswith("invalid_argument: limit")
    assert pagination.page_desc(store.get, 250, "abc", 10)[2].startswith("invalid_argument: cursor")
    assert pagination.page_desc(store.get, 0, None, 10) == ([], None, None)


def test_pagination_stops_at_the_page_byte_budget():
    """With size_of a page ends before MAX_PAGE_BYTES (the reply limit), always with at
    least one item, and the cursor resumes at the first item left out."""
    big = pagination.MAX_PAGE_BYTES // 3 + 1
    store = {i: i for i in range(1, 11)}
    seen, cursor = [], None
    while True:
        items, cursor, err = pagination.page_desc(store.get, 10, cursor, 100, lambda _: big)
        assert err is None and len(items) == (2 if cursor is not None else len(items))
        seen.extend(items)
        if cursor is None:
            break
    assert seen == list(range(10, 0, -1))
    huge = pagination.MAX_PAGE_BYTES + 1
    assert pagination.page_desc(store.get, 10, None, 100, lambda _: huge)[0] == [10]


def test_pagination_by_key_after_the_cursor():
    store = {f"k{i:03d}": i for i in range(45)}
    keys = sorted(store)
    seen, cursor = [], None
    while True:
        items, cursor, err = pagination.page_by_key(keys, store.get, cursor, None, 20, 10)
        assert err is None and len(items) <= 20
        seen.extend(items)
        if cursor is None:
            break
    assert seen == list(range(45))
    assert pagination.page_by_key(keys, store.get, None, 21, 20, 10)[2].startswith("invalid_argument: limit")
    assert pagination.page_by_key(keys, store.get, "x" * 11, 5, 20, 10)[2].startswith("invalid_argument: cursor")
    assert pagination.page_by_key(keys, store.get, "k044", 5, 20, 10) == ([], None, None)
