"""Read a canister's Candid interface from its Python source, as kybra_generate does.

kybra_generate (kybra 0.7.1, compiler/kybra_generate/src/) parses every module of the bundle
plus the `kybra` modules it imports, and looks only at top-level statements:
- `def`s decorated with the bare names `query`/`update`/`init`/... are canister methods;
- `class X(Record)`, `class X(Variant)`, `class X(Service)` define named types;
- `X = Alias[T]`, `X = Tuple[...]`, `X = Func(Query[[A], R])` define named types;
- `X = StableBTreeMap[K, V](memory_id=.., max_key_size=.., max_value_size=..)` are stable maps;
- functions returning `GuardResult` are guard functions.
Annotations map to Candid by *name* (`candid_type/primitive.rs`); any other name is a
reference to a named type. Everything kybra_generate rejects is reported as a `Finding` with
the rule ids listed in `localnet.kybra_source.lint`.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from localnet.candid import types as T
from localnet.kybra_source.bundle import BundleError, SourceBundle, imported_names, parse_module
from localnet.kybra_source.findings import Finding, KybraSourceError

METHOD_KINDS = ("query", "update", "init", "post_upgrade", "pre_upgrade", "heartbeat", "inspect_message")
SYSTEM_KINDS = ("init", "post_upgrade", "pre_upgrade", "heartbeat", "inspect_message")
MAX_PARAMS = 5  # method_utils/params.rs, canister methods
MAX_SERVICE_PARAMS = 6  # the same, service methods (self included)
MAX_MEMORY_ID = 254  # ic-stable-structures' MemoryManager reserves id 255
MAX_SIZE = 2**32 - 1

VOID = T.Prim("void")  # only meaningful as a return type; elsewhere it is Rust `()` = null
PRIMITIVE_NAMES: Dict[str, T.Type] = {
    "blob": T.BLOB,
    "empty": T.EMPTY,
    "float64": T.FLOAT64,
    "float32": T.FLOAT32,
    "int": T.INT,
    "int64": T.INT64,
    "int32": T.INT32,
    "int16": T.INT16,
    "int8": T.INT8,
    "nat": T.NAT,
    "nat64": T.NAT64,
    "nat32": T.NAT32,
    "nat16": T.NAT16,
    "nat8": T.NAT8,
    "null": T.NULL,
    "Principal": T.PRINCIPAL,
    "bool": T.BOOL,
    "reserved": T.RESERVED,
    "str": T.TEXT,
    "text": T.TEXT,
    "void": VOID,
}
# Python names that look like types but that Kybra does not map (KYBRA.md).
UNSUPPORTED_NAMES = {
    "float": "use float64 or float32",
    "bytes": "use blob",
    "list": "use Vec[T]",
    "dict": "declare a Record (or a Vec of Tuple pairs)",
    "tuple": "use Tuple[...]",
    "set": "use Vec[T]",
    "Optional": "use Opt[T]",
    "Any": "use a concrete type",
    "object": "use a concrete type",
    "List": "use Vec[T]",
    "Dict": "declare a Record",
    "Union": "declare a Variant",
    "None": "use null or void",
}
SUBSCRIPTABLES = ("Vec", "Opt", "Tuple", "Async", "Manual")
# kybra_generate's keyword list (keywords.rs); cdk_framework renames a member spelled
# `<keyword>_`, `<keyword>__`... to the name without one trailing underscore.
PYTHON_KEYWORDS = frozenset(
    {
        "False",
        "None",
        "True",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
    }
)


def candid_label(member: str) -> str:
    """The Candid label of a Record/Variant member: `from_` is `from` (cdk_framework's
    keyword restore rule), every other name is itself."""
    stem = member.rstrip("_")
    if stem in PYTHON_KEYWORDS and len(stem) < len(member):
        return member[:-1]
    return member


def python_key(label: str) -> str:
    """The dict key canister code uses for a Candid label (inverse of `candid_label`)."""
    return label + "_" if label.rstrip("_") in PYTHON_KEYWORDS else label


def member_field(member: str, t: T.Type) -> T.Field:
    """A Record/Variant member as a Candid field (named by its Candid label)."""
    return T.Field.named(candid_label(member), t)


@dataclass(frozen=True)
class MethodSig:
    """One canister method: Candid params and result, as the .did and the runtime need it."""

    name: str
    kind: str
    params: Tuple[Tuple[str, T.Type], ...]
    ret: Optional[T.Type]  # None for `void` (the method replies `()`)
    guard: Optional[str] = None
    is_async: bool = False  # annotated `-> Async[T]`: a generator driven by the runtime
    is_manual: bool = False  # `Manual[T]`: the method replies itself (ic.reply / reply_raw)
    module: str = ""
    line: int = 0

    @property
    def rets(self) -> Tuple[T.Type, ...]:
        return () if self.ret is None else (self.ret,)

    def func_type(self) -> T.Func:
        modes = ("query",) if self.kind == "query" else ()
        return T.Func(tuple(t for _, t in self.params), self.rets, modes)


@dataclass(frozen=True)
class StableMapSig:
    """A top-level `StableBTreeMap[K, V](memory_id=.., max_key_size=.., max_value_size=..)`."""

    memory_id: int
    key: T.Type
    value: T.Type
    max_key_size: int
    max_value_size: int
    name: str = ""
    module: str = ""
    line: int = 0


@dataclass
class CanisterInterface:
    """What kybra_generate derives from the source. `methods` is keyed by function name
    (system methods included: see `system_method`). Record/Variant fields in `env` carry
    their Candid label: a member written `from_` is the field `from` (`candid_label`); the
    runtime maps it back to the Python key `from_` (`python_key`)."""

    methods: Dict[str, MethodSig]
    env: T.TypeEnv
    stable_maps: Dict[int, StableMapSig]
    guards: Set[str] = field(default_factory=set)
    aliases: Set[str] = field(default_factory=set)  # names bound by `X = Alias[T]`

    def system_method(self, kind: str) -> Optional[MethodSig]:
        """The @init/@post_upgrade/@pre_upgrade/@heartbeat/@inspect_message method, if any."""
        return next((m for m in self.methods.values() if m.kind == kind), None)

    @property
    def init_params(self) -> Tuple[Tuple[str, T.Type], ...]:
        m = self.system_method("init")
        return m.params if m else ()

    @property
    def post_upgrade_params(self) -> Tuple[Tuple[str, T.Type], ...]:
        m = self.system_method("post_upgrade")
        return m.params if m else ()

    def service_description(self) -> T.ServiceDescription:
        """The .did content: public methods, init args, and the named types they reach.

        `Alias[T]` names are inlined, as in Kybra's own .did: kybra_generate emits them as
        Rust type aliases, which Candid export cannot see."""
        public = [m for m in self.methods.values() if m.kind in ("query", "update")]
        inline = functools.partial(_inline_aliases, env=self.env, aliases=self.aliases)
        service = inline(T.Service(tuple((m.name, m.func_type()) for m in public)))
        init_args = tuple(inline(t) for _, t in self.init_params)
        full = T.TypeEnv({n: inline(t) for n, t in self.env.types.items() if n not in self.aliases})
        needed: Set[str] = set()
        for t in [service, *init_args]:
            _collect_vars(t, full, needed)
        env = T.TypeEnv({n: full.types[n] for n in sorted(needed)})
        return T.ServiceDescription(env=env, service=service, init_args=init_args)


def _inline_aliases(t: T.Type, env: T.TypeEnv, aliases: Set[str], seen: Tuple[str, ...] = ()) -> T.Type:
    """`t` as the .did shows it: `Alias` names replaced by what they stand for."""
    if isinstance(t, T.Var):
        if t.name in aliases and t.name not in seen and t.name in env.types:
            return _inline_aliases(env.types[t.name], env, aliases, seen + (t.name,))
        return t
    rec = functools.partial(_inline_aliases, env=env, aliases=aliases, seen=seen)
    if isinstance(t, T.Opt):
        return T.Opt(rec(t.inner))
    if isinstance(t, T.Vec):
        return T.Vec(rec(t.inner))
    if isinstance(t, (T.Record, T.Variant)):
        return type(t)(tuple(T.Field(f.id, rec(f.type), f.name) for f in t.fields))
    if isinstance(t, T.Func):
        return T.Func(tuple(map(rec, t.args)), tuple(map(rec, t.rets)), t.modes)
    if isinstance(t, T.Service):
        return T.Service(tuple((n, rec(m)) for n, m in t.methods))
    return t


def _collect_vars(t: T.Type, env: T.TypeEnv, out: Set[str]) -> None:
    if isinstance(t, T.Var):
        if t.name not in out and t.name in env.types:
            out.add(t.name)
            _collect_vars(env.types[t.name], env, out)
    elif isinstance(t, (T.Opt, T.Vec)):
        _collect_vars(t.inner, env, out)
    elif isinstance(t, (T.Record, T.Variant)):
        for f in t.fields:
            _collect_vars(f.type, env, out)
    elif isinstance(t, T.Func):
        for a in (*t.args, *t.rets):
            _collect_vars(a, env, out)
    elif isinstance(t, T.Service):
        for _, m in t.methods:
            _collect_vars(m, env, out)


def name_of(e: Optional[ast.expr]) -> Optional[str]:
    """kybra's `get_name`: a bare name or a string constant (a forward reference)."""
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Constant) and isinstance(e.value, str):
        return e.value
    return None


