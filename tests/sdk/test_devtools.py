"""Developer tools through the real commands (subprocesses of the installed `ckpay` and
`localnet` scripts) against a localnet: one identity store shared by both (dfx layout,
names or PEM paths, the default from identity.json, LOCALNET_HOME isolating), the complete
CLI (flags anywhere, --output, usage errors exit 2 naming the subcommand's help, shell
completion), idempotency errors, `ckpay listen` forwarding signed events to a local
receiver, `ckpay trigger` making events happen for real, and `localnet status|stop`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from sdk_env import SYMBOL, localnet_only

from ckpayment.receiver import WebhookReceiver
from ckpayment.webhooks import verify_webhook

BIN = os.path.dirname(sys.executable)
URLS = ["--success-url", "https://shop.example.com/ok", "--cancel-url", "https://shop.example.com/no"]
pytestmark = localnet_only


@pytest.fixture(scope="module")
def home(env, tmp_path_factory):
    """A LOCALNET_HOME holding the test's roles as named identities (dfx layout)."""
    home = tmp_path_factory.mktemp("home")
    for role in ("owner", "customer", "stranger"):
        folder = home / "identity" / f"shop-{role}"
        folder.mkdir(parents=True)
        shutil.copy(env.pems[role], folder / "identity.pem")
    return home


def run(tool, *argv, home=None, env=None, extra_env=None, expect=0, cwd=None, timeout=120):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CKPAY_", "LOCALNET_", "DFX_"))}
    if home is not None:
        environ["LOCALNET_HOME"] = str(home)
    if env is not None:
        environ.update(
            LOCALNET_URL=env.url, CKPAY_NETWORK=env.url, CKPAY_MERCHANT=env.merchant_id, CKPAY_FACTORY=env.factory_id
        )
    environ.update(extra_env or {})
    done = subprocess.run(
        [os.path.join(BIN, tool), *argv], capture_output=True, text=True, env=environ, cwd=cwd or "/", timeout=timeout
    )
    if expect is not None:
        assert done.returncode == expect, (argv, done.returncode, done.stdout, done.stderr)
    return done


def ckpay(env, home, *argv, **kw):
    return run("ckpay", *argv, home=home, env=env, **kw)


def as_json(done):
    return json.loads(done.stdout)


# ---- one identity store ---------------------------------------------------------------------
def test_one_identity_store_for_ckpay_and_localnet(env, home, tmp_path):
    owner = env.principal("owner")
    # a name, in either tool; localnet shows the same principal ckpay acts as
    got = run("localnet", "identity", "get-principal", "--identity", "shop-owner", home=home)
    assert got.stdout.strip() == owner
    assert ckpay(env, home, "--identity", "shop-owner", "sessions", "list").returncode == 0
    refused = ckpay(env, home, "--identity", "shop-stranger", "sessions", "list", expect=1)
    assert refused.stderr.startswith("Error: unauthorized")
    # a PEM path in either tool
    got = run("localnet", "identity", "whoami", "--identity", env.pems["owner"], home=home)
    assert got.stdout.strip() == owner
    assert ckpay(env, home, "--identity", env.pems["owner"], "sessions", "list").returncode == 0
    missing = ckpay(env, home, "--identity", "ghost", "sessions", "list", expect=1)
    assert "no identity named 'ghost'" in missing.stderr
    # the selected one (identity.json) is the default of both
    own = tmp_path / "own-home"
    shutil.copytree(home, own)
    run("localnet", "identity", "use", "shop-owner", home=own)
    assert json.loads((own / "identity.json").read_text()) == {"default": "shop-owner"}
    assert run("localnet", "identity", "whoami", home=own).stdout.strip() == owner
    assert ckpay(env, own, "sessions", "list").returncode == 0
    listing = run("localnet", "identity", "list", "--output", "json", home=own)
    assert {"name": "shop-owner", "selected": True} in as_json(listing)
    # without LOCALNET_HOME: dfx's own store under $HOME/.config/dfx
    user = tmp_path / "user"
    dfx = user / ".config" / "dfx"
    shutil.copytree(home / "identity", dfx / "identity")
    (dfx / "identity.json").write_text('{"default": "shop-owner"}')
    fake = {"HOME": str(user)}
    assert run("localnet", "identity", "whoami", extra_env=fake).stdout.strip() == owner
    assert ckpay(env, None, "sessions", "list", extra_env=fake).returncode == 0
    made = run("localnet", "identity", "new", "fresh", "--output", "json", extra_env=fake)
    assert as_json(made)["pem"] == str(dfx / "identity" / "fresh" / "identity.pem")
    assert (dfx / "identity" / "fresh" / "identity.pem").stat().st_mode & 0o777 == 0o600


