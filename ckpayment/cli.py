"""`ckpay`: the ckPayment command line (merchants and operators), as Stripe's CLI.

  ckpay merchants deploy|list|get|grant-credits      ckpay module upload|list
  ckpay templates seed|list
  ckpay sessions create|get|list|pay|expire     ckpay payments get|list
  ckpay refunds create|list            ckpay payouts create|list
  ckpay events list|get|tail           ckpay webhooks add|list|get|delete|rotate|test|attempts|resend|verify
  ckpay analytics REPORT               ckpay one-click authorize|get|charge|revoke
  ckpay listen --forward-to URL        ckpay trigger EVENT_TYPE
  ckpay completion bash|zsh            ckpay --version

Global options (anywhere on the line): --network URL, --identity NAME|PEM, --factory ID,
--merchant ID (ids default to $CKPAY_FACTORY / $CKPAY_MERCHANT, then
`.dfx/local/canister_ids.json`), --project DIR, --output json|text. Every failure prints
one `Error: ...` line on stderr and exits 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import os
import sys

from .agent import DEFAULT_URL
from .cli_kit import Parser, completion_script
from .cli_kit import emit as _emit

FACTORY_NAMES = ("payment_backend",)
MERCHANT_NAMES = ("merchant", "user_payment_canister")


class CliError(Exception):
    """A user-facing failure, printed as one line."""


def emit(value, a=None, line: bool = False) -> None:
    _emit(value, getattr(a, "output", "json") or "json", line)


# ---- context -------------------------------------------------------------------------------
def _project_ids(start: str | None) -> tuple[str | None, dict]:
    from localnet.http.project import ProjectError, find_root, load_ids

    try:
        root = find_root(start or ".")
    except ProjectError:
        return None, {}
    return root, load_ids(root)


class Context:
    def __init__(self, a):
        self.a = a
        self.url = a.network or os.environ.get("CKPAY_NETWORK") or os.environ.get("LOCALNET_URL") or DEFAULT_URL
        self.identity = a.identity or os.environ.get("CKPAY_IDENTITY")
        self._agents = {}

    def agent_for(self, identity: str | None):
        """An agent signing as `identity` (a stored name or a PEM path; None: the
        selected one, as dfx)."""
        from .agent import IcAgent
        from .identity import resolve_identity

        if identity not in self._agents:
            self._agents[identity] = IcAgent(self.url, resolve_identity(identity))
        return self._agents[identity]

    @property
    def agent(self):
        return self.agent_for(self.identity)

    def canister_id(self, flag: str | None, env: str, names, what: str) -> str:
        from ic.principal import Principal

        value = flag or os.environ.get(env)
        if not value:
            _, ids = _project_ids(self.a.project)
            value = next((ids[n] for n in names if n in ids), None)
        if not value:
            raise CliError(
                f"no {what} canister id: pass --{what} ID, set ${env}, or deploy "
                f"it (.dfx/local/canister_ids.json has no {' / '.join(names)})"
            )
        try:
            Principal.from_str(value)
        except Exception:
            raise CliError(f"invalid {what} canister id {value!r}") from None
        return value

    def factory(self):
        from .factory import FactoryClient

        return FactoryClient(self.agent, self.canister_id(self.a.factory, "CKPAY_FACTORY", FACTORY_NAMES, "factory"))

    def merchant_id(self) -> str:
        return self.canister_id(self.a.merchant, "CKPAY_MERCHANT", MERCHANT_NAMES, "merchant")

    def merchant(self, identity: str | None = None, as_caller: bool = False):
        """The merchant canister as the command's identity (or as `identity`)."""
        from .merchant import MerchantClient

        agent = self.agent_for(identity) if as_caller else self.agent
        return MerchantClient(agent, self.merchant_id())

    def ledger_of(self, token: str, identity: str | None):
        """The ledger of the merchant's token `token`, called as `identity`."""
        from .ledger import LedgerClient

        for config in self.merchant().accepted_tokens():
            if config["symbol"] == token:
                return LedgerClient(self.agent_for(identity), config["ledger_canister_id"])
        raise CliError(f"the merchant does not accept {token!r} (see `ckpay merchants get`)")