def decorator_kind(dec: ast.expr) -> Optional[str]:
    """`@query` or `@query(guard=g)`: the canister-method kind, matched by bare name."""
    target = dec.func if isinstance(dec, ast.Call) else dec
    n = target.id if isinstance(target, ast.Name) else None
    return n if n in METHOD_KINDS else None


def method_kinds(node: ast.stmt) -> List[str]:
    if not isinstance(node, ast.FunctionDef):
        return []
    return [k for k in map(decorator_kind, node.decorator_list) if k]


@functools.lru_cache(maxsize=None)
def _kybra_dir() -> Optional[str]:
    spec = importlib.util.find_spec("kybra")
    locs = list(spec.submodule_search_locations or []) if spec else []
    return locs[0] if locs else None


@functools.lru_cache(maxsize=None)
def _kybra_module(name: str) -> Optional[Tuple[str, ast.Module]]:
    """(path, AST) of an installed `kybra...` module; kybra_generate parses these too."""
    base = _kybra_dir()
    if base is None:
        return None
    rel = os.path.join(*name.split(".")[1:]) if "." in name else ""
    for cand in (os.path.join(base, rel, "__init__.py"), os.path.join(base, rel) + ".py"):
        if os.path.isfile(cand):
            with open(cand, encoding="utf-8") as f:
                return cand, ast.parse(f.read(), filename=cand)
    return None


