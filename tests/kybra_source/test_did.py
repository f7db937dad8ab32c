"""The generated .did parses with the real candid_parser and means what the source says."""

import json

import _ic_candid_core
import pytest

from localnet.candid import types as T
from localnet.kybra_source import did as did_mod
from localnet.kybra_source.analyze import analyze
from localnet.kybra_source.did import generate_did
from localnet.kybra_source.findings import KybraSourceError

SAMPLE = """
from kybra import *
from kybra.canisters.management import HttpResponse, HttpTransformArgs
from src.common.models import Item, Status

Amount = Alias[nat64]
Pair = Tuple[nat, str]
Callback = Func(Query[[nat], Opt[text]])
Notify = Func(Oneway[[blob], void])

class Tree(Record):
    value: int8
    children: Vec["Tree"]
    weight: float32

class InitArgs(Record):
    owners: Vec[Principal]
    fee: Amount

class Peer(Service):
    @service_query
    def status(self, id: nat) -> Status: ...
    @service_update
    def push(self, items: Vec[Item], cb: Callback) -> void: ...

def is_owner() -> GuardResult:
    return {"Ok": None}

@init
def setup(args: InitArgs, note: Opt[str]) -> void:
    pass

@query
def get(id: nat64, pair: Pair) -> Opt[Item]:
    return None

@update(guard=is_owner)
def put(item: Item, tree: Tree) -> Async[Status]:
    return {"Active": None}
    yield

@query
def transform(args: HttpTransformArgs) -> HttpResponse:
    return args["response"]

@update
def peers(p: Peer, n: Notify, r: reserved, e: Vec[empty]) -> Tuple[int16, int32, int64, nat16, nat32]:
    return (0, 0, 0, 0, 0)

@query
def flags() -> Manual[Vec[bool]]:
    pass
"""

MODELS = """
from kybra import *

class Item(Record):
    id: nat64
    name: text
    data: blob
    price: float64
    from_: Opt[Principal]

class Status(Variant, total=False):
    Active: null
    Sold: Item
    Gone: Tuple[nat, "Status"]
"""


def _type(j):
    """The reference parser's JSON type back into the project's type model."""
    kind, v = j["type"], j["value"]
    if kind == "Prim":
        return T.PRIMITIVES[v]
    if kind == "Principal":
        return T.PRINCIPAL
    if kind == "Id":
        return T.Var(v)
    if kind == "Opt":
        return T.Opt(_type(v))
    if kind == "Vec":
        return T.Vec(_type(v))
    if kind in ("Record", "Variant"):
        fields = tuple(T.Field(int(n), _type(t)) if n.isdigit() else T.Field.named(n, _type(t)) for n, t in v)
        return T.Record(fields) if kind == "Record" else T.Variant(fields)
    if kind == "Func":
        return _func(v)
    if kind == "Service":
        return T.Service(tuple((m["name"], _func(m)) for m in v))
    raise AssertionError(f"unexpected type {j}")


def _func(v):
    return T.Func(tuple(map(_type, v["args"])), tuple(map(_type, v["rets"])), tuple(v["modes"]))


def _reference_parse(text):
    doc = json.loads(_ic_candid_core.parse_did(text))
    env = {d["name"]: _type(d["datatype"]) for d in doc["env"]}
    actor = doc["actor"]
    service = T.Service(tuple((m["name"], _func(m)) for m in actor["methods"]))
    init = tuple(map(_type, actor["init"])) if actor["init"] is not None else None
    return env, service, init


@pytest.fixture
def sample(bundle_of):
    return bundle_of(SAMPLE, {"src/common/models.py": MODELS})


def test_generated_did_parses_and_matches_the_source(sample):
    text = generate_did(sample)
    env, service, init = _reference_parse(text)
    desc = analyze(sample).service_description()
    assert env == desc.env.types
    assert service == desc.service
    assert init == (T.Var("InitArgs"), T.Opt(T.TEXT))
    assert set(env) == {
        "Item",
        "Status",
        "Tree",
        "InitArgs",
        "Pair",
        "Callback",
        "Notify",
        "Peer",
        "HttpResponse",
        "HttpHeader",
        "HttpTransformArgs",
    }
    assert env["InitArgs"] == T.Record(
        (T.Field.named("owners", T.Vec(T.PRINCIPAL)), T.Field.named("fee", T.NAT64))
    )  # Alias inlined
    assert T.Field.named("from", T.Opt(T.PRINCIPAL)) in env["Item"].fields  # from_ -> from
    assert env["Notify"] == T.Func((T.BLOB,), (), ("oneway",))
    methods = dict(service.methods)
    assert set(methods) == {"get", "put", "transform", "peers", "flags"}
    assert methods["get"] == T.Func((T.NAT64, T.Var("Pair")), (T.Opt(T.Var("Item")),), ("query",))
    assert methods["put"] == T.Func((T.Var("Item"), T.Var("Tree")), (T.Var("Status"),), ())
    assert methods["flags"] == T.Func((), (T.Vec(T.BOOL),), ("query",))
    assert methods["peers"].rets == (T.tuple_record(T.INT16, T.INT32, T.INT64, T.NAT16, T.NAT32),)


def test_generate_did_from_an_entry_path_is_stable(sample):
    root = sample.root
    a = generate_did(f"{root}/src/c/main.py")
    assert a == generate_did(sample) and a.endswith("\n")
    assert a.startswith("type Callback = func (nat) -> (opt text) query;\n")


def test_generate_did_refuses_source_kybra_rejects(bundle_of):
    with pytest.raises(KybraSourceError, match="unsupported-type"):
        generate_did(bundle_of("from kybra import *\n@query\ndef f() -> float:\n    return 1.0\n"))


def test_write_and_check_commands(write_project, monkeypatch, capsys):
    root = write_project({"src/shop/main.py": "from kybra import *\n@query\ndef a() -> nat:\n    return 1\n"})
    monkeypatch.chdir(root)
    assert did_mod.main(["--check"]) == 1  # candid/shop.did does not exist yet
    assert "python -m localnet.kybra_source.did --write" in capsys.readouterr().err
    assert did_mod.main(["--write"]) == 0
    written = (root / "candid/shop.did").read_text()
    assert written == "service : () -> {\n  a : () -> (nat) query;\n}\n"
    assert did_mod.main(["--check"]) == 0
    (root / "candid/shop.did").write_text(written.replace("nat", "int"))
    assert did_mod.main(["--check"]) == 1
    assert "-  a : () -> (int) query;" in capsys.readouterr().out
    assert did_mod.main(["src/shop/main.py"]) == 0
    assert capsys.readouterr().out == written
