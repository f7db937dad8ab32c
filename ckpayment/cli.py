"""`ckpay`: the ckPayment command line (merchants and operators).

  ckpay merchant deploy --name NAME [--token SYMBOL:LEDGER]...   (through the factory)
  ckpay merchant grant-credits --owner P [--count N]             (admins: paid deployments)
  ckpay module upload WASM --version V [--default]               (chunked, progress bar)
  ckpay sessions create --amount N --token SYM --success-url U --cancel-url U
  ckpay sessions get ID | sessions list [--limit N] [--all]
  ckpay payments list | refunds create PAYMENT_ID [--amount N] [--reason R]
  ckpay events tail [--type T]     ckpay webhook add URL | list | test ID | verify

Global options: --network URL, --identity PEM, --factory ID, --merchant ID (ids default to
$CKPAY_FACTORY / $CKPAY_MERCHANT, then `.dfx/local/canister_ids.json`). Output is JSON.
Every failure prints one `Error: ...` line on stderr and exits 1 (2 for usage errors).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .agent import DEFAULT_URL

FACTORY_NAMES = ("payment_backend",)
MERCHANT_NAMES = ("merchant", "user_payment_canister")


class CliError(Exception):
    """A user-facing failure, printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"Error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


# ---- output --------------------------------------------------------------------------------
def _plain(value):
    """Values as JSON: principals as text, blobs as hex."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if hasattr(value, "to_str"):
        return value.to_str()
    return value


def emit(value) -> None:
    print(json.dumps(_plain(value), indent=2, sort_keys=False))


# ---- context -------------------------------------------------------------------------------
def _project_ids(start: str | None) -> tuple[str | None, dict]:
    from localnet.http.project import ProjectError, find_root, load_ids
    try:
        root = find_root(start or ".")
    except ProjectError:
        return None, {}
    return root, load_ids(root)


def _default_identity() -> str | None:
    """The PEM of dfx's selected identity (`dfx identity use`), if it is stored as a file."""
    home = os.path.expanduser("~/.config/dfx")
    name = "default"
    try:
        with open(os.path.join(home, "identity.json"), encoding="utf-8") as f:
            name = json.load(f).get("default") or name
    except (OSError, ValueError, AttributeError):
        pass
    path = os.path.join(home, "identity", str(name), "identity.pem")
    return path if os.path.isfile(path) else None


class Context:
    def __init__(self, a):
        self.a = a
        self.url = a.network or os.environ.get("CKPAY_NETWORK") or \
            os.environ.get("LOCALNET_URL") or DEFAULT_URL
        self.identity_path = a.identity or os.environ.get("CKPAY_IDENTITY") or \
            _default_identity()
        self._agent = None

    @property
    def agent(self):
        from .agent import IcAgent
        from .identity import load_identity
        if self._agent is None:
            self._agent = IcAgent(self.url, load_identity(self.identity_path))
        return self._agent

    def canister_id(self, flag: str | None, env: str, names, what: str) -> str:
        from ic.principal import Principal
        value = flag or os.environ.get(env)
        if not value:
            _, ids = _project_ids(self.a.project)
            value = next((ids[n] for n in names if n in ids), None)
        if not value:
            raise CliError(f"no {what} canister id: pass --{what} ID, set ${env}, or deploy "
                           f"it (.dfx/local/canister_ids.json has no {' / '.join(names)})")
        try:
            Principal.from_str(value)
        except Exception:
            raise CliError(f"invalid {what} canister id {value!r}") from None
        return value

    def factory(self):
        from .factory import FactoryClient
        return FactoryClient(self.agent, self.canister_id(
            self.a.factory, "CKPAY_FACTORY", FACTORY_NAMES, "factory"))

    def merchant(self):
        from .merchant import MerchantClient
        return MerchantClient(self.agent, self.canister_id(
            self.a.merchant, "CKPAY_MERCHANT", MERCHANT_NAMES, "merchant"))


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
    config = merchant_config(a.name, [_token_pair(t) for t in a.token or []],
                             a.website, a.email)
    with _console().status("deploying a merchant canister through the factory"):
        record = ctx.factory().deploy_merchant(config, a.version, a.owner)
    cid = record["canister_id"]
    root, _ = _project_ids(a.project)
    if cid is not None and root is not None and not a.no_save:
        save_id(root, "merchant", cid.to_str())
    emit(record)


def cmd_merchant_grant_credits(ctx: Context, a) -> None:
    factory = ctx.factory()
    factory.grant_deployment_credits(a.owner, a.count)
    emit({"owner": a.owner, "deployment_credits": factory.deployment_credits(a.owner)})