@dataclass
class _Module:
    name: str
    path: str
    tree: ast.Module
    is_project: bool


def parsed_modules(bundle: SourceBundle, findings: List[Finding]) -> List[_Module]:
    """The bundle's modules plus the kybra modules they import (transitively)."""
    mods: List[_Module] = []
    for name, source in bundle.modules.items():
        if name in bundle.packages and not source:
            continue
        path = bundle.path_of(name)
        try:
            tree = parse_module(source, path)
        except BundleError as e:
            findings.append(Finding(path, e.line, "syntax", e.message))
            continue
        mods.append(_Module(name, path, tree, True))
    queue = [
        n
        for m in mods
        for n, _ in imported_names(m.tree, m.name, m.name in bundle.packages)
        if n.split(".")[0] == "kybra"
    ]
    seen: Set[str] = set()
    while queue:
        n = queue.pop(0)
        if n in seen:
            continue
        seen.add(n)
        found = _kybra_module(n)
        if found:
            mods.append(_Module(n, found[0], found[1], False))
            queue.extend(
                x
                for x, _ in imported_names(found[1], n, found[0].endswith("__init__.py"))
                if x.split(".")[0] == "kybra"
            )
    return mods


class _Analyzer:
    def __init__(self, bundle: SourceBundle):
        self.bundle = bundle
        self.findings: List[Finding] = []
        self.types: Dict[str, T.Type] = {}
        self.type_sites: Dict[str, Tuple[str, int]] = {}
        self.refs: List[Tuple[str, str, int]] = []
        self.methods: Dict[str, MethodSig] = {}
        self.stable_maps: Dict[int, StableMapSig] = {}
        self.guards: Dict[str, bool] = {}
        self.aliases: Set[str] = set()
        self.cur: Optional[_Module] = None

    # -- findings -------------------------------------------------------------------------
    def report(self, node, rule: str, message: str) -> None:
        if self.cur is not None and self.cur.is_project:
            self.findings.append(Finding(self.cur.path, getattr(node, "lineno", 0), rule, message))

    # -- annotations -> Candid ------------------------------------------------------------
    def to_type(self, e: ast.expr) -> T.Type:
        """An annotation as a Candid type; VOID is returned for `void` (callers decide)."""
        n = name_of(e)
        if n is not None:
            if n in PRIMITIVE_NAMES:
                return PRIMITIVE_NAMES[n]
            if n in UNSUPPORTED_NAMES:
                self.report(e, "unsupported-type", f"`{n}` is not a Kybra type: {UNSUPPORTED_NAMES[n]}")
                return T.RESERVED
            self.refs.append((n, self.cur.path if self.cur else "", e.lineno))
            return T.Var(n)
        if isinstance(e, ast.Subscript):
            head = name_of(e.value)
            if head in ("Vec", "Opt"):
                inner = self.value_type(e.slice)
                return T.Vec(inner) if head == "Vec" else T.Opt(inner)
            if head == "Tuple":
                elts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
                return T.tuple_record(*(self.value_type(x) for x in elts))
            if head in ("Async", "Manual"):
                return self.to_type(e.slice)
            self.report(
                e,
                "invalid-subscriptable",
                f"`{ast.unparse(e.value)}[...]` is not a Kybra type; only "
                f"{', '.join(SUBSCRIPTABLES)} can be subscripted",
            )
            return T.RESERVED
        if isinstance(e, ast.Call) and name_of(e.func) == "Func":
            return self.func_type(e)
        if isinstance(e, ast.Constant) and e.value is None:
            self.report(e, "unsupported-type", "None is not a type: use null or void")
            return T.RESERVED
        self.report(e, "unsupported-type", f"`{ast.unparse(e)}` is not a Kybra type (types are matched by bare name)")
        return T.RESERVED

    def value_type(self, e: ast.expr) -> T.Type:
        t = self.to_type(e)
        return T.NULL if t == VOID else t

    def return_types(self, e: ast.expr) -> Tuple[T.Type, ...]:
        t = self.to_type(e)
        return () if t == VOID else (t,)

    def func_type(self, call: ast.Call) -> T.Type:
        if len(call.args) != 1 or call.keywords:
            self.report(
                call,
                "func-format",
                "Func() takes exactly one argument: Func(Query[[param, ...], ret]) (or Update / Oneway)",
            )
            return T.RESERVED
        arg = call.args[0]
        mode = name_of(arg.value) if isinstance(arg, ast.Subscript) else None
        if mode not in ("Query", "Update", "Oneway"):
            self.report(call, "func-format", "a Func's mode must be Query, Update or Oneway")
            return T.RESERVED
        sl = arg.slice
        if not (isinstance(sl, ast.Tuple) and len(sl.elts) == 2 and isinstance(sl.elts[0], ast.List)):
            self.report(call, "func-format", "Funcs are written Func(Mode[[param, ...], returns])")
            return T.RESERVED
        args = tuple(self.value_type(p) for p in sl.elts[0].elts)
        if mode == "Oneway":
            return T.Func(args, (), ("oneway",))
        return T.Func(args, self.return_types(sl.elts[1]), ("query",) if mode == "Query" else ())

    # -- definitions ----------------------------------------------------------------------
    def define(self, name: str, t: T.Type, node) -> None:
        site = (self.cur.path, node.lineno)
        if name in self.types:
            prev = self.type_sites[name]
            self.report(
                node,
                "duplicate-type-name",
                f"type `{name}` is already defined at {prev[0]}:{prev[1]}; Kybra needs "
                "type names unique across all modules",
            )
            return
        self.types[name] = t
        self.type_sites[name] = site

    def members(self, cls: ast.ClassDef, kind: str) -> Tuple[T.Field, ...]:
        fields = []
        for st in cls.body:
            if (
                kind == "Record"
                and isinstance(st, ast.Expr)
                and isinstance(st.value, ast.Constant)
                and st.value.value is Ellipsis
            ):
                continue
            if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                if st.value is not None:
                    self.report(
                        st, "record-member", f"{kind} member `{st.target.id}` has a default value, which Kybra ignores"
                    )
                fields.append(member_field(st.target.id, self.value_type(st.annotation)))
                continue
            self.report(st, "record-member", f"{kind} `{cls.name}` may only contain `name: type` members")
        return tuple(fields)

    def service(self, cls: ast.ClassDef) -> T.Type:
        methods = []
        for st in cls.body:
            if not isinstance(st, ast.FunctionDef):
                self.report(st, "service-member", f"Service `{cls.name}` may only contain methods")
                continue
            decos = [name_of(d) for d in st.decorator_list]
            if len(decos) != 1 or decos[0] not in ("service_query", "service_update"):
                self.report(
                    st,
                    "service-decorator",
                    f"{cls.name}.{st.name} needs exactly one @service_query or @service_update decorator",
                )
                continue
            a = st.args
            self.check_param_kinds(st)
            if not a.args or a.args[0].arg != "self":
                self.report(st, "self-param", f"service method {cls.name}.{st.name} must take `self` first")
                continue
            if len(a.args) > MAX_SERVICE_PARAMS:
                self.report(
                    st,
                    "too-many-params",
                    f"service method {cls.name}.{st.name} has {len(a.args) - 1} parameters; Kybra allows at most 5",
                )
            params = self.params(st, a.args[1:])
            rets = self.returns(st)
            modes = ("query",) if decos[0] == "service_query" else ()
            methods.append((st.name, T.Func(tuple(t for _, t in params), rets, modes)))
        if not methods:
            self.report(cls, "service-member", f"Service `{cls.name}` has no methods")
        return T.Service(tuple(methods))

    def check_param_kinds(self, fn: ast.FunctionDef) -> None:
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            self.report(
                fn,
                "param-kind",
                f"`{fn.name}`: Kybra passes arguments positionally "
                "only: no *args, **kwargs, keyword-only or positional-only markers",
            )

    def params(self, fn: ast.FunctionDef, args: List[ast.arg]) -> List[Tuple[str, T.Type]]:
        out = []
        for p in args:
            if p.annotation is None:
                self.report(fn, "missing-annotation", f"parameter `{p.arg}` of `{fn.name}` needs a type annotation")
                out.append((p.arg, T.RESERVED))
            else:
                out.append((p.arg, self.value_type(p.annotation)))
        return out

    def returns(self, fn: ast.FunctionDef) -> Tuple[T.Type, ...]:
        if fn.returns is None:
            self.report(fn, "missing-annotation", f"`{fn.name}` needs a return type annotation")
            return ()
        return self.return_types(fn.returns)

    # -- statements -----------------------------------------------------------------------
    def statement(self, st: ast.stmt) -> None:
        if isinstance(st, ast.ClassDef):
            bases = [name_of(b) for b in st.bases]
            if "Record" in bases:
                self.define(st.name, T.Record(self.members(st, "Record")), st)
            elif "Variant" in bases:
                self.define(st.name, T.Variant(self.members(st, "Variant")), st)
            elif "Service" in bases:
                self.define(st.name, self.service(st), st)
            return
        if isinstance(st, ast.FunctionDef):
            if st.returns is not None and name_of(st.returns) == "GuardResult":
                self.guards[st.name] = True
                if st.args.args or st.args.vararg or st.args.kwarg or st.args.kwonlyargs:
                    self.report(st, "guard-params", f"guard function `{st.name}` must take no parameters")
            kinds = method_kinds(st)
            if kinds:
                self.method(st, kinds)
            return
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            self.assignment(st)

    def assignment(self, st) -> None:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target]
        value = st.value
        if isinstance(st, ast.AnnAssign) and value is None:
            return
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            self.report(
                st,
                "module-assignment",
                "a module-level assignment must bind exactly "
                "one plain name (kybra_generate rejects destructuring, chained, "
                "attribute and item targets)",
            )
            return
        name = targets[0].id
        if isinstance(value, ast.Subscript) and name_of(value.value) == "Alias":
            self.define(name, self.value_type(value.slice), st)
            self.aliases.add(name)
        elif (
            isinstance(st, ast.Assign) and isinstance(value, ast.Subscript) and name_of(value.value) == "Tuple"
        ):  # kybra's tuple.rs reads plain `=` only
            self.define(name, self.to_type(value), st)
        elif isinstance(value, ast.Call) and name_of(value.func) == "Func":
            self.define(name, self.func_type(value), st)
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Subscript)
            and name_of(value.func.value) == "StableBTreeMap"
        ):
            self.stable_map(name, value, st)

    def method(self, fn: ast.FunctionDef, kinds: List[str]) -> None:
        guard = None
        for d in fn.decorator_list:
            if isinstance(d, ast.Call) and decorator_kind(d):
                for kw in d.keywords:
                    if kw.arg == "guard":
                        guard = name_of(kw.value)
                        if guard is None:
                            self.report(
                                fn, "guard-reference", f"`{fn.name}`: guard= must name a top-level guard function"
                            )
        self.check_param_kinds(fn)
        args = fn.args.args
        if args and args[0].arg == "self":
            self.report(fn, "self-param", f"canister method `{fn.name}` must not take `self`")
        if len(args) > MAX_PARAMS:
            self.report(
                fn, "too-many-params", f"`{fn.name}` has {len(args)} parameters; Kybra allows at most {MAX_PARAMS}"
            )
        params = tuple(self.params(fn, args))
        rets = self.returns(fn)
        ret_ann = fn.returns
        is_async = isinstance(ret_ann, ast.Subscript) and name_of(ret_ann.value) == "Async"
        is_manual = _mentions_manual(ret_ann)
        for kind in kinds:
            if kind in ("init", "post_upgrade") and rets:
                self.report(fn, "init-return-void", f"@{kind} method `{fn.name}` must be annotated `-> void`")
            if kind in SYSTEM_KINDS:
                prev = next((m for m in self.methods.values() if m.kind == kind), None)
                if prev is not None:
                    self.report(
                        fn,
                        "multiple-system-methods",
                        f"a second @{kind} method `{fn.name}` (the first is `{prev.name}`, line {prev.line})",
                    )
                    continue
            key = fn.name
            if key in self.methods:
                prev = self.methods[key]
                self.report(
                    fn,
                    "duplicate-method",
                    f"method `{fn.name}` is exported twice (also @{prev.kind} in {prev.module} line {prev.line})",
                )
                continue
            self.methods[key] = MethodSig(
                fn.name, kind, params, rets[0] if rets else None, guard, is_async, is_manual, self.cur.name, fn.lineno
            )

    def stable_map(self, name: str, call: ast.Call, st) -> None:
        sl = call.func.slice
        if not (isinstance(sl, ast.Tuple) and len(sl.elts) == 2):
            self.report(
                st,
                "stable-map-format",
                "write StableBTreeMap[KeyType, ValueType](memory_id=N, max_key_size=A, max_value_size=B)",
            )
            return
        key, value = self.value_type(sl.elts[0]), self.value_type(sl.elts[1])
        kws = {k.arg: k.value for k in call.keywords}
        pos = list(call.args)

        def arg(i: int, kw: str) -> Optional[ast.expr]:
            return pos[i] if len(pos) > i else kws.get(kw)

        def literal(e: Optional[ast.expr], what: str, rule: str, hi: int) -> Optional[int]:
            if e is None:
                self.report(st, rule, f"StableBTreeMap `{name}` is missing {what}")
                return None
            if not (isinstance(e, ast.Constant) and type(e.value) is int):
                self.report(
                    st,
                    rule,
                    f"StableBTreeMap `{name}`: {what} must be an integer literal (kybra_generate reads it statically)",
                )
                return None
            if not 0 <= e.value <= hi:
                self.report(st, rule, f"StableBTreeMap `{name}`: {what} must be in 0..{hi}")
                return None
            return e.value

        mid = literal(arg(0, "memory_id"), "memory_id", "stable-map-memory-id", MAX_MEMORY_ID)
        mk = literal(arg(1, "max_key_size"), "max_key_size", "stable-map-size", MAX_SIZE)
        mv = literal(arg(2, "max_value_size"), "max_value_size", "stable-map-size", MAX_SIZE)
        if mid is None or mk is None or mv is None:
            return
        if mid in self.stable_maps:
            prev = self.stable_maps[mid]
            self.report(
                st,
                "stable-map-memory-id",
                f"memory_id {mid} of `{name}` is already used by `{prev.name}` ({prev.module} line {prev.line})",
            )
            return
        self.stable_maps[mid] = StableMapSig(mid, key, value, mk, mv, name, self.cur.name, st.lineno)

    # -- whole program --------------------------------------------------------------------
    def run(self) -> CanisterInterface:
        for mod in parsed_modules(self.bundle, self.findings):
            self.cur = mod
            for st in mod.tree.body:
                self.statement(st)
        self.cur = None
        for n, path, line in self.refs:
            if n not in self.types:
                self.findings.append(
                    Finding(
                        path,
                        line,
                        "unknown-type",
                        f"`{n}` is not a "
                        "Kybra type nor a Record/Variant/Alias/Tuple/Func/"
                        "Service defined in the canister's modules",
                    )
                )
        env = T.TypeEnv(self.types)
        for n in sorted(self.aliases):
            if n in _alias_reach(n, env, self.aliases):
                path, line = self.type_sites[n]
                self.findings.append(
                    Finding(
                        path,
                        line,
                        "recursive-alias",
                        f"alias `{n}` refers to itself; recursion needs a Record or Variant",
                    )
                )
        for m in self.methods.values():
            if m.guard is not None and m.guard not in self.guards:
                self.findings.append(
                    Finding(
                        self.bundle.path_of(m.module),
                        m.line,
                        "unknown-guard",
                        f"guard `{m.guard}` of `{m.name}` is not a top-level function returning GuardResult",
                    )
                )
        return CanisterInterface(
            methods=dict(self.methods),
            env=T.TypeEnv(dict(sorted(self.types.items()))),
            stable_maps=dict(sorted(self.stable_maps.items())),
            guards=set(self.guards),
            aliases=set(self.aliases),
        )


