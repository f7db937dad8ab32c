"""Binary codec: random round trips, host value forms, errors, and decoding rules the
conformance suite does not pin down (key names, caching, metering)."""

import random

import pytest
from candid_random_values import ENV, random_type, random_value
from conformance_suite import normalize
from ic.principal import Principal as IcPyPrincipal
from kybra import Principal

from localnet.candid import CandidError, decode, encode
from localnet.candid.binary import leb128, sleb128
from localnet.candid.types import (
    BLOB,
    BOOL,
    FLOAT32,
    INT,
    INT8,
    NAT,
    NAT8,
    NAT64,
    NULL,
    PRINCIPAL,
    RESERVED,
    TEXT,
    Field,
    Func,
    Opt,
    Record,
    Service,
    TypeEnv,
    Var,
    Variant,
    Vec,
    tuple_record,
)


@pytest.mark.parametrize("seed", range(40))
def test_random_round_trip(seed):
    rng = random.Random(seed)
    for _ in range(25):
        types = [random_type(rng) for _ in range(rng.randint(0, 3))]
        values = [random_value(rng, t) for t in types]
        data = encode(types, values, ENV)
        assert normalize(decode(data, types, ENV)) == normalize(values)
        # without types the same number of values comes back, and re-encoding at the
        # original types is impossible only for renamed keys: check the count and blobs
        untyped = decode(data)
        assert len(untyped) == len(values)


@pytest.mark.parametrize("seed", range(10))
def test_corrupted_messages_raise_candid_error_only(seed):
    rng = random.Random(1000 + seed)
    for _ in range(30):
        types = [random_type(rng) for _ in range(rng.randint(1, 3))]
        data = bytearray(encode(types, [random_value(rng, t) for t in types], ENV))
        for _ in range(8):
            mutated = bytearray(data)
            op = rng.randrange(3)
            i = rng.randrange(len(mutated))
            if op == 0:
                mutated[i] = rng.randrange(256)
            elif op == 1:
                del mutated[i:]
            else:
                mutated.insert(i, rng.randrange(256))
            for expected in (types, None):
                try:
                    decode(bytes(mutated), expected, ENV)
                except CandidError:
                    pass


def test_known_encodings():
    assert encode([], []) == b"DIDL\x00\x00"
    assert encode([NAT], [128]) == b"DIDL\x00\x01\x7d\x80\x01"
    assert encode([INT], [-128]) == b"DIDL\x00\x01\x7c\x80\x7f"
    assert encode([TEXT], ["☃"]) == b"DIDL\x00\x01\x71\x03\xe2\x98\x83"
    assert encode([PRINCIPAL], ["aaaaa-aa"]) == b"DIDL\x00\x01\x68\x01\x00"
    assert encode([Opt(BOOL)], [True]) == b"DIDL\x01\x6e\x7e\x01\x00\x01\x01"
    assert encode([BLOB], [b"\x01\x02"]) == b"DIDL\x01\x6d\x7b\x01\x00\x02\x01\x02"
    # record fields are written in id order, variant index is the position by id
    rec = Record((Field.named("foo", INT), Field.named("bar", BOOL)))
    assert (
        encode([rec], [{"foo": 42, "bar": True}])
        == b"DIDL\x01\x6c\x02\xd3\xe3\xaa\x02\x7e\x86\x8e\xb7\x02\x7c\x01\x00\x01\x2a"
    )
    var = Variant((Field.named("Ok", TEXT), Field.named("Err", TEXT)))
    assert (
        encode([var], [{"Ok": "good"}]) == b"DIDL\x01\x6b\x02\xbc\x8a\x01\x71\xc5\xfe\xd2\x01\x71\x01\x00\x00\x04good"
    )


def test_leb128():
    assert leb128(0) == b"\x00" and leb128(624485) == b"\xe5\x8e\x26"
    assert sleb128(-123456) == b"\xc0\xbb\x78" and sleb128(63) == b"\x3f"
    assert sleb128(64) == b"\xc0\x00" and sleb128(-65) == b"\xbf\x7f"