# ---- the complete CLI -----------------------------------------------------------------------
def test_flags_anywhere_and_usage_errors(env, home):
    done = run(
        "localnet",
        "call",
        env.merchant_id,
        "list_payments",
        "--identity",
        "shop-owner",
        "(null, opt 1)",
        home=home,
        env=env,
    )
    assert done.stdout.startswith("(variant { Ok = record {")
    done = run(
        "localnet",
        "call",
        env.merchant_id,
        "list_payments",
        "--identity",
        "shop-owner",
        "(null, opt 1)",
        "--output",
        "json",
        home=home,
        env=env,
    )
    assert "payments" in as_json(done)["Ok"]
    # ckpay's global options after the command, as dfx takes them
    page = as_json(ckpay(env, home, "sessions", "list", "--limit", "1", "--identity", "shop-owner"))
    assert set(page) == {"sessions", "next_cursor"}
    for tool, argv, helps in (
        ("ckpay", ["sessions", "create", "--amount", "1"], "ckpay sessions create --help"),
        ("ckpay", ["sessions", "list", "--bogus"], "ckpay sessions list --help"),
        ("ckpay", ["sessions"], "ckpay sessions --help"),
        ("localnet", ["call", "x"], "localnet call --help"),
        ("localnet", ["start", "--port", "99999"], "localnet start --help"),
    ):
        bad = run(tool, *argv, home=home, expect=2)
        assert bad.stderr.startswith("Error: ") and bad.stderr.count("\n") == 1, bad.stderr
        assert f"(see `{helps}`)" in bad.stderr
    for tool in ("ckpay", "localnet"):
        assert run(tool, "--version").stdout.startswith(f"{tool} 0.")


def test_shell_completion_from_the_parser(tmp_path):
    import shlex

    for tool, words, expected in (
        ("ckpay", ["webhooks", ""], {"delete", "rotate", "resend"}),
        ("ckpay", ["sessions", "pay", "--"], {"--payer", "--identity"}),
        ("localnet", [""], {"status", "stop", "deploy"}),
    ):
        script = tmp_path / f"{tool}.bash"
        script.write_text(run(tool, "completion", "bash").stdout)
        line = " ".join(shlex.quote(w) for w in [tool, *words])
        probe = (
            f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; "
            f'_{tool}_complete; printf "%s\\n" "${{COMPREPLY[@]}}"'
        )
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
        assert expected <= set(done.stdout.split()), (words, done.stdout, done.stderr)


