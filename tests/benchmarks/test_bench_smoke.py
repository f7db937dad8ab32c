"""Smoke test of the cost benchmark (benchmarks/canister_costs.py) at tiny sizes, so CI
keeps the machinery working as the canisters change: every public method of the factory,
the merchant canister and the ledger must still be callable by its plan, the fills must
reach their sizes, and the report must flag what it should. No timing is asserted."""

from __future__ import annotations

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from benchmarks import canister_costs  # noqa: E402
from benchmarks.costs.meter import outcome_of  # noqa: E402
from benchmarks.costs.report import flags  # noqa: E402
from benchmarks.costs.runner import Stage, run  # noqa: E402
from benchmarks.costs.sample_args import sample  # noqa: E402
from localnet.candid import binary  # noqa: E402
from localnet.candid import types as T  # noqa: E402


@pytest.fixture(scope="module")
def doc():
    return run([Stage(15, 8, 3), Stage(30, 16, 6)], customers=3, log=lambda s: None)


def test_every_public_method_is_measured_at_every_stage(doc):
    for stage in doc["stages"]:
        broken = [
            f"{m['canister']}.{m['method']}: {m['outcome']}"
            for m in stage["measurements"]
            if m.get("bytecodes") is None
        ]
        assert broken == []
        canisters = {m["canister"] for m in stage["measurements"]}
        assert canisters == {"factory", "merchant", "ledger"}
    names = [{(m["canister"], m["method"]) for m in st["measurements"]} for st in doc["stages"]]
    assert names[0] == names[1]
    assert ("merchant", "pay_checkout_session") in names[0]
    assert ("ledger", "icrc2_transfer_from") in names[0]
    assert ("factory", "deploy_user_payment_canister") in names[0]
    assert len(names[0]) > 150


def test_measurements_are_real_calls(doc):
    rows = {(m["canister"], m["method"]): m for m in doc["stages"][-1]["measurements"]}
    pay = rows[("merchant", "pay_checkout_session")]
    assert pay["outcome"] == "ok" and pay["kind"] == "update"
    assert pay["bytecodes"] > 1000
    # bytecodes at the calibrated factor, plus native work (entry, ic.* calls, maps, Candid)
    assert pay["instructions"] > pay["bytecodes"] * doc["instructions_per_bytecode"]
    assert doc["cost_constants"]["instructions_per_bytecode"] == doc["instructions_per_bytecode"]
    assert 0 < pay["limit_share"] < 1 and pay["limit"] == doc["limits"]["update"]
    page = rows[("merchant", "list_checkout_sessions")]
    assert page["outcome"] == "ok" and page["kind"] == "query" and page["reply_bytes"] > 500
    assert rows[("ledger", "icrc1_transfer")]["outcome"] == "ok"
    assert rows[("merchant", "refund_payment")]["outcome"] == "ok"
    assert rows[("merchant", "complete_checkout_session")]["outcome"] == "ok"


def test_fills_reach_their_sizes_and_memory_is_accounted(doc):
    first, last = doc["stages"][0]["sizes"], doc["stages"][1]["sizes"]
    assert first["sessions"] >= 15 and last["sessions"] >= 30 and last["sessions"] > first["sessions"]
    assert last["payments"] >= 16 and last["merchants"] >= 6 and last["ledger_blocks"] > first["ledger_blocks"]
    mem = doc["stable_memory"]
    assert mem["session"]["encoded_bytes_per_item"] > 200
    assert mem["paid session"]["encoded_bytes_per_item"] > mem["session"]["encoded_bytes_per_item"]
    assert mem["session"]["reserved_bytes_per_item"] >= mem["session"]["encoded_bytes_per_item"]
    assert mem["factory merchant record"]["encoded_bytes_per_item"] > 0


def test_report_is_written_and_printed(doc, tmp_path, capsys):
    from benchmarks.costs.report import print_report, write_json

    path = tmp_path / "r" / "out.json"
    write_json(doc, str(path))
    loaded = json.loads(path.read_text())
    assert loaded["stages"][1]["sizes"] == doc["stages"][1]["sizes"]
    assert set(loaded["summary"]) == {f"{m['canister']}.{m['method']}" for m in doc["stages"][0]["measurements"]}
    print_report(doc)
    out = capsys.readouterr().out
    assert "merchant.pay_checkout_session" in out and "flagged methods:" in out


def row(instructions, share=0.001):
    return {"instructions": instructions, "limit_share": share}


def test_flags_follow_the_issue_thresholds():
    assert flags([row(1000), row(1200)]) == []
    assert flags([row(1000), row(1201)]) == ["grows +20%"]
    assert flags([row(1000), row(900, 0.2)]) == ["uses 20.0% of its limit"]
    assert flags([row(1000, 0.2), row(1000, 0.05)]) == []
    assert flags([{"instructions": None}]) == ["not measured"]


def test_outcome_codes():
    assert outcome_of({"Ok": 5}) == "ok"
    assert outcome_of({"Err": "not_found: session cs_x does not exist"}) == "err: not_found"
    assert outcome_of({"Err": {"InsufficientFunds": {"balance": 0}}}) == "err: InsufficientFunds"
    assert outcome_of(7) == "ok"


def test_sample_values_encode():
    env = T.TypeEnv({"R": T.Record((T.Field.named("a", T.NAT), T.Field.named("b", T.Opt(T.TEXT))))})
    types = [T.Var("R"), T.Variant((T.Field.named("x", T.NULL),)), T.BLOB, T.Vec(T.TEXT), T.PRINCIPAL]
    from kybra import Principal

    values = [sample(t, env, Principal.anonymous()) for t in types]
    assert values[0] == {"a": 1, "b": None} and values[1] == {"x": None}
    assert binary.decode(binary.encode(types, values, env), types, env)[0] == {"a": 1, "b": None}


def test_cli_rejects_bad_stages(capsys):
    with pytest.raises(SystemExit):
        canister_costs.main(["--stage", "10,20,1"])
    assert "PAYMENTS <= SESSIONS" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        canister_costs.main(["--stage", "10,5,1", "--stage", "5,5,1"])
    assert "stages must grow" in capsys.readouterr().err


def test_show_reprints_a_saved_run_with_current_notes(doc, tmp_path, capsys):
    from benchmarks.costs.report import write_json

    path = tmp_path / "saved.json"
    saved = dict(doc, summary={})
    write_json(saved, str(path))
    assert canister_costs.main(["--show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "flagged methods" in out
    rewritten = json.loads(path.read_text())
    assert rewritten["summary"]["merchant.list_payments"]["note"].startswith("paginated")
    assert canister_costs.main(["--show", str(tmp_path / "missing.json")]) == 2


def test_worst_case_expiry_with_ten_webhooks_stops_at_its_budget(doc):
    (row,) = [r for r in doc["worst_cases"] if r["method"] == "expire_old_sessions"]
    assert row["webhooks"] == 10
    # 500 sessions with ten webhooks each would exceed the 40 B limit: the call stops at
    # the instruction budget (half the limit) with fewer, and does not trap
    assert row["outcome"] == "ok" and 0 < row["expired"] < 500
    assert 0.5 <= row["limit_share"] < 0.6