def test_recursive_type_shares_one_table_entry():
    env = TypeEnv({"L": Opt(Record((Field.named("h", NAT), Field.named("t", Var("L")))))})
    value = {"h": 1, "t": {"h": 2, "t": None}}
    data = encode([Var("L"), Var("L")], [value, None], env)
    assert data.startswith(b"DIDL\x02")  # opt + record, reused by both arguments
    assert decode(data, [Var("L"), Var("L")], env) == [value, None]


def test_principal_host_forms():
    raw = bytes.fromhex("efcdab000000000001")
    expected = encode([PRINCIPAL], [Principal(raw)])
    assert encode([PRINCIPAL], [IcPyPrincipal(raw)]) == expected
    assert encode([PRINCIPAL], ["2chl6-4hpzw-vqaaa-aaaaa-c"]) == expected
    out = decode(expected, [PRINCIPAL])[0]
    assert isinstance(out, Principal) and out.to_str() == "2chl6-4hpzw-vqaaa-aaaaa-c"


def test_blob_host_forms_and_reference_values():
    assert encode([BLOB], [[1, 2]]) == encode([BLOB], [bytearray(b"\x01\x02")])
    f = Func((TEXT,), (NAT,), ("query",))
    s = Service((("m", f),))
    data = encode([f, s], [("aaaaa-aa", "m"), Principal(b"\x01")])
    (p, method), svc = decode(data, [f, s])
    assert p.to_str() == "aaaaa-aa" and method == "m" and svc.bytes == b"\x01"
    # a service reference decodes at principal
    assert decode(data, [f, PRINCIPAL])[1].bytes == b"\x01"


def test_missing_optional_record_fields_and_extra_keys():
    rec = Record((Field.named("a", NAT), Field.named("b", Opt(TEXT))))
    assert decode(encode([rec], [{"a": 1, "extra": object()}]), [rec]) == [{"a": 1, "b": None}]


@pytest.mark.parametrize(
    "types, values, message",
    [
        ([NAT], [-1], "nat"),
        ([NAT], [True], "nat"),
        ([NAT8], [256], "nat8"),
        ([INT8], [-129], "int8"),
        ([NAT64], [2**64], "nat64"),
        ([TEXT], [b"x"], "text"),
        ([TEXT], ["\ud800"], "surrogates"),
        ([BOOL], [1], "bool"),
        ([NULL], [0], "None"),
        ([FLOAT32], [1e300], "float32"),
        ([BLOB], [[256]], "0..255"),
        ([Vec(NAT)], [{1, 2}], "list"),
        ([Record((Field.named("a", NAT),))], [{}], "'a'"),
        ([Record((Field.named("a", NAT),))], [{"a": "x"}], "'a'"),
        ([Variant((Field.named("A", NULL),))], [{"B": None}], "unknown variant tag"),
        ([Variant((Field.named("A", NULL),))], [{"A": None, "B": None}], "one-key"),
        ([PRINCIPAL], ["not a principal"], "principal"),
        ([PRINCIPAL], [42], "Principal"),
        ([tuple_record(NAT, NAT)], [(1,)], "tuple of 2"),
        ([NAT], [], "1 types but 0 values"),
        ([Var("Missing")], [1], "invalid type"),
    ],
)
def test_encode_errors(types, values, message):
    with pytest.raises(CandidError, match=message):
        encode(types, values)


def test_decode_key_names_without_expected_type():
    rec = Record((Field.named("name", TEXT), Field(7, NAT)))
    data = encode(
        [rec, tuple_record(NAT, TEXT), Variant((Field.named("X", NAT),))], [{"name": "a", "_7_": 5}, (1, "b"), {"X": 3}]
    )
    named, tup, var = decode(data)
    assert named == {"_7_": 5, "_1224700491_": "a"}
    assert tup == (1, "b")
    assert var == {"_88_": 3}
    # with the expected type, textual names come back
    assert decode(data, [rec])[0] == {"name": "a", "_7_": 5}


