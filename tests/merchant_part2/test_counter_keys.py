"""counters_map's key families (src/user_payment_canister/counter_keys.py): after a workload
touching every feature, every key in the merchant canister's counters map (read from its
stable memory image, as PocketIC's get_stable_memory gives it) belongs to a registered
family; and every key literal the source passes to the counter functions does too."""

from __future__ import annotations

import ast
import os
import re

import cbor2
from ic.candid import decode
from part2_helpers import PRICE, SYMBOL, add_webhook, approve_merchant, charge, ok, paid_session, pre_auth_args

from localnet.runtime.state import IMAGE_MAGIC
from src.user_payment_canister.counter_keys import FAMILIES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COUNTERS_MEMORY_ID = "4"
COUNTER_FUNCTIONS = {"counter", "bump", "set_counter", "clear_counter"}


def family_patterns() -> list:
    patterns = []
    for template, owner, meaning in FAMILIES:
        assert owner and meaning, template
        parts = re.split(r"(<[a-z_]+>)", template)
        regex = "".join("[^:]+" if p.startswith("<") else re.escape(p) for p in parts)
        patterns.append(re.compile("^" + regex + "$"))
    return patterns


def unregistered(keys) -> list:
    patterns = family_patterns()
    return sorted(k for k in keys if not any(p.match(k) for p in patterns))


def counter_keys(shop) -> list:
    with shop.server.lock:
        image = shop.server.network.get_stable_memory(shop.merchant_id)
    assert image.startswith(IMAGE_MAGIC)
    maps = cbor2.loads(image[len(IMAGE_MAGIC) :])["maps"]
    return [decode(entry[0])[0]["value"] for entry in maps[COUNTERS_MEMORY_ID][2]]  # Candid-encoded text keys


def test_every_counter_key_after_a_workload_is_registered(shop, receiver):
    add_webhook(shop, receiver)
    receiver.status = 500  # deliveries fail and go to the retry slots
    paid_session(shop, shop.alice)  # ICRC-2
    s = shop.create_session()
    block = shop.send_to_session(shop.bob, s, PRICE)  # ICRC-1 deposit and completion
    ok(shop.complete(shop.bob, s, block))
    payment_id = ok(shop.owner.merchant.list_payments([], []))["payments"][0]["payment_id"]
    ok(shop.owner.merchant.refund_payment(payment_id, [1000], ["partial"]))
    ok(shop.owner.merchant.create_payout(SYMBOL, 1000, [], []))
    shop.create_session(expires_in_seconds=[1800])
    approve_merchant(shop, shop.alice)
    auth_id = ok(shop.alice.merchant.create_pre_authorization_with_options(pre_auth_args(shop.alice.principal, 10_000)))
    ok(charge(shop, auth_id, 5_000))
    ok(shop.api.merchant.request_transaction_verification(1_000_000, shop.alice.principal, {"Email": None}))
    ok(shop.owner.merchant.block_address_for_merchant(shop.stranger.principal, "chargeback fraud"))
    ok(
        shop.owner.merchant.schedule_automated_report(
            {"name": "digest", "frequency": "daily", "metrics": ["payments"], "tokens": [SYMBOL], "lookback_days": 1}
        )
    )
    shop.advance(3 * 3600)  # sessions expire, retries run, pre-authorization and verification expire
    keys = counter_keys(shop)
    for family in ("expiry_slot:", "dlvs:", "xq:auth:", "an:", "oc:vol:", "volume:", "evt_seq:"):
        assert any(k.startswith(family) for k in keys), (family, keys)
    assert unregistered(keys) == []
    assert unregistered(keys + ["made_up_key"]) == ["made_up_key"]  # the check can fail


def test_every_key_literal_in_the_source_is_registered():
    """Keys the source passes to counter/bump/set_counter/clear_counter: a literal key, or
    the literal head of `"prefix" + part` (its rest is a family's `<part>`)."""
    heads = []
    base = os.path.join(ROOT, "src", "user_payment_canister")
    for name in sorted(os.listdir(base)):
        if not name.endswith(".py") or name == "counter_keys.py":
            continue
        with open(os.path.join(base, name), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        constants = {
            t.id: n.value.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) in COUNTER_FUNCTIONS and node.args):
                continue
            arg, partial = node.args[0], False
            while isinstance(arg, ast.BinOp):
                arg, partial = arg.left, True
            if isinstance(arg, ast.Name) and arg.id in constants:
                arg = ast.Constant(constants[arg.id])
            if isinstance(arg, ast.Constant):
                heads.append((name, arg.value, partial))
    assert len(heads) > 50
    patterns = family_patterns()
    wrong = []
    for name, head, partial in heads:
        probe = head + "x" if partial else head  # "prefix" + part: any part must fit a family
        if not any(p.match(probe) for p in patterns):
            wrong.append((name, head))
    assert wrong == []
