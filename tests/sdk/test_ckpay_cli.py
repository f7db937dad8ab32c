"""`ckpay` end to end on localnet: module upload with a progress bar, a merchant deployed
through the factory (id recorded in the project's canister_ids.json), sessions, payments,
refunds, events, webhooks; and one-line errors with non-zero exits on bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from sdk_env import FEE, ROOT, SYMBOL

from ckpayment import LedgerClient, MerchantClient, sign_webhook
from ckpayment.cli import main
from ckpayment.receiver import WebhookReceiver

URLS = ["--success-url", "https://shop.example.com/ok", "--cancel-url", "https://shop.example.com/no"]


@pytest.fixture
def ckpay(env, capsys):
    def run(role, *argv, merchant=True, expect=0):
        args = ["--network", env.url, "--identity", env.pems[role], "--factory", env.factory_id]
        if merchant:
            args += ["--merchant", env.merchant_id]
        code = main(args + list(argv))
        out, err = capsys.readouterr()
        assert code == expect, (code, out, err)
        return out, err

    return run


def as_json(out: str):
    return json.loads(out)


def test_module_upload_and_merchant_deploy(env, ckpay, tmp_path):
    wasm = tmp_path / "merchant.wasm"
    wasm.write_bytes(env.module)
    v2 = "cli-" + os.urandom(3).hex()
    out, err = ckpay("admin", "module", "upload", str(wasm), "--version", v2, "--notes", "from the CLI")
    info = as_json(out)
    assert info["version"] == v2 and info["size"] == len(env.module)
    assert f"uploading {v2}" in err
    versions = as_json(ckpay("admin", "module", "list", "--limit", "100")[0])
    assert {env.version, v2} <= {v["version"] for v in versions["items"]}

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(os.path.join(ROOT, "dfx.json"), project / "dfx.json")
    out, _ = ckpay(
        "stranger",
        "--project",
        str(project),
        "merchant",
        "deploy",
        "--name",
        "CLI Shop",
        "--token",
        f"{SYMBOL}:{env.ledger_id}",
        "--version",
        v2,
        merchant=False,
    )
    record = as_json(out)
    assert record["status"] == {"active": None} and record["version"] == v2
    ids = json.loads((project / ".dfx" / "local" / "canister_ids.json").read_text())
    assert ids["merchant"]["local"] == record["canister_id"]
    # the recorded id is found without --merchant
    page = as_json(ckpay("stranger", "--project", str(project), "sessions", "list", merchant=False)[0])
    assert page == {"sessions": [], "next_cursor": None}


def test_sessions_payments_refunds_events(env, ckpay):
    out, _ = ckpay(
        "owner",
        "sessions",
        "create",
        "--amount",
        "4_000_000",
        "--token",
        SYMBOL,
        "--metadata",
        "order=7",
        "--reference",
        "ref-7",
        *URLS,
    )
    session = as_json(out)
    assert session["amount"] == 4_000_000 and session["client_reference_id"] == "ref-7"
    assert session["metadata"] == [{"key": "order", "value": "7"}]
    got = as_json(ckpay("owner", "sessions", "get", session["session_id"])[0])
    assert got["session_id"] == session["session_id"] and got["status"] == {"open": None}

    customer = env.agents["customer"]
    LedgerClient(customer, env.ledger_id).approve(env.merchant_id, 4_000_000 + FEE)
    MerchantClient(customer, env.merchant_id).pay_session(session["session_id"])

    listed = as_json(ckpay("owner", "sessions", "list", "--limit", "5")[0])
    assert listed["sessions"][0]["status"] == {"complete": None}
    payments = as_json(ckpay("owner", "payments", "list", "--all")[0])
    payment = next(p for p in payments if p["session_id"] == session["session_id"])
    refund = as_json(
        ckpay("owner", "refunds", "create", payment["payment_id"], "--amount", "250000", "--reason", "damaged")[0]
    )
    assert refund["amount"] == 250_000 and refund["reason"] == "damaged"
    assert refund["refund_id"] in [r["refund_id"] for r in as_json(ckpay("owner", "refunds", "list")[0])["refunds"]]

    out, _ = ckpay("owner", "events", "tail", "--since", "0", "--count", "2", "--interval", "0.1", "--timeout", "20")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 2 and lines[0]["seq"] < lines[1]["seq"]
    out, _ = ckpay(
        "owner",
        "events",
        "tail",
        "--type",
        "payment.refunded",
        "--since",
        "0",
        "--count",
        "1",
        "--interval",
        "0.1",
        "--timeout",
        "20",
    )
    assert json.loads(out)["event_type"] == "payment.refunded"


def test_webhook_add_test_list_and_verify(env, ckpay, tmp_path):
    with WebhookReceiver() as receiver:
        added = as_json(
            ckpay("owner", "webhook", "add", receiver.url, "--events", "checkout.session.completed", "webhook.test")[0]
        )
        receiver.secrets.append(added["secret"])
        result = as_json(ckpay("owner", "webhook", "test", added["webhook_id"])[0])
        assert result["success"] and receiver.wait_for("webhook.test", 5) is not None
        listed = as_json(ckpay("owner", "webhook", "list")[0])
        assert added["webhook_id"] in [w["webhook_id"] for w in listed]
        receiver.secrets[:] = ["whsec_wrong"]
        _, err = ckpay("owner", "webhook", "test", added["webhook_id"], expect=1)
        assert err.startswith("Error: the test delivery") and err.count("\n") == 1
    MerchantClient(env.agents["owner"], env.merchant_id).delete_webhook(added["webhook_id"])

    body = b'{"id": "evt_9", "type": "checkout.session.completed"}'
    payload = tmp_path / "body.json"
    payload.write_bytes(body)
    header = sign_webhook(body, ["whsec_a"])
    out, _ = ckpay("owner", "webhook", "verify", "--payload", str(payload), "--header", header, "--secret", "whsec_a")
    assert as_json(out)["id"] == "evt_9"
    _, err = ckpay(
        "owner", "webhook", "verify", "--payload", str(payload), "--header", header, "--secret", "whsec_b", expect=1
    )
    assert err.startswith("Error: no v1 signature matches")


def test_bad_input_gives_one_line_errors(env, ckpay, tmp_path, capsys):
    def one_line(err: str) -> None:
        assert err.startswith("Error: ") and err.count("\n") == 1, err

    _, err = ckpay("owner", "sessions", "get", "cs_nope", expect=1)
    one_line(err)
    assert "not_found: session cs_nope does not exist" in err
    _, err = ckpay("stranger", "payments", "list", expect=1)
    one_line(err)
    assert "Error: unauthorized" in err
    for argv in (
        ["sessions", "create", "--amount", "0", "--token", SYMBOL],
        ["nosuch"],
        ["sessions", "create", "--token", SYMBOL],
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        one_line(capsys.readouterr().err)
    _, err = ckpay("owner", "merchant", "deploy", "--name", "X", "--token", "LTT", expect=1)
    one_line(err)
    assert "expected SYMBOL:LEDGER_CANISTER_ID" in err
    _, err = ckpay("owner", "module", "upload", str(tmp_path / "none.wasm"), "--version", "v9", expect=1)
    one_line(err)
    empty = tmp_path / "project"
    empty.mkdir()
    (empty / "dfx.json").write_text('{"canisters": {}}')
    _, err = ckpay("owner", "--project", str(empty), "sessions", "list", merchant=False, expect=1)
    one_line(err)
    assert "no merchant canister id" in err
    _, err = ckpay("owner", "--merchant", "nope", "sessions", "list", merchant=False, expect=1)
    assert "invalid merchant canister id 'nope'" in err
    _, err = ckpay(
        "owner",
        "webhook",
        "verify",
        "--payload",
        str(tmp_path / "x"),
        "--header",
        "t=1,v1=00",
        "--secret",
        "s",
        expect=1,
    )
    one_line(err)


def test_console_script_runs(env, tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "ckpay")
    isolated = dict(os.environ, LOCALNET_HOME=str(tmp_path / "home"))  # not the user's keys
    assert os.path.exists(exe), "the ckpay console script is installed by pip install -e ."
    done = subprocess.run(
        [
            exe,
            "--network",
            env.url,
            "--merchant",
            env.merchant_id,
            "--identity",
            env.pems["owner"],
            "sessions",
            "get",
            "cs_nope",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stderr.startswith("Error: not_found") and done.stdout == ""
    done = subprocess.run(
        [exe, "--network", "http://127.0.0.1:9", "--merchant", env.merchant_id, "sessions", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=isolated,
    )
    assert done.returncode == 1 and "cannot reach http://127.0.0.1:9" in done.stderr