def test_subtyping_on_decode():
    wire = Record((Field.named("a", NAT), Field.named("b", TEXT)))
    data = encode([wire, NAT], [{"a": 1, "b": "x"}, 5])
    # fewer fields, nat read as int, a new optional field and a new optional argument
    want = Record((Field.named("a", INT), Field.named("c", Opt(NAT))))
    assert decode(data, [want, INT, Opt(TEXT)]) == [{"a": 1, "c": None}, 5, None]
    # a mismatch under opt becomes None, at top level it is an error
    assert decode(data, [Opt(TEXT)]) == [None]
    with pytest.raises(CandidError, match="cannot decode"):
        decode(data, [TEXT])
    with pytest.raises(CandidError, match="missing"):
        decode(data, [wire, NAT, TEXT])
    assert decode(data, [RESERVED, RESERVED]) == [None, None]


def test_decode_rejects_non_bytes_and_bad_magic():
    with pytest.raises(CandidError, match="bytes"):
        decode("DIDL\x00\x00")
    with pytest.raises(CandidError, match="magic"):
        decode(b"DIDX\x00\x00")
    assert decode(bytearray(b"DIDL\x00\x00")) == []


def test_deep_nesting_is_an_error_not_a_crash():
    env = TypeEnv({"O": Opt(Var("O"))})
    data = b"DIDL\x01\x6e\x00\x01\x00" + b"\x01" * 100_000 + b"\x00"
    with pytest.raises(CandidError, match="deep"):
        decode(data, [Var("O")], env)


def test_space_bomb_is_rejected_quickly():
    import time

    data = b"DIDL\x01\x6d\x7f\x01\x00\x80\x94\xeb\xdc\x03"  # vec null of 10^9
    start = time.perf_counter()
    for types in ([], [Vec(Opt(NAT))]):
        with pytest.raises(CandidError, match="cost"):
            decode(data, types)
    assert time.perf_counter() - start < 1.0


def test_a_large_legitimate_message_fits_the_budget():
    rec = Record((Field.named("id", NAT64), Field.named("ok", BOOL), Field.named("n", NULL)))
    values = [{"id": i, "ok": i % 2 == 0, "n": None} for i in range(100_000)]
    assert decode(encode([Vec(rec)], [values]), [Vec(rec)])[0] == values
    blob = bytes(range(256)) * 8000  # 2 MB
    assert decode(encode([BLOB], [blob]), [BLOB]) == [blob]


def test_interoperates_with_ic_py():
    from ic.candid import Types
    from ic.candid import decode as icpy_decode
    from ic.candid import encode as icpy_encode

    icpy_type = Types.Record(
        {
            "owner": Types.Principal,
            "subaccount": Types.Opt(Types.Vec(Types.Nat8)),
            "amount": Types.Nat,
            "v": Types.Variant({"Ok": Types.Nat, "Err": Types.Text}),
        }
    )
    ours = Record(
        (
            Field.named("owner", PRINCIPAL),
            Field.named("subaccount", Opt(BLOB)),
            Field.named("amount", NAT),
            Field.named("v", Variant((Field.named("Ok", NAT), Field.named("Err", TEXT)))),
        )
    )
    data = icpy_encode(
        [{"type": icpy_type, "value": {"owner": "aaaaa-aa", "subaccount": [[1, 2]], "amount": 5, "v": {"Err": "x"}}}]
    )
    (value,) = decode(data, [ours])
    assert value["owner"].to_str() == "aaaaa-aa"
    assert {k: value[k] for k in ("subaccount", "amount", "v")} == {
        "subaccount": b"\x01\x02",
        "amount": 5,
        "v": {"Err": "x"},
    }
    ours_data = encode([ours], [{"owner": "aaaaa-aa", "subaccount": b"\x01\x02", "amount": 5, "v": {"Err": "x"}}])
    back = icpy_decode(ours_data, icpy_type)[0]["value"]
    assert back["amount"] == 5 and back["v"] == {"Err": "x"}
    assert back["owner"].to_str() == "aaaaa-aa"


def test_recursive_values_a_few_hundred_levels_deep():
    env = TypeEnv({"L": Opt(Record((Field.named("h", NAT), Field.named("t", Var("L")))))})
    value = None
    for i in range(250):
        value = {"h": i, "t": value}
    assert decode(encode([Var("L")], [value], env), [Var("L")], env) == [value]


def test_unknown_names_in_expected_types_are_candid_errors():
    with pytest.raises(CandidError, match="invalid expected type"):
        decode(b"DIDL\x00\x01\x7d\x00", [Var("Nope")])