def _console():
    from rich.console import Console

    return Console(stderr=True)


# ---- commands ------------------------------------------------------------------------------
def _token_pair(text: str) -> tuple[str, str]:
    from ic.principal import Principal

    symbol, sep, ledger = text.partition(":")
    if not sep or not symbol or not ledger:
        raise CliError(f"--token {text!r}: expected SYMBOL:LEDGER_CANISTER_ID")
    try:
        Principal.from_str(ledger)
    except Exception:
        raise CliError(f"--token {text!r}: {ledger!r} is not a principal") from None
    return symbol, ledger


def cmd_merchant_deploy(ctx: Context, a) -> None:
    from localnet.http.project import save_id

    from .factory import merchant_config

    config = merchant_config(a.name, [_token_pair(t) for t in a.token or []], a.website, a.email)
    with _console().status("deploying a merchant canister through the factory"):
        record = ctx.factory().deploy_merchant(config, a.version, a.owner)
    cid = record["canister_id"]
    root, _ = _project_ids(a.project)
    if cid is not None and root is not None and not a.no_save:
        save_id(root, "merchant", cid.to_str())
    emit(record, a)


def cmd_merchants_list(ctx: Context, a) -> None:
    owner = a.owner or ctx.agent.identity.sender().to_str()
    emit(list(ctx.factory().iter_merchants_by_owner(owner)), a)


def cmd_merchants_get(ctx: Context, a) -> None:
    cid = a.canister_id or ctx.merchant_id()
    record = dict(ctx.factory().get_merchant(cid))
    record["accepted_tokens"] = ctx.merchant().accepted_tokens()
    emit(record, a)


def cmd_merchant_grant_credits(ctx: Context, a) -> None:
    factory = ctx.factory()
    factory.grant_deployment_credits(a.owner, a.count)
    emit({"owner": a.owner, "deployment_credits": factory.deployment_credits(a.owner)})


def cmd_module_upload(ctx: Context, a) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    try:
        with open(a.wasm, "rb") as f:
            module = f.read()
    except OSError as exc:
        raise CliError(f"{a.wasm}: {exc.strerror}") from None
    factory = ctx.factory()
    columns = (
        TextColumn(f"uploading {a.version}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=_console(), transient=False) as progress:
        task = progress.add_task("upload", total=len(module))
        info = factory.upload_module(
            a.version,
            module,
            a.notes,
            progress=lambda done, total: progress.update(task, completed=done),
            make_default=a.default,
        )
    emit(info, a)


def cmd_module_list(ctx: Context, a) -> None:
    emit(ctx.factory().list_versions(a.cursor, a.limit), a)


def cmd_templates_seed(ctx: Context, a) -> None:
    from .modal_templates import seed_default_templates

    factory = ctx.factory()
    created = seed_default_templates(factory)
    emit(
        {"created": created, "templates": [t["template_name"] for t in factory.call("list_public_modal_templates")]}, a
    )


def cmd_templates_list(ctx: Context, a) -> None:
    emit(ctx.factory().call("list_public_modal_templates"), a)


def _metadata(pairs) -> list[tuple[str, str]]:
    out = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--metadata {pair!r}: expected KEY=VALUE")
        out.append((key, value))
    return out


def cmd_sessions_create(ctx: Context, a) -> None:
    emit(
        ctx.merchant().create_session(
            a.amount,
            a.token,
            success_url=a.success_url,
            cancel_url=a.cancel_url,
            metadata=_metadata(a.metadata),
            customer_email=a.email,
            client_reference_id=a.reference,
            expires_in_seconds=a.expires_in,
            idempotency_key=a.idempotency_key,
        ),
        a,
    )


def cmd_sessions_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_session(a.session_id), a)


def _page(a, fetch, iterate):
    return list(iterate(a.limit)) if a.all else fetch(a.cursor, a.limit)


def cmd_sessions_list(ctx: Context, a) -> None:
    m = ctx.merchant()
    emit(_page(a, m.list_sessions, m.iter_sessions), a)


def pay_session(ctx: Context, session_id: str, payer: str | None, token: str | None = None):
    """ICRC-2 payment of a session by `payer`: approve amount + fee, then pay."""
    payer_merchant = ctx.merchant(payer, as_caller=True)
    session = payer_merchant.get_session(session_id)
    symbol, amount = session["currency_token"], session["amount"]
    if token is not None and token != symbol:
        option = next((o for o in session.get("price_options") or [] if o["token"] == token), None)
        if option is None:
            raise CliError(f"session {session_id} has no price in {token!r}")
        symbol, amount = token, option["amount"]
    ledger = ctx.ledger_of(symbol, payer)
    ledger.approve(ctx.merchant_id(), amount + ledger.fee())
    return payer_merchant.pay_session(session_id, token)


def cmd_sessions_pay(ctx: Context, a) -> None:
    emit(pay_session(ctx, a.session_id, a.payer or ctx.identity, a.token), a)


def cmd_sessions_expire(ctx: Context, a) -> None:
    if a.session_id is None:
        emit({"expired": ctx.merchant().expire_sessions()}, a)
    else:
        emit(ctx.merchant().result("expire_checkout_session", a.session_id), a)


def cmd_payments_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_payment(a.payment_id), a)