def test_every_merchant_area_from_the_cli(env, home):
    own = ("--identity", "shop-owner")
    session = as_json(ckpay(env, home, "sessions", "create", "--amount", "300_000", "--token", SYMBOL, *URLS, *own))
    sid = session["session_id"]
    # pay as the customer (ICRC-2 approve + pay), then read it back in text form
    paid = as_json(ckpay(env, home, "sessions", "pay", sid, "--payer", "shop-customer", *own))
    assert paid["status"] == {"complete": None}
    text = ckpay(env, home, "sessions", "get", sid, "--output", "text", *own).stdout
    assert "status" in text and "complete" in text and not text.startswith("{")
    payment = as_json(ckpay(env, home, "payments", "get", paid["payment_intent_id"], *own))
    assert payment["session_id"] == sid and payment["method"] == "icrc2"
    refund = as_json(ckpay(env, home, "refunds", "create", payment["payment_id"], "--amount", "1000", *own))
    refunds = as_json(ckpay(env, home, "refunds", "list", *own))["refunds"]
    assert refund["refund_id"] in [r["refund_id"] for r in refunds]
    payout = as_json(
        ckpay(env, home, "payouts", "create", "--token", SYMBOL, "--amount", "50000", "--memo", "cli", *own)
    )
    payouts = as_json(ckpay(env, home, "payouts", "list", *own))["payouts"]
    assert payout["payout_id"] in [p["payout_id"] for p in payouts]
    # --all follows every page (auto-paging iterators), here one item per page
    for group, key, made in (("refunds", "refund_id", refund), ("payouts", "payout_id", payout)):
        every = as_json(ckpay(env, home, group, "list", "--all", "--limit", "1", *own))
        assert made[key] in [item[key] for item in every]
    events = as_json(ckpay(env, home, "events", "list", "--all", "--limit", "1", *own))
    seqs = [e["seq"] for e in events]
    assert len(seqs) >= 2 and seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    # expire one session by id
    other = as_json(ckpay(env, home, "sessions", "create", "--amount", "30000", "--token", SYMBOL, *URLS, *own))
    gone = as_json(ckpay(env, home, "sessions", "expire", other["session_id"], *own))
    assert gone["status"] == {"expired": None}
    assert "expired" in as_json(ckpay(env, home, "sessions", "expire", *own))
    # analytics
    metrics = as_json(ckpay(env, home, "analytics", *own))
    assert metrics and isinstance(metrics, dict)
    for report in ("sessions", "payments", "revenue", "conversion", "one-click"):
        assert isinstance(as_json(ckpay(env, home, "analytics", report, *own)), dict)
    # one-click: the customer pre-authorizes, the merchant charges, then revokes
    auth = as_json(
        ckpay(
            env,
            home,
            "one-click",
            "authorize",
            "--token",
            SYMBOL,
            "--max-amount",
            "40000",
            "--customer",
            "shop-customer",
            *own,
        )
    )
    charged = as_json(ckpay(env, home, "one-click", "charge", auth["auth_id"], "--amount", "30000", *own))
    assert charged["amount"] == 30_000
    ckpay(env, home, "one-click", "revoke", auth["auth_id"], *own)
    got = as_json(ckpay(env, home, "one-click", "get", auth["auth_id"], *own))
    assert got["status"] == {"revoked": None} or got["status"] == "revoked"
    # merchants list: the owner's canisters through the factory
    listed = as_json(ckpay(env, home, "merchants", "list", *own))
    assert env.merchant_id in [m["canister_id"] for m in listed]


def test_idempotency_key_with_other_parameters_is_an_error(env, home):
    own = ("--identity", "shop-owner")
    key = "k-" + os.urandom(4).hex()
    first = as_json(
        ckpay(
            env,
            home,
            "sessions",
            "create",
            "--amount",
            "100000",
            "--token",
            SYMBOL,
            "--idempotency-key",
            key,
            *URLS,
            *own,
        )
    )
    again = as_json(
        ckpay(
            env,
            home,
            "sessions",
            "create",
            "--amount",
            "100000",
            "--token",
            SYMBOL,
            "--idempotency-key",
            key,
            *URLS,
            *own,
        )
    )
    assert again["session_id"] == first["session_id"]
    refused = ckpay(
        env,
        home,
        "sessions",
        "create",
        "--amount",
        "200000",
        "--token",
        SYMBOL,
        "--idempotency-key",
        key,
        *URLS,
        *own,
        expect=1,
    )
    assert refused.stderr.startswith("Error: idempotency_error: ")
    assert first["session_id"] in refused.stderr


