"""`MerchantClient`: one merchant canister (`candid/user_payment_canister.did`).

Named methods cover what a merchant's backend does (sessions, payments, refunds, payouts,
webhooks, events, one-click, analytics, access) and build the Candid records with
defaults; `call`/`result` reach every other method of the .did. Results come back as the
project's Python values (dicts, None for an empty opt); `Err` raises `CkPaymentError`."""

from __future__ import annotations

import time
from typing import Iterator

from .did_types import user_payment_canister as t
from .interface import Canister

EMPTY_STATS = {
    "total_deliveries": 0,
    "successful_deliveries": 0,
    "failed_deliveries": 0,
    "pending_deliveries": 0,
    "total_attempts": 0,
    "failed_attempts": 0,
    "last_attempt_at": None,
    "last_success_at": None,
    "last_status_code": None,
}


def metadata_pairs(metadata) -> list[dict]:
    """`{"order": "1001"}` or `[("order", "1001")]` as `vec MetadataPair`."""
    if not metadata:
        return []
    items = metadata.items() if isinstance(metadata, dict) else metadata
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append({"key": item["key"], "value": item["value"]})
        else:
            key, value = item
            out.append({"key": str(key), "value": str(value)})
    return out


def account(owner, subaccount: bytes | None = None) -> t.Account:
    """An ICRC-1 account; `owner` is a principal (text or object)."""
    return {"owner": owner, "subaccount": None if subaccount is None else bytes(subaccount)}


def _pages(fetch, key: str, limit: int | None) -> Iterator[dict]:
    cursor = None
    while True:
        page = fetch(cursor, limit)
        yield from page[key]
        cursor = page["next_cursor"]
        if not cursor:
            return


def _window(start_ns: int | None, end_ns: int | None) -> dict:
    """A `DateRange`; missing ends default to now and 30 days before the end."""
    end = time.time_ns() if end_ns is None else end_ns
    start = end - 30 * 86400 * 10**9 if start_ns is None else start_ns
    return {"start": start, "end": end}


