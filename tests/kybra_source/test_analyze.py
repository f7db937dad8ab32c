"""The analyser maps Kybra annotations to Candid the way kybra_generate does."""

import pytest

from localnet.candid import types as T
from localnet.kybra_source.analyze import analyze, candid_label, python_key
from localnet.kybra_source.findings import KybraSourceError

H = "from kybra import *\n"


def rec(**fields):
    return T.Record(tuple(T.Field.named(k, v) for k, v in fields.items()))


def var(**fields):
    return T.Variant(tuple(T.Field.named(k, v) for k, v in fields.items()))


def test_primitive_names(bundle_of):
    names = [
        "int",
        "nat",
        "nat8",
        "nat16",
        "nat32",
        "nat64",
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
        "str",
        "text",
        "bool",
        "blob",
        "null",
        "reserved",
        "empty",
        "Principal",
    ]
    body = "".join(f"    f_{n}: {n}\n" for n in names)
    iface = analyze(bundle_of(H + "class All(Record):\n" + body))
    got = {f.name[2:]: f.type for f in iface.env.types["All"].fields}
    assert got == {
        "int": T.INT,
        "nat": T.NAT,
        "nat8": T.NAT8,
        "nat16": T.NAT16,
        "nat32": T.NAT32,
        "nat64": T.NAT64,
        "int8": T.INT8,
        "int16": T.INT16,
        "int32": T.INT32,
        "int64": T.INT64,
        "float32": T.FLOAT32,
        "float64": T.FLOAT64,
        "str": T.TEXT,
        "text": T.TEXT,
        "bool": T.BOOL,
        "blob": T.BLOB,
        "null": T.NULL,
        "reserved": T.RESERVED,
        "empty": T.EMPTY,
        "Principal": T.PRINCIPAL,
    }


def test_records_variants_nested_opt_vec_and_void_field(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Item(Record):
    tags: Vec[Opt[Vec[str]]]
    data: Opt[blob]
    nothing: void
class Status(Variant, total=False):
    Active: null
    Item: "Item"
    Many: Vec[Item]
"""
        )
    )
    assert iface.env.types["Item"] == rec(tags=T.Vec(T.Opt(T.Vec(T.TEXT))), data=T.Opt(T.BLOB), nothing=T.NULL)
    assert iface.env.types["Status"] == var(Active=T.NULL, Item=T.Var("Item"), Many=T.Vec(T.Var("Item")))


def test_tuples_named_and_inline(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
Pair = Tuple[nat, str]
Single = Tuple[Principal]
@query
def pairs(p: Tuple[nat8, Opt[str]]) -> Vec[Pair]:
    return []
"""
        )
    )
    assert iface.env.types["Pair"] == T.tuple_record(T.NAT, T.TEXT)
    assert iface.env.types["Single"] == T.tuple_record(T.PRINCIPAL)
    m = iface.methods["pairs"]
    assert m.params == (("p", T.tuple_record(T.NAT8, T.Opt(T.TEXT))),)
    assert m.ret == T.Vec(T.Var("Pair"))


def test_aliases_in_env_and_inlined_in_the_service(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
Amount = Alias[nat64]
Amounts = Alias[Vec[Amount]]
@query
def total(a: Amounts) -> Amount:
    return 0
"""
        )
    )
    assert iface.env.types["Amounts"] == T.Vec(T.Var("Amount"))
    assert iface.methods["total"].params == (("a", T.Var("Amounts")),)
    desc = iface.service_description()
    assert desc.service.methods == (("total", T.Func((T.Vec(T.NAT64),), (T.NAT64,), ("query",))),)
    assert desc.env.types == {}


def test_recursive_types(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Tree(Record):
    value: nat
    children: Vec["Tree"]
class Expr(Variant, total=False):
    Num: int
    Neg: "Expr"
    Add: Tuple["Expr", "Expr"]
@query
def eval(e: Expr) -> Tree:
    return {}
"""
        )
    )
    assert iface.env.types["Tree"] == rec(value=T.NAT, children=T.Vec(T.Var("Tree")))
    assert iface.env.types["Expr"] == var(
        Num=T.INT, Neg=T.Var("Expr"), Add=T.tuple_record(T.Var("Expr"), T.Var("Expr"))
    )
    assert set(iface.service_description().env.types) == {"Tree", "Expr"}


def test_funcs_all_modes(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
Getter = Func(Query[[nat, str], Opt[str]])
Setter = Func(Update[[str], void])
Notify = Func(Oneway[[blob], void])
"""
        )
    )
    assert iface.env.types["Getter"] == T.Func((T.NAT, T.TEXT), (T.Opt(T.TEXT),), ("query",))
    assert iface.env.types["Setter"] == T.Func((T.TEXT,), (), ())
    assert iface.env.types["Notify"] == T.Func((T.BLOB,), (), ("oneway",))


def test_service_class(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Ledger(Service):
    @service_query
    def balance(self, who: Principal) -> nat: ...
    @service_update
    def send(self, to: Principal, amount: nat) -> Opt[str]: ...
    @service_update
    def ping(self) -> void: ...
@query
def ledger() -> Ledger:
    return Ledger(ic.id())
"""
        )
    )
    assert iface.env.types["Ledger"] == T.Service(
        (
            ("balance", T.Func((T.PRINCIPAL,), (T.NAT,), ("query",))),
            ("ping", T.Func((), (), ())),
            ("send", T.Func((T.PRINCIPAL, T.NAT), (T.Opt(T.TEXT),), ())),
        )
    )
    assert iface.methods["ledger"].ret == T.Var("Ledger")