def cmd_payments_list(ctx: Context, a) -> None:
    m = ctx.merchant()
    emit(_page(a, m.list_payments, m.iter_payments), a)


def cmd_refunds_create(ctx: Context, a) -> None:
    emit(ctx.merchant().refund_payment(a.payment_id, a.amount, a.reason), a)


def cmd_refunds_list(ctx: Context, a) -> None:
    m = ctx.merchant()
    emit(_page(a, m.list_refunds, m.iter_refunds), a)


def cmd_payouts_create(ctx: Context, a) -> None:
    from .merchant import account

    to = None if a.to is None else account(a.to)
    emit(ctx.merchant().create_payout(a.token, a.amount, to, a.memo), a)


def cmd_payouts_list(ctx: Context, a) -> None:
    m = ctx.merchant()
    emit(_page(a, m.list_payouts, m.iter_payouts), a)


def cmd_events_list(ctx: Context, a) -> None:
    m = ctx.merchant()
    if a.all:
        emit(list(m.iter_events(a.limit, a.type)), a)
    else:
        emit(m.list_events(a.cursor, a.limit, a.type), a)


def cmd_events_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_event(a.event_id), a)


def cmd_events_tail(ctx: Context, a) -> None:
    import time

    merchant = ctx.merchant()
    deadline = None if a.timeout is None else time.monotonic() + a.timeout
    seen = 0

    def stop() -> bool:
        return (a.count is not None and seen >= a.count) or (deadline is not None and time.monotonic() >= deadline)

    for event in merchant.tail_events(a.type, a.interval, a.since, stop):
        emit(event, a, line=True)
        seen += 1
        if a.count is not None and seen >= a.count:
            return


def cmd_webhook_add(ctx: Context, a) -> None:
    merchant = ctx.merchant()
    webhook_id = merchant.configure_webhook(a.url, a.events or ["*"])
    emit(merchant.get_webhook(webhook_id), a)


def cmd_webhook_list(ctx: Context, a) -> None:
    emit(ctx.merchant().list_webhooks(), a)


def cmd_webhook_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_webhook(a.webhook_id), a)


def cmd_webhook_delete(ctx: Context, a) -> None:
    ctx.merchant().delete_webhook(a.webhook_id)
    emit({"webhook_id": a.webhook_id, "deleted": True}, a)


def cmd_webhook_rotate(ctx: Context, a) -> None:
    secret = ctx.merchant().rotate_webhook_secret(a.webhook_id, a.overlap)
    emit({"webhook_id": a.webhook_id, "secret": secret}, a)


def cmd_webhook_attempts(ctx: Context, a) -> None:
    emit(ctx.merchant().webhook_attempts(a.webhook_id, a.limit), a)


def cmd_webhook_test(ctx: Context, a) -> None:
    result = ctx.merchant().test_webhook(a.webhook_id)
    emit(result, a)
    if not result["success"]:
        raise CliError(
            f"the test delivery to {a.webhook_id} failed: {result['error'] or 'status ' + str(result['status_code'])}"
        )