class MerchantClient(Canister):
    """A merchant canister, called as the agent's identity (owner, authorized server
    principal or customer: see the authorization table in docs/merchant.md)."""

    def __init__(self, agent, canister_id, interface="user_payment_canister"):
        super().__init__(agent, canister_id, interface)

    # -- checkout sessions -----------------------------------------------------------------
    def create_session(
        self,
        amount: int,
        token: str,
        *,
        success_url: str | None = None,
        cancel_url: str | None = None,
        metadata=None,
        customer_email: str | None = None,
        client_reference_id: str | None = None,
        expires_in_seconds: int | None = None,
        idempotency_key: str | None = None,
        modal_config_id: str | None = None,
        custom_domain: str | None = None,
        line_items: list[t.SessionLineItem] | None = None,
    ) -> t.HostedCheckoutSession:
        """A hosted checkout session for `amount` base units of `token` (staff); send the
        customer to its `url` (the hosted page, like Stripe's `session.url`)."""
        return self.result(
            "create_checkout_session_with_options",
            {
                "amount": amount,
                "currency_token": token,
                "metadata": metadata_pairs(metadata),
                "success_url": success_url,
                "cancel_url": cancel_url,
                "customer_email": customer_email,
                "client_reference_id": client_reference_id,
                "expires_in_seconds": expires_in_seconds,
                "idempotency_key": idempotency_key,
                "modal_config_id": modal_config_id,
                "custom_domain": custom_domain,
                "line_items": line_items,
            },
        )

    def get_session(self, session_id: str) -> t.HostedCheckoutSession:
        return self.result("get_checkout_session", session_id)

    def set_hosted_page_base_url(self, url: str) -> None:
        """Owners: the origin of the hosted checkout page; new sessions' `url` is under it."""
        return self.result("set_hosted_page_base_url", url)

    def public_profile(self) -> t.PublicMerchantProfile:
        """What customers see: name, web site, support address, hosted page origin."""
        return self.call("get_public_merchant_profile")

    def list_sessions(self, cursor: str | None = None, limit: int | None = None) -> t.CheckoutSessionPage:
        """One page `{sessions, next_cursor}`, newest first."""
        return self.result("list_checkout_sessions", cursor, limit)

    def iter_sessions(self, page_size: int | None = None) -> Iterator[t.HostedCheckoutSession]:
        return _pages(self.list_sessions, "sessions", page_size)

    def pay_session(self, session_id: str, token: str | None = None) -> t.HostedCheckoutSession:
        """ICRC-2 payment by the caller (who approved the canister for amount + fee), in the
        session's own token or in one of its `price_options` (`token`)."""
        if token is not None:
            return self.result("pay_checkout_session_with_token", session_id, token)
        return self.result("pay_checkout_session", session_id)

    def complete_session(self, session_id: str, transaction_id: str | int = "", token: str | None = None) -> None:
        """After an ICRC-1 transfer to the session's `payment_account`; the block index is
        only a hint, the ledger decides. `token` reads only that price option's ledger
        (default: every option's)."""
        if token is not None:
            return self.result("complete_checkout_session_with_token", session_id, token, str(transaction_id))
        return self.result("complete_checkout_session", session_id, str(transaction_id))

    def expire_sessions(self) -> int:
        return self.result("expire_old_sessions")

    def session_analytics(self) -> t.CheckoutSessionAnalytics:
        return self.result("get_checkout_session_analytics")

    # -- payments, refunds, payouts --------------------------------------------------------
    def get_payment(self, payment_id: str) -> t.PaymentRecord:
        return self.result("get_payment", payment_id)

    def get_payment_metadata(self, payment_id: str) -> dict[str, str]:
        """The metadata a one-click charge was given (a session's payment: see the session)."""
        return dict((m["key"], m["value"]) for m in self.result("get_payment_metadata", payment_id))

    def list_payments(self, cursor: str | None = None, limit: int | None = None) -> t.PaymentPage:
        return self.result("list_payments", cursor, limit)

    def iter_payments(self, page_size: int | None = None) -> Iterator[t.PaymentRecord]:
        return _pages(self.list_payments, "payments", page_size)

    def refund_payment(self, payment_id: str, amount: int | None = None, reason: str | None = None) -> t.RefundRecord:
        """Refund (part of) a payment to its payer (owner); None = all that is left."""
        return self.result("refund_payment", payment_id, amount, reason)

    def refund_session_funds(self, session_id: str, block: str | int, token: str | None = None) -> t.RefundRecord:
        """Return a transfer that reached a session that is no longer open; `token` names
        the price option whose ledger holds `block` (default: the session's token)."""
        if token is not None:
            return self.result("refund_session_funds_with_token", session_id, token, str(block))
        return self.result("refund_session_funds", session_id, str(block))

    def list_refunds(self, cursor: str | None = None, limit: int | None = None) -> t.RefundPage:
        return self.result("list_refunds", cursor, limit)

    def iter_refunds(self, page_size: int | None = None) -> Iterator[t.RefundRecord]:
        return _pages(self.list_refunds, "refunds", page_size)

    def create_payout(
        self, token: str, amount: int, to: t.Account | None = None, memo: str | None = None
    ) -> t.PayoutRecord:
        """Send `amount` of `token` to an owner's account (default: the caller's)."""
        return self.result("create_payout", token, amount, to, memo)

    def list_payouts(self, cursor: str | None = None, limit: int | None = None) -> t.PayoutPage:
        return self.result("list_payouts", cursor, limit)

    def iter_payouts(self, page_size: int | None = None) -> Iterator[t.PayoutRecord]:
        return _pages(self.list_payouts, "payouts", page_size)

    def reconcile_balances(self) -> list[t.BalanceReconciliation]:
        return self.result("reconcile_balances")

    # -- tokens and access -----------------------------------------------------------------
    def accepted_tokens(self) -> list[t.TokenConfig]:
        return self.call("get_accepted_tokens")

    def refresh_token(self, symbol: str) -> t.TokenConfig:
        return self.result("refresh_token", symbol)

    def add_token(self, ledger) -> t.TokenConfig:
        return self.result("add_token", ledger)

    def authorize_server(self, principal, label: str) -> None:
        return self.result("authorize_server_principal", principal, label)

    def revoke_server(self, principal) -> None:
        return self.result("revoke_server_principal", principal)

    def access_overview(self) -> t.AccessOverview:
        return self.result("get_access_overview")

    # -- webhooks and events ---------------------------------------------------------------
    @staticmethod
    def webhook_config(url: str, events=("*",), active: bool = True) -> t.WebhookConfig:
        return {
            "webhook_id": "",
            "url": url,
            "events": list(events),
            "secret": "",
            "active": active,
            "delivery_stats": dict(EMPTY_STATS),
            "previous_secret": None,
            "previous_secret_expires_at": None,
            "created_at": 0,
            "updated_at": 0,
        }

    def configure_webhook(self, url: str, events=("*",), active: bool = True) -> str:
        """Registers an endpoint for the event types (`*` = all); returns its id. Its
        secret is in `get_webhook(id)["secret"]` (owner)."""
        return self.result("configure_webhook", self.webhook_config(url, events, active))

    def update_webhook(self, webhook_id: str, url: str, events=("*",), active: bool = True) -> None:
        return self.result("update_webhook", webhook_id, self.webhook_config(url, events, active))

    def get_webhook(self, webhook_id: str) -> t.WebhookConfig:
        return self.result("get_webhook", webhook_id)

    def list_webhooks(self) -> list[t.WebhookConfig]:
        return self.result("list_webhooks")

    def delete_webhook(self, webhook_id: str) -> None:
        return self.result("delete_webhook", webhook_id)

    def rotate_webhook_secret(self, webhook_id: str, overlap_seconds: int | None = None) -> str:
        """A new secret; the old one keeps signing for `overlap_seconds` (default 24 h)."""
        return self.result("rotate_webhook_secret", webhook_id, overlap_seconds)

    def test_webhook(self, webhook_id: str) -> t.WebhookTestResult:
        """Sends a signed `webhook.test` event now; returns the delivery outcome."""
        return self.result("test_webhook", webhook_id)

    def resend_event(self, webhook_id: str, event_id: str) -> str:
        """Queues a stored event for the webhook again (Stripe's *Resend*); the canister
        delivers it through its HTTPS outcall, signed, logged in `webhook_attempts`, with
        its usual retries. Returns the new delivery id."""
        return self.result("resend_webhook_event", webhook_id, event_id)

    def webhook_attempts(self, webhook_id: str, limit: int | None = None) -> list[t.WebhookAttempt]:
        return self.result("list_webhook_attempts", webhook_id, limit)

    def webhook_stats(self, webhook_id: str) -> t.WebhookDeliveryStats:
        return self.result("get_webhook_delivery_stats", webhook_id)

    def get_event(self, event_id: str) -> t.MerchantEvent:
        return self.result("get_event", event_id)

    def list_events(
        self, cursor: str | None = None, limit: int | None = None, event_type: str | None = None
    ) -> t.MerchantEventPage:
        """One page `{events, next_cursor}`, newest first (events are kept 30 days)."""
        return self.result("list_events", cursor, limit, event_type)

    def iter_events(self, page_size: int | None = None, event_type: str | None = None) -> Iterator[t.MerchantEvent]:
        """Every kept event, newest first, page after page."""
        return _pages(lambda cursor, limit: self.list_events(cursor, limit, event_type), "events", page_size)

    def tail_events(
        self, event_type: str | None = None, interval: float = 2.0, since_seq: int | None = None, stop=None
    ) -> Iterator[t.MerchantEvent]:
        """Yields events oldest first as they are recorded, polling every `interval`
        seconds: first those after `since_seq` (default: the latest page), then new ones.
        `stop()` returning True ends the iteration after a poll."""
        last = since_seq
        while True:
            fresh, cursor = [], None
            while True:  # newest first: page back until `last` is reached
                page = self.list_events(cursor, 100, event_type)
                fresh += [e for e in page["events"] if last is None or e["seq"] > last]
                cursor = page["next_cursor"]
                if last is None or not cursor or any(e["seq"] <= last for e in page["events"]):
                    break
            for event in sorted(fresh, key=lambda e: e["seq"]):
                last = event["seq"]
                yield event
            if last is None:
                last = 0
            if stop is not None and stop():
                return
            time.sleep(interval)

    # -- one-click (ICRC-2 pre-authorizations) ---------------------------------------------
    def create_pre_authorization(
        self, customer, max_amount: int, token: str, duration_seconds: int, uses: int = 10, metadata=None
    ) -> str:
        """A spending cap the customer approved on the ledger; returns the auth id. Only the
        customer's own identity may call it (their consent); staff get `unauthorized`."""
        return self.result(
            "create_pre_authorization_with_options",
            {
                "customer": customer,
                "max_amount": max_amount,
                "token": token,
                "duration": duration_seconds,
                "uses": uses,
                "metadata": metadata_pairs(metadata),
            },
        )

    def get_pre_authorization(self, auth_id: str) -> t.PreAuthorizedPayment:
        return self.result("get_pre_authorization", auth_id)

    def charge_one_click(self, auth_id: str, amount: int, metadata=None) -> str:
        """Charges a pre-authorized customer (staff); returns the payment id."""
        return self.result("execute_one_click_payment", auth_id, amount, metadata_pairs(metadata))

    def revoke_pre_authorization(self, auth_id: str) -> None:
        return self.result("revoke_authorization", auth_id)

    def one_click_analytics(self) -> t.OneClickAnalytics:
        return self.result("get_merchant_one_click_analytics")

    # -- analytics -------------------------------------------------------------------------
    def metrics(self) -> t.MerchantMetrics:
        return self.result("get_merchant_metrics")

    def payment_analytics(self, start_ns: int | None = None, end_ns: int | None = None) -> t.MerchantAnalytics:
        """Analytics over [start, end] in ns (default: the last 30 days; at most 366)."""
        return self.result("get_payment_analytics", _window(start_ns, end_ns))

    def conversion_metrics(self) -> t.ConversionMetrics:
        return self.result("get_conversion_metrics")

    def customer_behavior(self) -> t.CustomerBehaviorMetrics:
        return self.result("get_customer_behavior_analysis")

    def revenue_breakdown(
        self, granularity: str = "Day", start_ns: int | None = None, end_ns: int | None = None
    ) -> t.RevenueBreakdown:
        """Revenue buckets by `Day`, `Week` or `Month` (default window: the last 30 days)."""
        if granularity not in ("Day", "Week", "Month"):
            raise ValueError(f"granularity must be Day, Week or Month, not {granularity!r}")
        return self.result("get_revenue_breakdown", {granularity: _window(start_ns, end_ns)})
