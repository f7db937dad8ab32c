"""The error-code registry (src/common/error_codes.py) against the source and the docs:
every code a canister's source starts a text with is registered for that canister, every
literal `Err` text starts with a code, and the documented tables are the registry."""

import ast
import os
import re

from src.common import error_codes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAD = re.compile(r"^([a-z][a-z0-9_]*): ")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# texts whose head looks like a code but is a method name in a description
NOT_CODES = {"analyze_payment_pattern", "validate_transaction_against_global_rules"}
CANISTERS = {
    "user_payment_canister": error_codes.merchant_codes(),
    "payment_backend": error_codes.factory_codes(),
    "exchange_rate": error_codes.EXCHANGE_RATE,
    "report_aggregator": error_codes.report_aggregator_codes(),
    # shared modules: a code must be registered for every canister that bundles the module
    "common": None,
}


def common_codes(path: str) -> dict:
    """The codes a src/common module may use: those registered for every canister that
    imports it (SHARED when none does)."""
    module = "src.common." + os.path.basename(path)[: -len(".py")]
    tables = []
    for canister, codes in CANISTERS.items():
        if codes is None:
            continue
        base = os.path.join(ROOT, "src", canister)
        for name in os.listdir(base):
            if name.endswith(".py"):
                with open(os.path.join(base, name), encoding="utf-8") as f:
                    if module in f.read():
                        tables.append(codes)
                        break
    if not tables:
        return dict(error_codes.SHARED)
    return {code: m for code, m in tables[0].items() if all(code in t for t in tables[1:])}


def docstrings(tree) -> set:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def leading_text(node) -> "str | None":
    """The literal a string expression starts with (`"code: " + x`, f-strings)."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def source_texts(canister: str):
    """(path:line, head code or None, is a literal `Err` value) for the canister's texts."""
    base = os.path.join(ROOT, "src", canister)
    for name in sorted(os.listdir(base)):
        if not name.endswith(".py"):
            continue
        path = os.path.join(base, name)
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        skip = docstrings(tree)
        err_values = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "Err":
                        err_values.add(id(value))
        for node in ast.walk(tree):
            text = leading_text(node) if id(node) in err_values else None
            if id(node) in err_values and text is not None:
                match = HEAD.match(text)
                yield (f"src/{canister}/{name}:{node.lineno}", match.group(1) if match else None, True)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                match = HEAD.match(node.value)
                if match:
                    yield (f"src/{canister}/{name}:{node.lineno}", match.group(1), False)


def test_every_code_in_the_source_is_registered_for_its_canister():
    unregistered = []
    seen = set()
    for canister, codes in CANISTERS.items():
        for where, code, is_err in source_texts(canister):
            if canister == "common":
                codes = common_codes(where.split(":")[0])
            if code is None:
                unregistered.append(where + ": an Err text without a code")
            elif code in NOT_CODES:
                continue
            elif code not in codes and (is_err or code not in error_codes.RECORD_NOTES):
                unregistered.append(where + ": " + code)
            seen.add(code)
    assert unregistered == []
    # the scan does find them (a test that cannot fail is no test)
    assert {"not_found", "conflict", "busy", "forbidden", "stale_rate"} <= seen


def test_registered_codes_are_snake_case_and_meant():
    for table in (
        error_codes.SHARED,
        error_codes.MERCHANT,
        error_codes.FACTORY,
        error_codes.EXCHANGE_RATE,
        error_codes.REPORT_AGGREGATOR,
        error_codes.RECORD_NOTES,
    ):
        for code, meaning in table.items():
            assert CODE.match(code) and meaning.strip(), code
    assert not set(error_codes.SHARED) & set(error_codes.MERCHANT)
    assert not set(error_codes.SHARED) & set(error_codes.FACTORY)


def section(path: str, title: str) -> str:
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## " + title + "\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_docs_merchant_error_table_is_the_registry():
    cells = re.findall(r"^\| ((?:`[a-z0-9_]+`(?:, )?)+) \|", section("docs/merchant.md", "Error codes"), re.M)
    rows = [code for cell in cells for code in re.findall(r"`([a-z0-9_]+)`", cell)]
    assert len(rows) == len(set(rows))
    assert set(rows) == set(error_codes.merchant_codes())


def test_docs_factory_error_list_is_the_registry():
    listed = re.findall(r"`([a-z0-9_]+)`", section("docs/factory.md", "Error codes"))
    assert set(listed) == set(error_codes.factory_codes())


def test_readme_error_table_names_registered_codes_where_they_occur():
    merchant, factory = set(error_codes.merchant_codes()), set(error_codes.factory_codes())
    where_codes = {"merchant": merchant - factory, "factory": factory - merchant, "both": merchant & factory}
    rows = re.findall(
        r"^\| ((?:`[a-z0-9_]+`(?:, )?)+)(?:, \.\.\.)? \| (merchant|factory|both) \|",
        section("README.md", "Error codes"),
        re.M,
    )
    assert len(rows) > 15
    wrong = []
    for codes, where in rows:
        for code in re.findall(r"`([a-z0-9_]+)`", codes):
            if code not in where_codes[where]:
                wrong.append((code, where))
    assert wrong == []


def test_the_sdk_maps_only_registered_codes():
    from ckpayment.errors import FAMILIES

    assert set(FAMILIES) <= set(error_codes.merchant_codes()) | set(error_codes.factory_codes())