def cmd_webhook_resend(ctx: Context, a) -> None:
    """Asks the canister to deliver a recorded event again (`resend_webhook_event`): its
    own HTTPS outcall, signed, logged in `webhooks attempts` and retried as any delivery.
    With --wait, follows the attempt log until the first attempt of that delivery."""
    import time

    merchant = ctx.merchant()
    delivery_id = merchant.resend_event(a.webhook_id, a.event_id)
    result = {"webhook_id": a.webhook_id, "event_id": a.event_id, "delivery_id": delivery_id}
    if not a.wait:
        emit(result, a)
        return
    deadline = time.monotonic() + a.wait
    while True:
        attempt = next((x for x in merchant.webhook_attempts(a.webhook_id) if x["delivery_id"] == delivery_id), None)
        if attempt is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    result["attempt"] = attempt
    emit(result, a)
    if attempt is None:
        raise CliError(
            f"{delivery_id} was not attempted within {a.wait} s (it stays queued; "
            f"see `ckpay webhooks attempts {a.webhook_id}`)"
        )
    if not attempt["success"]:
        raise CliError(
            f"resending {a.event_id} failed: "
            f"{attempt['error'] or 'status ' + str(attempt['status_code'])} "
            f"(the canister retries it with backoff)"
        )


def cmd_webhook_verify(ctx: Context, a) -> None:
    from .webhooks import verify_webhook

    try:
        payload = sys.stdin.buffer.read() if a.payload == "-" else open(a.payload, "rb").read()
    except OSError as exc:
        raise CliError(f"{a.payload}: {exc.strerror}") from None
    emit(verify_webhook(payload, a.header, a.secret, tolerance=a.tolerance), a)


ANALYTICS = {
    "metrics": lambda m, a: m.metrics(),
    "payments": lambda m, a: m.payment_analytics(*_days(a)),
    "sessions": lambda m, a: m.session_analytics(),
    "conversion": lambda m, a: m.conversion_metrics(),
    "customers": lambda m, a: m.customer_behavior(),
    "revenue": lambda m, a: m.revenue_breakdown(a.granularity, *_days(a)),
    "one-click": lambda m, a: m.one_click_analytics(),
}


def _days(a) -> tuple[int, int]:
    import time

    end = time.time_ns()
    return end - a.days * 86400 * 10**9, end


def cmd_analytics(ctx: Context, a) -> None:
    emit(ANALYTICS[a.report](ctx.merchant(), a), a)


def cmd_one_click_authorize(ctx: Context, a) -> None:
    """As the customer: approve the merchant on the ledger, then pre-authorize."""
    import time

    customer = a.customer or ctx.identity
    merchant = ctx.merchant(customer, as_caller=True)
    ledger = ctx.ledger_of(a.token, customer)
    expires = time.time_ns() + (a.duration + 3600) * 10**9
    ledger.approve(ctx.merchant_id(), a.max_amount + ledger.fee(), expires)
    me = ctx.agent_for(customer).identity.sender().to_str()
    auth_id = merchant.create_pre_authorization(me, a.max_amount, a.token, a.duration, a.uses)
    emit(merchant.get_pre_authorization(auth_id), a)


def cmd_one_click_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_pre_authorization(a.auth_id), a)


def cmd_one_click_charge(ctx: Context, a) -> None:
    payment_id = ctx.merchant().charge_one_click(a.auth_id, a.amount, _metadata(a.metadata))
    emit(ctx.merchant().get_payment(payment_id), a)


def cmd_one_click_revoke(ctx: Context, a) -> None:
    ctx.merchant().revoke_pre_authorization(a.auth_id)
    emit({"auth_id": a.auth_id, "revoked": True}, a)


def cmd_listen(ctx: Context, a) -> None:
    from .listen import listen

    listen(
        ctx.merchant(),
        a.forward_to,
        events=a.events,
        since=a.since,
        secret=a.secret,
        retries=a.retries,
        interval=a.interval,
        count=a.count,
        timeout=a.timeout,
        output=a.output or "text",
    )


def cmd_trigger(ctx: Context, a) -> None:
    from .trigger import trigger

    emit(trigger(ctx, a.event_type, token=a.token, customer=a.customer, amount=a.amount), a)


def cmd_completion(ctx: Context, a) -> None:
    sys.stdout.write(completion_script(build_parser(), a.shell))


