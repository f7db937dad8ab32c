"""The paid checkout of `scripts/run.sh`, as a merchant's backend and a customer would do
it against deployed canisters: a local webhook receiver, a webhook configured on the
merchant canister, a checkout session paid by ICRC-2 (approve + pay_checkout_session) and
one paid by a plain ICRC-1 transfer to the session account (+ complete), and the signed
`checkout.session.completed` deliveries verified with `verify_webhook`.

    python -m ckpayment.demo --network URL --merchant ID --ledger ID \\
        --merchant-identity owner.pem --customer-identity customer.pem --token LTT
"""

from __future__ import annotations

import argparse
import sys
import time

from .agent import IcAgent
from .identity import load_identity
from .ledger import LedgerClient
from .merchant import MerchantClient
from .receiver import WebhookReceiver


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _wait_verified(merchant: MerchantClient, symbol: str, timeout: float = 60.0) -> dict:
    """The token is verified by a timer right after install; `refresh_token` forces it."""
    deadline = time.monotonic() + timeout
    while True:
        token = merchant.refresh_token(symbol)
        if token["verified"] or time.monotonic() > deadline:
            return token
        time.sleep(0.5)


def run(a) -> int:
    out = _console()
    owner_agent = IcAgent(a.network, load_identity(a.merchant_identity))
    customer_agent = IcAgent(a.network, load_identity(a.customer_identity))
    shop = MerchantClient(owner_agent, a.merchant)
    as_customer = MerchantClient(customer_agent, a.merchant)
    ledger = LedgerClient(customer_agent, a.ledger)
    customer = customer_agent.identity.sender().to_str()

    token = _wait_verified(shop, a.token)
    if not token["verified"]:
        out.print(f"[red]token {a.token} could not be verified on ledger {a.ledger}[/]")
        return 1
    fee = token["fee"]
    out.print(f"[bold]merchant canister[/] {a.merchant} accepts {a.token} (ledger {a.ledger}, fee {fee})")

    with WebhookReceiver() as receiver:
        webhook_id = shop.configure_webhook(receiver.url, ["*"])
        receiver.secrets.append(shop.get_webhook(webhook_id)["secret"])
        out.print(f"[bold]webhook[/] {webhook_id} -> {receiver.url} (local receiver)")

        # 1. ICRC-2: the customer approves the merchant canister, the canister pulls.
        s1 = shop.create_session(
            a.amount,
            a.token,
            metadata={"order": "demo-1"},
            success_url="https://shop.example.com/ok?s={CHECKOUT_SESSION_ID}",
            cancel_url="https://shop.example.com/cancel",
            client_reference_id="demo-order-1",
        )
        out.print(f"[bold]session[/] {s1['session_id']} for {s1['amount']} {a.token} (expires at {s1['expires_at']})")
        approve_block = ledger.approve(a.merchant, a.amount + fee)
        paid1 = as_customer.pay_session(s1["session_id"])
        out.print(
            f"  customer {customer} approved (block {approve_block}) and paid by "
            f"ICRC-2: status {next(iter(paid1['status']))}, ledger block "
            f"{paid1['ledger_block']}"
        )

        # 2. ICRC-1: a plain transfer to the session's own account, then completion.
        s2 = shop.create_session(
            a.amount * 2,
            a.token,
            metadata={"order": "demo-2"},
            success_url="https://shop.example.com/ok",
            cancel_url="https://shop.example.com/cancel",
        )
        block = ledger.transfer(a.merchant, s2["amount"], to_subaccount=bytes(s2["payment_subaccount"]))
        as_customer.complete_session(s2["session_id"], block)
        paid2 = shop.get_session(s2["session_id"])
        out.print(
            f"[bold]session[/] {s2['session_id']} paid by ICRC-1 transfer to "
            f"{s2['payment_account']} (block {block}): status "
            f"{next(iter(paid2['status']))}"
        )

        delivered = {}
        for session in (s1, s2):
            deadline = time.monotonic() + a.webhook_timeout
            while time.monotonic() < deadline:
                hit = next(
                    (
                        d
                        for d in receiver.deliveries
                        if d["verified"]
                        and d["event"]["type"] == "checkout.session.completed"
                        and d["event"]["data"]["object_id"] == session["session_id"]
                    ),
                    None,
                )
                if hit:
                    delivered[session["session_id"]] = hit
                    break
                time.sleep(0.2)
        bad = [d for d in receiver.deliveries if not d["verified"]]

    for sid, d in delivered.items():
        out.print(
            f"[bold]webhook delivered[/] {d['event']['type']} {d['event']['id']} for "
            f"{sid}: signature verified (ckpay-signature: "
            f"{d['headers'].get('ckpay-signature', '')[:40]}...)"
        )
    payments = shop.list_payments(None, 10)["payments"]
    balance = LedgerClient(owner_agent, a.ledger).balance(a.merchant)
    out.print(
        f"[bold]payments[/] {len(payments)}: "
        + ", ".join(f"{p['payment_id']} {p['amount']} {p['token_symbol']} ({p['method']})" for p in payments)
    )
    out.print(f"[bold]merchant balance[/] on the ledger: {balance} {a.token}")

    complete = all(next(iter(s["status"])) == "complete" for s in (paid1, paid2))
    missing = [s["session_id"] for s in (s1, s2) if s["session_id"] not in delivered]
    if bad:
        out.print(f"[red]{len(bad)} webhook request(s) failed verification: {bad[0]['error']}[/]")
    if not complete or bad or (missing and not a.webhooks_optional):
        out.print(f"[red]FAILED: complete={complete}, webhooks missing for {missing}[/]")
        return 1
    hooks = (
        "delivered and verified for both"
        if not missing
        else f"NOT delivered for {len(missing)} (see the webhook's attempts: ckpay webhook list)"
    )
    print(
        f"PAID: checkout session {s1['session_id']} complete (ICRC-2) and "
        f"{s2['session_id']} complete (ICRC-1); webhook checkout.session.completed "
        f"{hooks}",
        flush=True,
    )
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m ckpayment.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--network", required=True)
    p.add_argument("--merchant", required=True, help="merchant canister id")
    p.add_argument("--ledger", required=True, help="ICRC ledger canister id")
    p.add_argument("--merchant-identity", required=True, help="PEM of a merchant owner")
    p.add_argument("--customer-identity", required=True, help="PEM of a funded customer")
    p.add_argument("--token", required=True, help="token symbol configured on the merchant")
    p.add_argument("--amount", type=int, default=5_000_000)
    p.add_argument("--webhook-timeout", type=float, default=60.0)
    p.add_argument(
        "--webhooks-optional",
        action="store_true",
        help="report missing deliveries without failing (replicas whose HTTPS outcalls cannot reach http://127.0.0.1)",
    )
    a = p.parse_args(argv)
    try:
        return run(a)
    except Exception as exc:
        print(f"Error: {' '.join(str(exc).split()) or type(exc).__name__}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