def test_method_kinds_async_manual_and_guards(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
def only_owner() -> GuardResult:
    return {"Ok": None}
@init
def setup(owner: Principal, fee: nat64) -> void:
    pass
@post_upgrade
def again(owner: Principal) -> void:
    pass
@pre_upgrade
def save() -> void:
    pass
@heartbeat
def beat() -> void:
    pass
@inspect_message
def inspect() -> void:
    pass
@update(guard=only_owner)
def fetch(url: str) -> Async[Opt[blob]]:
    return None
    yield
@query
def manual() -> Manual[nat]:
    pass
@update
def fire() -> void:
    pass
"""
        )
    )
    m = iface.methods
    assert {n: s.kind for n, s in m.items()} == {
        "setup": "init",
        "again": "post_upgrade",
        "save": "pre_upgrade",
        "beat": "heartbeat",
        "inspect": "inspect_message",
        "fetch": "update",
        "manual": "query",
        "fire": "update",
    }
    assert m["fetch"].guard == "only_owner" and m["fetch"].is_async and not m["fetch"].is_manual
    assert m["fetch"].ret == T.Opt(T.BLOB)
    assert m["manual"].is_manual and m["manual"].ret == T.NAT and not m["manual"].is_async
    assert m["fire"].ret is None and m["fire"].rets == ()
    assert iface.init_params == (("owner", T.PRINCIPAL), ("fee", T.NAT64))
    assert iface.post_upgrade_params == (("owner", T.PRINCIPAL),)
    assert iface.system_method("heartbeat").name == "beat"
    assert iface.guards == {"only_owner"}
    desc = iface.service_description()
    assert desc.init_args == (T.PRINCIPAL, T.NAT64)
    assert [n for n, _ in desc.service.methods] == ["fetch", "fire", "manual"]
    assert dict(desc.service.methods)["manual"] == T.Func((), (T.NAT,), ("query",))


def test_no_init_gives_empty_init_args(bundle_of):
    desc = analyze(bundle_of(H + "@query\ndef a() -> nat:\n    return 1\n")).service_description()
    assert desc.init_args == ()


def test_stable_maps_keyword_and_positional(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Item(Record):
    a: nat
items = StableBTreeMap[nat64, Item](memory_id=3, max_key_size=20, max_value_size=1_000)
names: StableBTreeMap[str, str] = StableBTreeMap[str, str](0, 100, 200)
"""
        )
    )
    s3, s0 = iface.stable_maps[3], iface.stable_maps[0]
    assert (s3.key, s3.value, s3.max_key_size, s3.max_value_size, s3.name) == (
        T.NAT64,
        T.Var("Item"),
        20,
        1000,
        "items",
    )
    assert (s0.key, s0.value, s0.max_key_size, s0.max_value_size) == (T.TEXT, T.TEXT, 100, 200)
    assert list(iface.stable_maps) == [0, 3]


def test_types_and_methods_from_project_and_kybra_modules(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
from kybra.canisters.management import HttpResponse, HttpTransformArgs
from src.common.models import Thing, shared
@query
def transform(args: HttpTransformArgs) -> HttpResponse:
    return args["response"]
@query
def thing() -> Thing:
    return {}
""",
            {
                "src/common/models.py": H
                + """
class Thing(Record):
    when: TimerId
@query
def shared() -> nat:
    return 1
"""
            },
        )
    )
    assert set(iface.methods) == {"transform", "thing", "shared"}
    assert iface.methods["shared"].module == "src.common.models"
    desc = iface.service_description()
    # kybra's own TimerId = Alias[nat64] is inlined; HttpResponse comes from kybra's source
    assert desc.env.types["Thing"] == rec(when=T.NAT64)
    assert {"HttpResponse", "HttpHeader", "HttpTransformArgs"} <= set(desc.env.types)
    fields = {f.name: f.type for f in desc.env.types["HttpResponse"].fields}
    assert fields["body"] == T.BLOB and fields["status"] == T.NAT


def test_only_reachable_types_in_the_service_description(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Used(Record):
    a: nat
class Unused(Record):
    b: nat
class InitArgs(Record):
    c: nat
@init
def setup(args: InitArgs) -> void:
    pass
@query
def used() -> Used:
    return {}
"""
        )
    )
    assert set(iface.env.types) >= {"Used", "Unused", "InitArgs"}
    assert set(iface.service_description().env.types) == {"Used", "InitArgs"}


def test_rejected_source_raises_with_every_finding(bundle_of):
    with pytest.raises(KybraSourceError) as e:
        analyze(bundle_of(H + "@query\ndef a(x: float) -> Missing:\n    return 1\n"))
    assert [(f.line, f.rule) for f in e.value.findings] == [(3, "unknown-type"), (3, "unsupported-type")]
    assert "src/c/main.py:3: unknown-type:" in str(e.value)


def test_keyword_members_are_candid_labels(bundle_of):
    iface = analyze(
        bundle_of(
            H
            + """
class Tx(Record):
    from_: Principal
    class__: nat
    end_: nat
class Kind(Variant, total=False):
    import_: null
@query
def tx(k: Kind) -> Tx:
    return {}
"""
        )
    )
    # cdk_framework's keyword rule: `<python keyword>_+` loses one trailing underscore
    assert {f.name for f in iface.env.types["Tx"].fields} == {"from", "class_", "end_"}
    assert [f.name for f in iface.env.types["Kind"].fields] == ["import"]
    for member in ("from_", "class__", "import_", "end_", "owner", "_x"):
        assert python_key(candid_label(member)) == member