def _alias_reach(name: str, env: T.TypeEnv, aliases: Set[str]) -> List[str]:
    """Alias names reachable from alias `name` without passing through a Record/Variant/
    Service/Func definition (only those give a recursive type a name in Rust)."""
    out, todo = [], [env.types[name]]
    while todo:
        t = todo.pop()
        if isinstance(t, T.Var):
            if t.name in aliases and t.name not in out:
                out.append(t.name)
                todo.append(env.types[t.name])
        elif isinstance(t, (T.Opt, T.Vec)):
            todo.append(t.inner)
        elif isinstance(t, T.Record):  # an anonymous tuple is a Rust tuple: still inline
            todo.extend(f.type for f in t.fields)
    return out


def _mentions_manual(e: Optional[ast.expr]) -> bool:
    """kybra's `is_manual`: `Manual` anywhere along the subscript chain of the return type."""
    while isinstance(e, ast.Subscript):
        if name_of(e.value) == "Manual":
            return True
        e = e.slice
    return False


def analyze_with_findings(bundle: SourceBundle) -> Tuple[CanisterInterface, List[Finding]]:
    """The interface and everything kybra_generate would reject (never raises on bad source)."""
    a = _Analyzer(bundle)
    iface = a.run()
    return iface, sorted(set(a.findings))


def analyze(bundle: SourceBundle) -> CanisterInterface:
    """The canister interface; raises KybraSourceError when kybra_generate would reject it."""
    iface, findings = analyze_with_findings(bundle)
    if findings:
        raise KybraSourceError(findings)
    return iface