# ---- parser --------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _global_options(p, top: bool) -> None:
    """The options every command takes; on subcommands they default to SUPPRESS, so one
    given before the command is not reset by the subcommand's parser."""
    d = (lambda v: v) if top else (lambda v: argparse.SUPPRESS)
    p.add_argument(
        "--network", default=d(None), help=f"replica URL (default $CKPAY_NETWORK, $LOCALNET_URL or {DEFAULT_URL})"
    )
    p.add_argument(
        "--identity",
        default=d(None),
        help="identity name or PEM file (default $CKPAY_IDENTITY, then the selected identity, as dfx)",
    )
    p.add_argument("--factory", default=d(None), help="factory canister id")
    p.add_argument("--merchant", default=d(None), help="merchant canister id")
    p.add_argument(
        "--project",
        default=d(None),
        help="dfx project directory for canister_ids.json (default: the nearest dfx.json upwards)",
    )
    p.add_argument(
        "--output", choices=("json", "text"), default=d(None), help="output format (default json; `listen`: text)"
    )


def version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ckpayment")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ckpay",
        description="ckPayment: merchant canisters on the Internet "
        "Computer (factory, checkout sessions, payments, refunds, webhooks)",
    )
    p.add_argument("--version", action="version", version=f"ckpay {version_text()}")
    _global_options(p, top=True)
    groups = p.add_subparsers(dest="group", required=True, parser_class=Parser, metavar="COMMAND")

    def group(name, help_text, aliases=()):
        g = groups.add_parser(name, help=help_text, aliases=list(aliases), description=help_text)
        return g.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="SUBCOMMAND")

    def leaf(parent, name, func, help_text):
        s = parent.add_parser(name, help=help_text, description=help_text)
        _global_options(s, top=False)
        s.set_defaults(func=func)
        return s

    def page_args(s):
        s.add_argument("--limit", type=_positive, help="page size (at most 100)")
        s.add_argument("--cursor", help="next_cursor of the previous page")
        s.add_argument("--all", action="store_true", help="follow every page")

    g = group("merchants", "merchant canisters (through the factory)", ["merchant"])
    s = leaf(g, "deploy", cmd_merchant_deploy, "deploy a merchant canister through the factory")
    s.add_argument("--name", required=True)
    s.add_argument("--token", action="append", metavar="SYMBOL:LEDGER")
    s.add_argument("--website")
    s.add_argument("--email")
    s.add_argument("--version", help="module version (default: the factory's default)")
    s.add_argument("--owner", help="owner principal (admins only; default: the caller)")
    s.add_argument("--no-save", action="store_true", help="do not record the id as `merchant` in canister_ids.json")
    s = leaf(g, "grant-credits", cmd_merchant_grant_credits, "let an owner deploy merchant canisters (admins)")
    s.add_argument("--owner", required=True, help="owner principal")
    s.add_argument("--count", type=_positive, default=1, help="how many deployments (default 1)")
    s = leaf(g, "list", cmd_merchants_list, "merchant canisters of an owner (default: you)")
    s.add_argument("--owner", help="owner principal (default: the caller)")
    s = leaf(g, "get", cmd_merchants_get, "a merchant canister's factory record and tokens")
    s.add_argument("canister_id", nargs="?", help="default: --merchant")

    g = group("module", "the factory's merchant module store (admins)")
    s = leaf(g, "upload", cmd_module_upload, "upload a merchant Wasm (or .wasm.gz) in 1 MiB chunks")
    s.add_argument("wasm")
    s.add_argument("--version", required=True)
    s.add_argument("--notes", default="")
    s.add_argument("--default", action="store_true", help="make it the default version")
    s = leaf(g, "list", cmd_module_list, "list stored versions")
    s.add_argument("--limit", type=_positive, default=50)
    s.add_argument("--cursor")

    g = group("templates", "the factory's public modal templates")
    leaf(g, "seed", cmd_templates_seed, "publish the default templates the factory does not list yet (admins)")
    leaf(g, "list", cmd_templates_list, "list the public templates, newest first")

    g = group("sessions", "checkout sessions")
    s = leaf(g, "create", cmd_sessions_create, "create a checkout session")
    s.add_argument("--amount", type=_positive, required=True, help="base units (e8s...)")
    s.add_argument("--token", required=True, help="token symbol")
    s.add_argument("--success-url")
    s.add_argument("--cancel-url")
    s.add_argument("--metadata", action="append", metavar="KEY=VALUE")
    s.add_argument("--email")
    s.add_argument("--reference", help="client_reference_id")
    s.add_argument("--expires-in", type=_positive, help="seconds (1800-86400)")
    s.add_argument("--idempotency-key", help="same key, same parameters: the same session")
    s = leaf(g, "get", cmd_sessions_get, "show a session")
    s.add_argument("session_id")
    s = leaf(g, "list", cmd_sessions_list, "list sessions, newest first")
    page_args(s)
    s = leaf(g, "pay", cmd_sessions_pay, "pay a session by ICRC-2 (approve + pay) as the customer")
    s.add_argument("session_id")
    s.add_argument("--payer", help="the paying identity (name or PEM; default --identity)")
    s.add_argument("--token", help="pay in one of the session's price options")
    s = leaf(g, "expire", cmd_sessions_expire, "expire an open session now (without ID: every session past its expiry)")
    s.add_argument("session_id", nargs="?")

    g = group("payments", "payments")
    s = leaf(g, "get", cmd_payments_get, "show a payment")
    s.add_argument("payment_id")
    s = leaf(g, "list", cmd_payments_list, "list payments, newest first")
    page_args(s)

    g = group("refunds", "refunds")
    s = leaf(g, "create", cmd_refunds_create, "refund a payment (owner)")
    s.add_argument("payment_id")
    s.add_argument("--amount", type=_positive, help="default: everything not yet refunded")
    s.add_argument("--reason")
    s = leaf(g, "list", cmd_refunds_list, "list refunds")
    page_args(s)

    g = group("payouts", "payouts to the owners' accounts")
    s = leaf(g, "create", cmd_payouts_create, "send funds to an owner's account (owner)")
    s.add_argument("--token", required=True)
    s.add_argument("--amount", type=_positive, required=True)
    s.add_argument("--to", help="owner principal (default: the caller)")
    s.add_argument("--memo")
    s = leaf(g, "list", cmd_payouts_list, "list payouts")
    page_args(s)

    g = group("events", "the merchant's events")
    s = leaf(g, "list", cmd_events_list, "list events, newest first")
    page_args(s)
    s.add_argument("--type", help="only this event type")
    s = leaf(g, "get", cmd_events_get, "show an event")
    s.add_argument("event_id")
    s = leaf(g, "tail", cmd_events_tail, "print events as they happen (one JSON line each)")
    s.add_argument("--type", help="only this event type")
    s.add_argument("--interval", type=float, default=2.0, help="poll interval in seconds")
    s.add_argument("--since", type=int, help="start after this event seq (default: the latest page)")
    s.add_argument("--count", type=_positive, help="stop after N events")
    s.add_argument("--timeout", type=float, help="stop after this many seconds")

    g = group("webhooks", "webhook endpoints", ["webhook"])
    s = leaf(g, "add", cmd_webhook_add, "register a webhook endpoint (owner)")
    s.add_argument("url")
    s.add_argument("--events", nargs="+", help="event types (default: all, `*`)")
    leaf(g, "list", cmd_webhook_list, "list webhooks (secrets masked)")
    s = leaf(g, "get", cmd_webhook_get, "show a webhook with its secret (owner)")
    s.add_argument("webhook_id")
    s = leaf(g, "delete", cmd_webhook_delete, "remove a webhook and its pending deliveries")
    s.add_argument("webhook_id")
    s = leaf(g, "rotate", cmd_webhook_rotate, "a new signing secret; the old one keeps signing during the overlap")
    s.add_argument("webhook_id")
    s.add_argument("--overlap", type=int, help="seconds the old secret stays valid (default 24 h)")
    s = leaf(g, "test", cmd_webhook_test, "send a signed webhook.test event now")
    s.add_argument("webhook_id")
    s = leaf(g, "attempts", cmd_webhook_attempts, "recent delivery attempts, newest first")
    s.add_argument("webhook_id")
    s.add_argument("--limit", type=_positive)
    s = leaf(
        g,
        "resend",
        cmd_webhook_resend,
        "the canister delivers a recorded event to "
        "the webhook again (logged in attempts; to send events to another URL, use "
        "`ckpay listen --forward-to URL --since SEQ`)",
    )
    s.add_argument("webhook_id")
    s.add_argument("event_id")
    s.add_argument(
        "--wait", type=_positive, metavar="SECONDS", help="wait for the first attempt and exit 1 if it failed"
    )
    s = leaf(g, "verify", cmd_webhook_verify, "check a received delivery's signature")
    s.add_argument("--payload", required=True, help="file with the raw body, or - for stdin")
    s.add_argument("--header", required=True, help="the ckpay-signature header value")
    s.add_argument("--secret", action="append", required=True, help="whsec_... (repeat during a rotation)")
    s.add_argument("--tolerance", type=int, default=300)

    s = leaf(groups, "analytics", cmd_analytics, "merchant analytics (staff)")
    s.add_argument("report", nargs="?", default="metrics", choices=list(ANALYTICS))
    s.add_argument("--days", type=_positive, default=30, help="window of payments/revenue")
    s.add_argument("--granularity", choices=("Day", "Week", "Month"), default="Day")

    g = group("one-click", "one-click payments (ICRC-2 pre-authorizations)")
    s = leaf(
        g, "authorize", cmd_one_click_authorize, "as the customer: approve the ledger and pre-authorize the merchant"
    )
    s.add_argument("--token", required=True)
    s.add_argument("--max-amount", type=_positive, required=True)
    s.add_argument("--duration", type=_positive, default=86400, help="seconds")
    s.add_argument("--uses", type=_positive, default=10)
    s.add_argument("--customer", help="the customer identity (default --identity)")
    s = leaf(g, "get", cmd_one_click_get, "show a pre-authorization")
    s.add_argument("auth_id")
    s = leaf(g, "charge", cmd_one_click_charge, "charge a pre-authorized customer (staff)")
    s.add_argument("auth_id")
    s.add_argument("--amount", type=_positive, required=True)
    s.add_argument("--metadata", action="append", metavar="KEY=VALUE")
    s = leaf(g, "revoke", cmd_one_click_revoke, "revoke a pre-authorization")
    s.add_argument("auth_id")

    s = leaf(groups, "listen", cmd_listen, "forward the merchant's events to a local URL, signed (as `stripe listen`)")
    s.add_argument("--forward-to", required=True, metavar="URL")
    s.add_argument("--events", nargs="+", metavar="TYPE", help="only these event types")
    s.add_argument("--since", type=int, help="start after this event seq (default: new events only)")
    s.add_argument("--secret", help="signing secret (default: a new whsec_... printed at start)")
    s.add_argument("--retries", type=int, default=3, help="retries per event on failure")
    s.add_argument("--interval", type=float, default=1.0, help="poll interval in seconds")
    s.add_argument("--count", type=_positive, help="stop after N forwarded events")
    s.add_argument("--timeout", type=float, help="stop after this many seconds")

    from .trigger import TRIGGERS

    s = leaf(
        groups,
        "trigger",
        cmd_trigger,
        "make an event happen for real (creates and pays a session, refunds, expires...)",
    )
    s.add_argument("event_type", choices=list(TRIGGERS))
    s.add_argument("--token", help="token symbol (default: the merchant's first)")
    s.add_argument("--amount", type=_positive, default=100_000)
    s.add_argument(
        "--customer", default=None, help="paying identity (name or PEM; default: `customer` if stored, else --identity)"
    )

    s = leaf(groups, "completion", cmd_completion, "print a shell completion script")
    s.add_argument("shell", choices=("bash", "zsh"))
    return p


def _message(exc: BaseException) -> str:
    from .errors import CkPaymentError

    if isinstance(exc, CkPaymentError):
        return f"{exc.code}: {exc.message}" + (f" ({exc.method})" if exc.method else "")
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(Context(args), args)
        return 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # every failure is one line; CKPAY_DEBUG=1 shows the traceback
        if os.environ.get("CKPAY_DEBUG"):
            raise
        print(f"Error: {_message(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
