"""The typed layer over the committed .did files: every canister method the SDK's named
methods call exists in the current .did with the number of arguments the SDK passes (so a
changed interface fails here, not at a merchant's site), result unwrapping and error codes."""

from __future__ import annotations

import ast
import inspect

import pytest

from ckpayment import CkPaymentError, Interface, factory, ledger, merchant
from ckpayment.interface import unwrap

CLIENTS = [(merchant, "user_payment_canister"), (factory, "payment_backend"), (ledger, "icrc_ledger")]


def calls_in(module):
    """(method name, argument count) of every self.call/self.result in the module."""
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("call", "result", "_ok")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.args[0].value, len(node.args) - 1, node.lineno


@pytest.mark.parametrize("module, did", CLIENTS)
def test_sdk_calls_match_the_committed_did(module, did):
    iface = Interface.load(did)
    seen = list(calls_in(module))
    assert len(seen) >= 5
    for name, argc, line in seen:
        assert name in iface.methods, f"{module.__name__}:{line}: {name} not in {did}.did"
        expected = len(iface.methods[name].args)
        assert argc == expected, f"{module.__name__}:{line}: {name} takes {expected} args"


def test_every_did_loads_and_results_are_recognised():
    m = Interface.load("user_payment_canister")
    assert m.is_query("get_checkout_session") and not m.is_query("pay_checkout_session")
    assert m.returns_result("create_checkout_session_with_options")
    assert not m.returns_result("get_accepted_tokens")
    assert Interface.load("payment_backend").returns_result("deploy_user_payment_canister")
    assert Interface.load("exchange_rate").methods
    with pytest.raises(Exception, match="cannot read the Candid interface"):
        Interface.load("no_such_canister")


def test_error_texts_become_codes():
    e = CkPaymentError.from_text("not_found: session cs_1 does not exist", "get_checkout_session")
    assert (e.code, e.message, e.method) == ("not_found", "session cs_1 does not exist", "get_checkout_session")
    assert str(e) == "not_found: session cs_1 does not exist"
    assert CkPaymentError.from_text("Something odd happened").code == "error"
    assert CkPaymentError.from_text("Bad Code: x").code == "error"
    assert unwrap({"Ok": 5}) == 5
    assert unwrap({"Ok": None}) is None
    assert unwrap([1, 2]) == [1, 2]
    with pytest.raises(CkPaymentError) as exc:
        unwrap({"Err": "rate_limited: slow down"}, "track_modal_view")
    assert exc.value.code == "rate_limited" and exc.value.method == "track_modal_view"


def test_generated_types_match_the_committed_did():
    from ckpayment import typegen

    assert typegen.main(["--check"]) == 0, "run `python -m ckpayment.typegen --write`"


def test_client_annotations_name_existing_types():
    import typing

    from ckpayment import FactoryClient, LedgerClient, MerchantClient

    for cls in (MerchantClient, FactoryClient, LedgerClient):
        for name, fn in vars(cls).items():
            if callable(fn) and not name.startswith("_"):
                typing.get_type_hints(fn)  # raises NameError/AttributeError on a stale name


def test_typegen_shapes():
    from ckpayment.typegen import generate

    text = generate(
        "x",
        """
        type Args = record { from : Account; memo : opt blob; tags : vec text };
        type Account = record { owner : principal; subaccount : opt blob };
        type Status = variant { open; paid : nat };
        type Pair = record { text; nat64 };
        service : { f : (Args) -> (Status) };
    """,
    )
    assert "class Args(TypedDict):\n    from_: Account\n    memo: Optional[bytes]\n    tags: list[str]\n" in text
    assert "class Status(TypedDict, total=False):\n    open: None\n    paid: int\n" in text
    assert "Pair: TypeAlias = 'tuple[str, int]'" in text
    namespace: dict = {}
    exec(compile(text, "x.py", "exec"), namespace)
    assert namespace["Args"].__required_keys__ == {"from_", "memo", "tags"}