def test_webhooks_delete_rotate_attempts_resend(env, home):
    own = ("--identity", "shop-owner")
    with WebhookReceiver() as receiver:
        hook = as_json(
            ckpay(env, home, "webhooks", "add", receiver.url, "--events", "checkout.session.completed", *own)
        )
        receiver.secrets.append(hook["secret"])
        wid = hook["webhook_id"]
        rotated = as_json(ckpay(env, home, "webhooks", "rotate", wid, "--overlap", "600", *own))
        assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
        receiver.secrets[:] = [rotated["secret"]]
        assert as_json(ckpay(env, home, "webhooks", "test", wid, *own))["success"]
        # a real event: the canister delivers it (its outcall, logged in attempts)
        completed = as_json(
            ckpay(env, home, "trigger", "checkout.session.completed", "--customer", "shop-customer", *own)
        )
        event = completed["event"]
        first = receiver.wait_for("checkout.session.completed", 30)
        assert first is not None and first["event"]["id"] == event["event_id"]
        # resend: the canister queues a new delivery of the stored event and makes it
        resent = as_json(ckpay(env, home, "webhooks", "resend", wid, event["event_id"], "--wait", "30", *own))
        assert resent["delivery_id"].startswith("dlv_")
        assert resent["attempt"]["success"] and resent["attempt"]["status_code"] == 200
        again = [d for d in receiver.deliveries if d["verified"] and d["event"]["id"] == event["event_id"]]
        assert len(again) == 2 and again[1]["event"] == again[0]["event"]
        assert again[1]["headers"]["idempotency-key"] == event["event_id"]
        attempts = as_json(ckpay(env, home, "webhooks", "attempts", wid, *own))
        mine = [x for x in attempts if x["event_id"] == event["event_id"]]
        assert len(mine) == 2 and mine[0]["delivery_id"] == resent["delivery_id"]
        assert mine[1]["delivery_id"] != resent["delivery_id"] and all(x["success"] for x in mine)
        # bad inputs are the canister's clear errors
        other = as_json(ckpay(env, home, "trigger", "checkout.session.expired", *own))["event"]
        refused = ckpay(env, home, "webhooks", "resend", wid, other["event_id"], *own, expect=1)
        assert refused.stderr.startswith("Error: invalid_argument: webhook ")
        missing = ckpay(env, home, "webhooks", "resend", wid, "evt_" + "0" * 24, *own, expect=1)
        assert missing.stderr.startswith("Error: not_found: event ")
        stranger = ckpay(
            env, home, "webhooks", "resend", wid, event["event_id"], "--identity", "shop-stranger", expect=1
        )
        assert stranger.stderr.startswith("Error: unauthorized")
        ckpay(env, home, "webhooks", "delete", wid, *own)
        listed = as_json(ckpay(env, home, "webhooks", "list", *own))
        assert wid not in [w["webhook_id"] for w in listed]
    gone = ckpay(env, home, "webhooks", "get", wid, *own, expect=1)
    assert "not_found" in gone.stderr


