"""Textual Candid values: dfx-style printing, type-directed parsing, and round trips."""

import random

import pytest
from candid_random_values import ENV, random_type, random_value
from conformance_suite import normalize
from kybra import Principal

from localnet.candid import CandidError, decode, encode, format_args, parse_args, parse_did
from localnet.candid.did import parse_types
from localnet.candid.types import BLOB, FLOAT32, FLOAT64, INT, NAT, NAT8, NAT64, TEXT, Field, Opt, Record, Variant, Vec


@pytest.mark.parametrize("seed", range(30))
def test_random_format_parse_round_trip(seed):
    rng = random.Random(seed)
    for _ in range(20):
        types = [random_type(rng) for _ in range(rng.randint(0, 3))]
        values = [random_value(rng, t, finite_floats=True) for t in types]
        text = format_args(values, types, ENV)
        assert normalize(parse_args(text, types, ENV)) == normalize(values), text
        # text and binary agree
        assert normalize(decode(encode(types, parse_args(text, types, ENV), ENV), types, ENV)) == normalize(values)


def test_dfx_style_output():
    desc = parse_did(
        "type R = record { amount : nat64; memo : opt blob; to : principal };"
        "type V = variant { Ok : R; Err : text; Pending };"
    )
    types = parse_types("(R, V, V, vec int8, float64, text)")
    values = [
        {"amount": 1_000_000, "memo": b'ab\x00"', "to": Principal(b"")},
        {"Err": 'say "hi"\n'},
        {"Pending": None},
        [-1, 2],
        0.5,
        "☃",
    ]
    assert format_args(values, types, desc.env) == (
        '(record { amount = 1_000_000 : nat64; memo = opt blob "ab\\00\\22"; '
        'to = principal "aaaaa-aa" }, variant { Err = "say \\"hi\\"\\n" }, '
        'variant { Pending }, vec { -1 : int8; 2 : int8 }, 0.5 : float64, "☃")'
    )


def test_type_directed_parsing():
    types = [NAT8, FLOAT64, FLOAT32, BLOB, BLOB, Opt(NAT), Opt(Opt(NAT)), INT]
    assert parse_args('(7, 1, 0.1, vec { 1; 2 }, blob "\\ff\\00a", 5, null, -0x10)', types) == [
        7,
        1.0,
        pytest.approx(0.1, rel=1e-7),
        b"\x01\x02",
        b"\xff\x00a",
        5,
        None,
        -16,
    ]
    rec = Record((Field.named("a", NAT), Field(1, TEXT), Field.named("c", Opt(NAT))))
    assert parse_args('(record { a = 1_000; 1 = "x"; ignored = true })', [rec]) == [{"a": 1000, "_1_": "x", "c": None}]


def test_untyped_parsing_and_annotations():
    values = parse_args(
        '(42, -1, "t", opt true, vec { 1 }, record { 5; "x" }, '
        'variant { A }, func "aaaaa-aa".m, service "aaaaa-aa", (300 : nat64))'
    )
    assert values[:7] == [42, -1, "t", True, [1], (5, "x"), {"A": None}]
    assert values[7][0].to_str() == "aaaaa-aa" and values[7][1] == "m"
    assert values[8].to_str() == "aaaaa-aa"
    assert values[9] == 300
    assert parse_args("(1 : nat)", [INT]) == [1]  # nat <: int
    with pytest.raises(CandidError, match="not a subtype"):
        parse_args("(1 : nat8)", [NAT])
    with pytest.raises(CandidError, match="out of range"):
        parse_args("(300 : nat8)", [NAT])


@pytest.mark.parametrize(
    "text, types, message",
    [
        ("(-1)", [NAT], "out of range"),
        ("(256)", [NAT8], "out of range"),
        ('("x")', [NAT], "expected nat"),
        ("(1.5)", [INT], "expected int"),
        ("(record {})", [Record((Field.named("a", NAT),))], "missing"),
        ("(variant { B })", [Variant((Field.named("A", NAT),))], "not in the type"),
        ('(principal "abc")', [TEXT], "principal"),
        ('("\\u{d800}")', [TEXT], "code point"),
        ('("\\ff")', [TEXT], "UTF-8"),
        ("(1, 2", [NAT, NAT], "expected"),
        ("(1) 2", [NAT], "trailing"),
        ("()", [NAT], "missing"),
        ("(vec { 1; 300 })", [BLOB], "out of range"),
        ("(record { a = 1; a = 2 })", None, "duplicate"),
        ("(variant { A; B })", None, "exactly one"),
    ],
)
def test_parse_errors(text, types, message):
    with pytest.raises(CandidError, match=message):
        parse_args(text, types)


def test_missing_trailing_optional_arguments():
    assert parse_args("()", [Opt(NAT), Opt(TEXT)]) == [None, None]
    assert parse_args("(1)", [NAT, Opt(Vec(NAT))]) == [1, None]


def test_format_errors_are_candid_errors():
    with pytest.raises(CandidError):
        format_args([-1], [NAT64])
    with pytest.raises(CandidError):
        format_args([{"Z": 1}], [Variant((Field.named("A", NAT),))])
    with pytest.raises(CandidError):
        format_args([1, 2], [NAT])


def test_untyped_text_to_bytes_and_back():
    from localnet.candid.text import decode_to_text, encode_text

    data = encode_text(
        '(42, -1, "x", opt true, vec { 1; 2 }, record { a = 1 : nat8 }, '
        'variant { Ok = 3.5 }, blob "ab", principal "aaaaa-aa", vec {}, null)'
    )
    assert data == encode(
        parse_types(
            "(int, int, text, opt bool, vec int, record { a : nat8 }, "
            "variant { Ok : float64 }, blob, principal, vec empty, null)"
        ),
        [42, -1, "x", True, [1, 2], {"a": 1}, {"Ok": 3.5}, b"ab", Principal(b""), [], None],
    )
    assert decode_to_text(data) == (
        '(42 : int, -1 : int, "x", opt true, vec { 1 : int; 2 : int }, '
        'record { 97 = 1 : nat8 }, variant { 17_724 = 3.5 : float64 }, blob "ab", '
        'principal "aaaaa-aa", vec {}, null)'
    )
    # the printed text parses back to the same message
    assert encode_text(decode_to_text(data)) == data
    with pytest.raises(CandidError):
        decode_to_text(b"DIDL\x00\x01\x7d")


def test_errors_name_the_argument():
    with pytest.raises(CandidError, match="argument 1: 300 is out of range"):
        parse_args("(1 : nat8, 300 : nat8)")
    with pytest.raises(CandidError, match="argument 0: invalid type"):
        parse_args("(1 : Unknown)")
    with pytest.raises(CandidError, match="argument 2: missing"):
        parse_args("(1, 2)", [NAT, NAT, NAT])
