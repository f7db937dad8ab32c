"""Canister type names that break the Rust crate Kybra generates.

kybra_generate turns every Record, Variant, Service, Tuple, Alias and Func into a Rust item
named exactly as the Python class or alias (cdk_framework 86b5acf, src/act/node/candid/
record/record.rs l.38, variant/variant.rs l.37, tuple/tuple.rs l.38, type_alias.rs l.28:
`self.name.to_ident()`; only *member* names pass through `keyword::make_rust_safe`), all at
the crate root next to the code it generates. A type whose name is already taken there does
not compile:
- Rust keywords that are not Python keywords (cdk_framework src/keyword.rs l.5-11): `type`,
  `match`, `Self`, `struct`, ...;
- prelude names the generated code uses unqualified: `Box` (every Record member is
  `Box<T>`: record/member.rs l.21, tuple/elem.rs l.26), `Vec`, `Option`, `Result`, `String`,
  and the constructors `Some`, `Ok`, `Err` (a Tuple type is a tuple struct, which also binds
  its name as a constructor);
- items kybra_generate itself declares or imports at the crate root: `Ic`
  (ic_object/mod.rs l.77), `KybraError`/`CandidError` (body/utils.rs l.6, l.41), the traits
  `UnwrapOrTrap`, `UnwrapOrTrapWithMessage`, `UnwrapOrTrapWithVm`
  (body/unwrap_rust_python_result.rs), `ToCdkActTryIntoVmValueError`, `ToRustErrString`
  (header/traits.rs), `KybraTryIntoVec`, `KybraTryFromVec` (vm_value_conversion/*/vec.rs),
  `Decode`, `Encode`, `CdkActTryIntoVmValue`, `CdkActTryFromVmValue`
  (header/use_statements.rs), and each map's `StableBTreeMap<N>KeyType`/`ValueType`
  (stable_b_tree_map_nodes/rust/wrapper_type.rs l.19);
- crates the generated code names in paths (`candid::`, `ic_cdk::`, `rustpython_vm::`, ...).

| rule | what |
| --- | --- |
| rust-name-clash | a type named like a Rust keyword, a prelude type used by the generated code, an item kybra_generate declares, or a crate it uses |
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, List, Tuple

from localnet.kybra_source.findings import Finding

RUST_ONLY_KEYWORDS = frozenset(
    {
        "abstract",
        "become",
        "box",
        "const",
        "crate",
        "do",
        "dyn",
        "enum",
        "extern",
        "final",
        "fn",
        "impl",
        "let",
        "loop",
        "macro",
        "match",
        "mod",
        "move",
        "mut",
        "override",
        "priv",
        "pub",
        "ref",
        "self",
        "Self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "false",
        "type",
        "typeof",
        "unsafe",
        "unsized",
        "use",
        "virtual",
        "where",
    }
)
PRELUDE_NAMES = frozenset({"Box", "Vec", "Option", "Result", "String", "Some", "Ok", "Err"})
GENERATED_NAMES = frozenset(
    {
        "Ic",
        "KybraError",
        "CandidError",
        "UnwrapOrTrap",
        "UnwrapOrTrapWithMessage",
        "UnwrapOrTrapWithVm",
        "ToCdkActTryIntoVmValueError",
        "ToRustErrString",
        "KybraTryIntoVec",
        "KybraTryFromVec",
        "Decode",
        "Encode",
        "CdkActTryIntoVmValue",
        "CdkActTryFromVmValue",
    }
)
CRATE_NAMES = frozenset(
    {
        "candid",
        "ic_cdk",
        "ic_cdk_timers",
        "ic_stable_structures",
        "serde",
        "rustpython",
        "rustpython_vm",
        "rustpython_stdlib",
        "rustpython_compiler_core",
        "kybra_vm_value_derive",
        "slotmap",
        "std",
        "core",
        "async_recursion",
        "ic_wasi_polyfill",
    }
)
_WRAPPER = re.compile(r"StableBTreeMap\d+(Key|Value)Type")


def clash(name: str) -> str:
    """Why `name` cannot be a Kybra type name, or ''."""
    if name in RUST_ONLY_KEYWORDS:
        return "a Rust keyword"
    if name in PRELUDE_NAMES:
        return "a Rust prelude name the generated code uses"
    if name in GENERATED_NAMES or _WRAPPER.fullmatch(name):
        return "an item kybra_generate declares in the same crate"
    if name in CRATE_NAMES or name.startswith("_KybraTrait"):
        return "a name the generated code already uses at the crate root"
    return ""


def _type_names(tree: ast.Module):
    """(name, line) of the Kybra types a module defines at top level (as analyze.py reads)."""
    for st in tree.body:
        if isinstance(st, ast.ClassDef) and any(
            isinstance(b, ast.Name) and b.id in ("Record", "Variant", "Service") for b in st.bases
        ):
            yield st.name, st.lineno
        elif isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
            v = st.value
            head = v.value if isinstance(v, ast.Subscript) else v.func if isinstance(v, ast.Call) else None
            if isinstance(head, ast.Name) and head.id in ("Alias", "Tuple", "Func"):
                yield st.targets[0].id, st.lineno


def rust_name_findings(modules: Iterable[Tuple[str, ast.Module]]) -> List[Finding]:
    """`modules`: (path, AST) of the canister's own modules."""
    out = []
    for path, tree in modules:
        for name, line in _type_names(tree):
            why = clash(name)
            if why:
                out.append(
                    Finding(
                        path,
                        line,
                        "rust-name-clash",
                        f"type `{name}` is {why}: "
                        "Kybra names the generated Rust type exactly so and the "
                        "canister does not compile; rename it",
                    )
                )
    return out