def cmd_module_upload(ctx: Context, a) -> None:
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TimeRemainingColumn, TransferSpeedColumn)
    try:
        with open(a.wasm, "rb") as f:
            module = f.read()
    except OSError as exc:
        raise CliError(f"{a.wasm}: {exc.strerror}") from None
    factory = ctx.factory()
    columns = (TextColumn(f"uploading {a.version}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=_console(), transient=False) as progress:
        task = progress.add_task("upload", total=len(module))
        info = factory.upload_module(
            a.version, module, a.notes,
            progress=lambda done, total: progress.update(task, completed=done),
            make_default=a.default)
    emit(info)


def cmd_module_list(ctx: Context, a) -> None:
    emit(ctx.factory().list_versions(a.cursor, a.limit))


def _metadata(pairs) -> list[tuple[str, str]]:
    out = []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--metadata {pair!r}: expected KEY=VALUE")
        out.append((key, value))
    return out


def cmd_sessions_create(ctx: Context, a) -> None:
    emit(ctx.merchant().create_session(
        a.amount, a.token, success_url=a.success_url, cancel_url=a.cancel_url,
        metadata=_metadata(a.metadata), customer_email=a.email,
        client_reference_id=a.reference, expires_in_seconds=a.expires_in,
        idempotency_key=a.idempotency_key))


def cmd_sessions_get(ctx: Context, a) -> None:
    emit(ctx.merchant().get_session(a.session_id))


def cmd_sessions_list(ctx: Context, a) -> None:
    merchant = ctx.merchant()
    if a.all:
        emit(list(merchant.iter_sessions(a.limit)))
    else:
        emit(merchant.list_sessions(a.cursor, a.limit))


def cmd_payments_list(ctx: Context, a) -> None:
    merchant = ctx.merchant()
    if a.all:
        emit(list(merchant.iter_payments(a.limit)))
    else:
        emit(merchant.list_payments(a.cursor, a.limit))


def cmd_refunds_create(ctx: Context, a) -> None:
    emit(ctx.merchant().refund_payment(a.payment_id, a.amount, a.reason))


def cmd_refunds_list(ctx: Context, a) -> None:
    emit(ctx.merchant().list_refunds(a.cursor, a.limit))


def cmd_events_tail(ctx: Context, a) -> None:
    import time
    merchant = ctx.merchant()
    deadline = None if a.timeout is None else time.monotonic() + a.timeout
    seen = 0

    def stop() -> bool:
        return (a.count is not None and seen >= a.count) or \
            (deadline is not None and time.monotonic() >= deadline)

    for event in merchant.tail_events(a.type, a.interval, a.since, stop):
        print(json.dumps(_plain(event), sort_keys=False), flush=True)
        seen += 1
        if a.count is not None and seen >= a.count:
            return


def cmd_webhook_add(ctx: Context, a) -> None:
    merchant = ctx.merchant()
    webhook_id = merchant.configure_webhook(a.url, a.events or ["*"])
    emit(merchant.get_webhook(webhook_id))


def cmd_webhook_list(ctx: Context, a) -> None:
    emit(ctx.merchant().list_webhooks())


def cmd_webhook_test(ctx: Context, a) -> None:
    result = ctx.merchant().test_webhook(a.webhook_id)
    emit(result)
    if not result["success"]:
        raise CliError(f"the test delivery to {a.webhook_id} failed: "
                       f"{result['error'] or 'status ' + str(result['status_code'])}")


def cmd_webhook_verify(ctx: Context, a) -> None:
    from .webhooks import verify_webhook
    try:
        payload = sys.stdin.buffer.read() if a.payload == "-" else open(a.payload, "rb").read()
    except OSError as exc:
        raise CliError(f"{a.payload}: {exc.strerror}") from None
    emit(verify_webhook(payload, a.header, a.secret, tolerance=a.tolerance))


# ---- parser --------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ckpay", description="ckPayment: merchant canisters on the Internet "
                "Computer (factory, checkout sessions, payments, refunds, webhooks)")
    p.add_argument("--network", help=f"replica URL (default $CKPAY_NETWORK, $LOCALNET_URL "
                   f"or {DEFAULT_URL})")
    p.add_argument("--identity", help="PEM file of the caller (default $CKPAY_IDENTITY, then "
                   "the dfx default identity, else anonymous)")
    p.add_argument("--factory", help="factory canister id")
    p.add_argument("--merchant", help="merchant canister id")
    p.add_argument("--project", help="dfx project directory for canister_ids.json "
                   "(default: the nearest dfx.json upwards)")
    groups = p.add_subparsers(dest="group", required=True, parser_class=_Parser)

    def group(name, help_text):
        g = groups.add_parser(name, help=help_text)
        return g.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def page_args(s):
        s.add_argument("--limit", type=_positive, help="page size (at most 100)")
        s.add_argument("--cursor", help="next_cursor of the previous page")
        s.add_argument("--all", action="store_true", help="follow every page")

    g = group("merchant", "merchant canisters")
    s = g.add_parser("deploy", help="deploy a merchant canister through the factory")
    s.add_argument("--name", required=True)
    s.add_argument("--token", action="append", metavar="SYMBOL:LEDGER")
    s.add_argument("--website")
    s.add_argument("--email")
    s.add_argument("--version", help="module version (default: the factory's default)")
    s.add_argument("--owner", help="owner principal (admins only; default: the caller)")
    s.add_argument("--no-save", action="store_true",
                   help="do not record the id as `merchant` in canister_ids.json")
    s.set_defaults(func=cmd_merchant_deploy)
    s = g.add_parser("grant-credits", help="let an owner deploy merchant canisters (admins)")
    s.add_argument("--owner", required=True, help="owner principal")
    s.add_argument("--count", type=_positive, default=1, help="how many deployments (default 1)")
    s.set_defaults(func=cmd_merchant_grant_credits)

    g = group("module", "the factory's merchant module store (admins)")
    s = g.add_parser("upload", help="upload a merchant Wasm (or .wasm.gz) in 1 MiB chunks")
    s.add_argument("wasm")
    s.add_argument("--version", required=True)
    s.add_argument("--notes", default="")
    s.add_argument("--default", action="store_true", help="make it the default version")
    s.set_defaults(func=cmd_module_upload)
    s = g.add_parser("list", help="list stored versions")
    s.add_argument("--limit", type=_positive, default=50)
    s.add_argument("--cursor")
    s.set_defaults(func=cmd_module_list)

    g = group("sessions", "checkout sessions")
    s = g.add_parser("create", help="create a checkout session")
    s.add_argument("--amount", type=_positive, required=True, help="base units (e8s...)")
    s.add_argument("--token", required=True, help="token symbol")
    s.add_argument("--success-url")
    s.add_argument("--cancel-url")
    s.add_argument("--metadata", action="append", metavar="KEY=VALUE")
    s.add_argument("--email")
    s.add_argument("--reference", help="client_reference_id")
    s.add_argument("--expires-in", type=_positive, help="seconds (1800-86400)")
    s.add_argument("--idempotency-key")
    s.set_defaults(func=cmd_sessions_create)
    s = g.add_parser("get", help="show a session")
    s.add_argument("session_id")
    s.set_defaults(func=cmd_sessions_get)
    s = g.add_parser("list", help="list sessions, newest first")
    page_args(s)
    s.set_defaults(func=cmd_sessions_list)

    g = group("payments", "payments")
    s = g.add_parser("list", help="list payments, newest first")
    page_args(s)
    s.set_defaults(func=cmd_payments_list)

    g = group("refunds", "refunds")
    s = g.add_parser("create", help="refund a payment (owner)")
    s.add_argument("payment_id")
    s.add_argument("--amount", type=_positive, help="default: everything not yet refunded")
    s.add_argument("--reason")
    s.set_defaults(func=cmd_refunds_create)
    s = g.add_parser("list", help="list refunds")
    page_args(s)
    s.set_defaults(func=cmd_refunds_list)

    g = group("events", "the merchant's events")
    s = g.add_parser("tail", help="print events as they happen (one JSON line each)")
    s.add_argument("--type", help="only this event type")
    s.add_argument("--interval", type=float, default=2.0, help="poll interval in seconds")
    s.add_argument("--since", type=int, help="start after this event seq (default: the "
                   "latest page)")
    s.add_argument("--count", type=_positive, help="stop after N events")
    s.add_argument("--timeout", type=float, help="stop after this many seconds")
    s.set_defaults(func=cmd_events_tail)

    g = group("webhook", "webhooks")
    s = g.add_parser("add", help="register a webhook endpoint (owner)")
    s.add_argument("url")
    s.add_argument("--events", nargs="+", help="event types (default: all, `*`)")
    s.set_defaults(func=cmd_webhook_add)
    s = g.add_parser("list", help="list webhooks (secrets masked)")
    s.set_defaults(func=cmd_webhook_list)
    s = g.add_parser("test", help="send a signed webhook.test event now")
    s.add_argument("webhook_id")
    s.set_defaults(func=cmd_webhook_test)
    s = g.add_parser("verify", help="check a received delivery's signature")
    s.add_argument("--payload", required=True, help="file with the raw body, or - for stdin")
    s.add_argument("--header", required=True, help="the ckpay-signature header value")
    s.add_argument("--secret", action="append", required=True, help="whsec_... (repeat "
                   "during a rotation)")
    s.add_argument("--tolerance", type=int, default=300)
    s.set_defaults(func=cmd_webhook_verify)
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