# ---- listen and trigger ---------------------------------------------------------------------
def _listen(env, home, *argv):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CKPAY_", "LOCALNET_"))}
    environ.update(LOCALNET_HOME=str(home), CKPAY_NETWORK=env.url, CKPAY_MERCHANT=env.merchant_id, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            os.path.join(BIN, "ckpay"),
            "--identity",
            "shop-owner",
            "listen",
            "--interval",
            "0.2",
            "--timeout",
            "90",
            *argv,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    ready = proc.stdout.readline()
    assert ready.startswith("Ready! "), (ready, proc.stderr.read() if proc.poll() else "")
    return proc, ready


def test_listen_forwards_triggered_events_signed(env, home):
    own = ("--identity", "shop-owner")
    with WebhookReceiver() as receiver:
        proc, ready = _listen(
            env,
            home,
            "--forward-to",
            receiver.url,
            "--events",
            "checkout.session.completed",
            "payment.refunded",
            "--count",
            "3",
        )
        secret = ready.split("signing secret is ")[1].split()[0]
        assert secret.startswith("whsec_")
        receiver.secrets.append(secret)
        done = as_json(ckpay(env, home, "trigger", "checkout.session.completed", "--customer", "shop-customer", *own))
        assert done["event"]["event_type"] == "checkout.session.completed"
        assert done["session"]["status"] == {"complete": None}
        refunded = as_json(ckpay(env, home, "trigger", "payment.refunded", "--customer", "shop-customer", *own))
        assert refunded["refund"]["payment_id"] == refunded["payment"]["payment_id"]
        expired = as_json(ckpay(env, home, "trigger", "checkout.session.expired", *own))
        assert expired["session"]["status"] == {"expired": None}  # filtered out by --events
        out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 3, out
    assert all("<-- [200] POST " + receiver.url in line and " ms" in line for line in lines)
    types = [d["event"]["type"] for d in receiver.deliveries if d["verified"]]
    assert sorted(types) == ["checkout.session.completed", "checkout.session.completed", "payment.refunded"]
    first = receiver.deliveries[0]
    assert verify_webhook(first["body"], first["headers"]["ckpay-signature"], secret)
    assert "checkout.session.expired" not in out


def test_listen_retries_and_reports_a_dead_endpoint(env, home):
    own = ("--identity", "shop-owner")
    proc, _ = _listen(
        env,
        home,
        "--forward-to",
        "http://127.0.0.1:9/hooks",
        "--retries",
        "1",
        "--count",
        "1",
        "--events",
        "checkout.session.expired",
        "--output",
        "text",
    )
    ckpay(env, home, "trigger", "checkout.session.expired", *own)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    assert "<-- [ERR] POST http://127.0.0.1:9/hooks" in out and "2 attempts" in out
    assert "cannot reach" in out


def test_trigger_one_click_events(env, home):
    own = ("--identity", "shop-owner", "--customer", "shop-customer")
    for event_type in (
        "one_click.authorization.created",
        "one_click.charged",
        "one_click.authorization.revoked",
        "payment.failed",
    ):
        done = as_json(ckpay(env, home, "trigger", event_type, "--amount", "20000", *own))
        assert done["event"]["event_type"] == event_type
    bad = ckpay(env, home, "trigger", "no.such.event", *own, expect=2)
    assert "invalid choice" in bad.stderr


# ---- localnet status and stop ---------------------------------------------------------------
def test_localnet_status_and_stop(tmp_path):
    home = tmp_path / "home"
    port_file = tmp_path / "port"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOCALNET_")}
    environ["LOCALNET_HOME"] = str(home)
    proc = subprocess.Popen(
        [
            os.path.join(BIN, "localnet"),
            "start",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--state-dir",
            str(tmp_path / "state"),
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().endswith("\n")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        url = f"http://127.0.0.1:{int(port_file.read_text())}"
        status = run("localnet", "status", "--network", url, "--output", "json", home=home)
        info = as_json(status)
        assert info["running"] and info["pid"] == proc.pid and info["url"] == url
        stopped = run("localnet", "stop", "--network", url, home=home)
        assert f"pid {proc.pid}" in stopped.stdout and "state saved" in stopped.stdout
        assert proc.wait(timeout=30) == 0
        after = run("localnet", "status", "--network", url, home=home, expect=1)
        assert "not running" in after.stdout
        again = run("localnet", "stop", "--network", url, home=home, expect=1)
        assert again.stderr.startswith("Error: localnet is not running")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_trigger_refund_on_a_merchant_holding_only_that_payment(env, home):
    """The merchant pays a refund's ledger fee: with nothing but the triggered payment on its
    books, `trigger payment.refunded` refunds it less that fee instead of failing."""
    own = ("--identity", "shop-owner")
    from ckpayment import IcAgent, MerchantClient, load_identity

    shop = MerchantClient(IcAgent(env.url, load_identity(env.pems["owner"])), env.merchant_id)
    row = next(r for r in shop.reconcile_balances() if r["symbol"] == SYMBOL)
    fee = 10_000
    if row["book_balance"] > fee:  # pay out everything the merchant holds
        as_json(
            ckpay(env, home, "payouts", "create", "--token", SYMBOL, "--amount", str(row["book_balance"] - fee), *own)
        )
    assert next(r for r in shop.reconcile_balances() if r["symbol"] == SYMBOL)["book_balance"] <= fee
    done = as_json(
        ckpay(env, home, "trigger", "payment.refunded", "--customer", "shop-customer", "--amount", "50000", *own)
    )
    assert done["event"]["event_type"] == "payment.refunded"
    assert done["refund"]["payment_id"] == done["payment"]["payment_id"]
    assert done["refund"]["amount"] == done["payment"]["amount"] - fee
