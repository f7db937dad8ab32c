"""Service descriptions: parsing, canonical printing, and agreement with the reference
candid parser (`_ic_candid_core`, Rust candid_parser compiled for Python)."""

import json
from pathlib import Path

import _ic_candid_core
import pytest

from localnet.candid import CandidError, format_did, parse_did
from localnet.candid.types import BLOB, NAT, NULL, TEXT, Field, Func, Opt, Record, Var, Variant

SPEC = Path(__file__).resolve().parents[1] / "spec_dids"
SPEC_DIDS = sorted(SPEC.rglob("*.did"))
SPEC_DIDS = [p for p in SPEC_DIDS if not p.name.endswith(".test.did")]
REPO_DIDS = sorted((Path(__file__).parents[2] / "candid").glob("*.did"))


def _reference(text: str) -> dict:
    return json.loads(_ic_candid_core.parse_did(text))


@pytest.mark.parametrize("path", SPEC_DIDS + REPO_DIDS, ids=lambda p: p.name)
def test_real_did_files_round_trip_through_the_reference_parser(path):
    text = path.read_text()
    ref = _reference(text)
    desc = parse_did(text)
    assert sorted(desc.env.types) == sorted(d["name"] for d in ref["env"])
    ref_methods = {m["name"]: m for m in (ref.get("actor") or {}).get("methods", [])}
    assert [name for name, _ in desc.service.methods] == sorted(ref_methods)
    for name, mt in desc.service.methods:
        resolved = desc.env.resolve(mt) if isinstance(mt, Var) else mt
        assert sorted(resolved.modes) == sorted(ref_methods[name].get("modes", []))
        assert len(resolved.args) == len(ref_methods[name]["args"])
    printed = format_did(desc)
    again = _reference(printed)  # the reference parser accepts our output
    assert sorted(d["name"] for d in again["env"]) == sorted(desc.env.types)
    assert parse_did(printed) == desc


def test_parse_everything_the_grammar_has():
    desc = parse_did("""
        // line comment
        /* block /* nested */ comment */
        type Id = nat;
        type Quoted = record { "field with space" : text; 5 : Id; plain : opt Id };
        type Tup = record { nat; text };
        type Enum = variant { A; B : nat; "C"; 7 };
        type F = func (Id) -> (opt F) query;
        service svc : (init : Id, opt text) -> {
          get : (key : text) -> (opt blob) query;
          cq : () -> () composite_query;
          fire : F;
          "weird-name" : (Tup, Enum) -> () oneway;
        };
    """)
    env = desc.env.types
    assert env["Id"] == NAT
    assert env["Quoted"] == Record(
        (Field.named("field with space", TEXT), Field(5, Var("Id")), Field.named("plain", Opt(Var("Id"))))
    )
    assert env["Tup"].is_tuple
    assert env["Enum"] == Variant(
        (Field.named("A", NULL), Field.named("B", NAT), Field.named("C", NULL), Field(7, NULL))
    )
    assert env["F"] == Func((Var("Id"),), (Opt(Var("F")),), ("query",))
    assert desc.init_args == (Var("Id"), Opt(TEXT))
    methods = dict(desc.service.methods)
    assert methods["get"] == Func((TEXT,), (Opt(BLOB),), ("query",))
    assert methods["fire"] == Var("F")
    printed = format_did(desc)
    _reference(printed)
    assert parse_did(printed) == desc
    # declaration order is kept in the printed text
    assert printed.index('"field with space"') < printed.index("5 : Id") < printed.index("plain")


def test_service_given_by_name_and_empty_file():
    desc = parse_did("type S = service { f : () -> () }; service : S")
    assert [m for m, _ in desc.service.methods] == ["f"]
    assert parse_did("").service.methods == ()
    assert parse_did("type A = nat;").init_args is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("type A = B;", "unbound"),
        ("type A = A;", "itself"),
        ("type A = nat; type A = int;", "twice"),
        ("service : { f : nat }", "function"),
        ("type A = record { a : nat; a : int };", "duplicate"),
        ("service : { f : () -> (); f : () -> () }", "duplicate"),
        ('import "x.did";', "imports"),
        ("type A = record { a : nat ", "expected"),
        ("service : {} extra", "trailing"),
        ("type A = opt;", "expected a type"),
        ('type "A" = nat;', "expected"),
        ("type text = nat;", "keyword"),
    ],
)
def test_bad_did_files(text, message):
    with pytest.raises(CandidError, match=message):
        parse_did(text)


@pytest.mark.parametrize("seed", range(10))
def test_random_descriptions_print_parse_and_pass_the_reference_parser(seed):
    import random

    from candid_random_values import ENV, random_type

    from localnet.candid.types import Service, ServiceDescription, TypeEnv

    rng = random.Random(seed)
    env = TypeEnv(dict(ENV.types))
    for i in range(5):
        env.types[f"T{i}"] = random_type(rng)
    methods = tuple(
        (
            f"m{i}",
            Func(
                tuple(random_type(rng) for _ in range(rng.randint(0, 2))),
                tuple(random_type(rng) for _ in range(rng.randint(0, 2))),
                rng.choice([(), ("query",), ("composite_query",)]),
            ),
        )
        for i in range(4)
    )
    desc = ServiceDescription(env, Service(methods), (Var("T0"),) if seed % 2 else None)
    printed = format_did(desc)
    ref = _reference(printed)
    assert len(ref["env"]) == len(env.types)
    assert parse_did(printed) == desc
