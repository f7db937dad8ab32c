"""`ckpay trigger EVENT_TYPE`: makes the event happen for real on the merchant canister (as
`stripe trigger` does): creates and pays a session through the ledger, refunds it, expires
one, pre-authorizes and charges a one-click customer. The command's identity acts as the
merchant (owner or server principal), `--customer` pays."""

from __future__ import annotations

import os

from .errors import CkPaymentError

URLS = {"success_url": "https://shop.example.com/ok", "cancel_url": "https://shop.example.com/no"}


class TriggerError(Exception):
    pass


def _customer(ctx, customer: str | None) -> str:
    from .identity import identity_pem_path

    if customer:
        return customer
    if os.path.exists(identity_pem_path("customer")):
        return "customer"
    raise TriggerError("this trigger needs a paying customer: pass --customer NAME|PEM (an identity holding the token)")


def _token(ctx, token: str | None) -> str:
    if token:
        return token
    for config in ctx.merchant().accepted_tokens():
        if config["enabled"]:
            return config["symbol"]
    raise TriggerError("the merchant accepts no enabled token")


def _session(ctx, token, amount):
    return ctx.merchant().create_session(amount, token, metadata={"trigger": "ckpay"}, **URLS)


def _paid(ctx, token, customer, amount):
    from .cli import pay_session

    session = _session(ctx, token, amount)
    paid = pay_session(ctx, session["session_id"], _customer(ctx, customer))
    payment = next(p for p in ctx.merchant().iter_payments() if p["session_id"] == session["session_id"])
    return paid, payment


def completed(ctx, token, customer, amount):
    session, payment = _paid(ctx, token, customer, amount)
    return {"session": session, "payment": payment}


def expired(ctx, token, customer, amount):
    session = _session(ctx, token, amount)
    return {"session": ctx.merchant().result("expire_checkout_session", session["session_id"])}


def refunded(ctx, token, customer, amount):
    session, payment = _paid(ctx, token, customer, amount)
    try:
        refund = ctx.merchant().refund_payment(payment["payment_id"], None, "ckpay trigger")
    except CkPaymentError as exc:
        # the merchant pays the refund's ledger fee: a fresh merchant holding only this
        # payment refunds it less that fee (a partial refund, still `payment.refunded`)
        fee = ctx.ledger_of(token, _customer(ctx, customer)).fee()
        if exc.code != "insufficient_funds" or payment["amount"] <= fee:
            raise
        refund = ctx.merchant().refund_payment(payment["payment_id"], payment["amount"] - fee, "ckpay trigger")
    return {"session": session, "payment": payment, "refund": refund}


def _authorized(ctx, token, customer, amount):
    import time

    who = _customer(ctx, customer)
    ledger = ctx.ledger_of(token, who)
    duration = 3600
    ledger.approve(ctx.merchant_id(), amount + ledger.fee(), time.time_ns() + (duration + 3600) * 10**9)
    as_customer = ctx.merchant(who, as_caller=True)
    me = ctx.agent_for(who).identity.sender().to_str()
    auth_id = as_customer.create_pre_authorization(me, amount, token, duration, 2)
    return auth_id


def auth_created(ctx, token, customer, amount):
    return {"pre_authorization": ctx.merchant().get_pre_authorization(_authorized(ctx, token, customer, amount))}


def auth_revoked(ctx, token, customer, amount):
    auth_id = _authorized(ctx, token, customer, amount)
    ctx.merchant().revoke_pre_authorization(auth_id)
    return {"pre_authorization": ctx.merchant().get_pre_authorization(auth_id)}


def charged(ctx, token, customer, amount):
    auth_id = _authorized(ctx, token, customer, amount)
    payment_id = ctx.merchant().charge_one_click(auth_id, amount, {"trigger": "ckpay"})
    return {"pre_authorization": auth_id, "payment": ctx.merchant().get_payment(payment_id)}


def failed(ctx, token, customer, amount):
    auth_id = _authorized(ctx, token, customer, amount)
    try:  # over the authorized cap: refused, and `payment.failed` is recorded
        ctx.merchant().charge_one_click(auth_id, amount + 1, {"trigger": "ckpay"})
    except CkPaymentError as exc:
        return {"pre_authorization": auth_id, "declined": f"{exc.code}: {exc.message}"}
    raise TriggerError("the over-cap charge was accepted; no payment.failed event")


TRIGGERS = {
    "checkout.session.completed": completed,
    "checkout.session.expired": expired,
    "payment.refunded": refunded,
    "payment.failed": failed,
    "one_click.authorization.created": auth_created,
    "one_click.authorization.revoked": auth_revoked,
    "one_click.charged": charged,
}


def trigger(ctx, event_type: str, token: str | None = None, customer: str | None = None, amount: int = 100_000) -> dict:
    """Do what produces `event_type`; returns the objects made and the event itself."""
    from .listen import latest_seq

    merchant = ctx.merchant()
    before = latest_seq(merchant)
    made = TRIGGERS[event_type](ctx, _token(ctx, token), customer, amount)
    page = merchant.list_events(None, 100, event_type)
    fresh = [e for e in page["events"] if e["seq"] > before]
    if not fresh:
        raise TriggerError(f"done, but no {event_type} event was recorded")
    return {"event": fresh[-1], **made}
