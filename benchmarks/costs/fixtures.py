"""Objects the measured calls refer to, made unmetered on first use and kept for the
whole run (so every stage sees the same number of them): a paid session and its payment,
an event, a modal, an element, a webhook, a pre-authorization, a customer with a payment
profile. Calls that consume an object (pay, complete, refund, expire, delete, revoke) get
a fresh one each time."""

from __future__ import annotations

from functools import cached_property

from benchmarks.costs import configs
from benchmarks.costs.fill import PRICE, new_session, pay_session
from benchmarks.costs.world import World, ok, principal

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class Fixtures:
    def __init__(self, w: World):
        self.w = w

    def _page(self, method: str, field: str, limit: int = 1):
        return ok(self.w.call(self.w.owner, self.w.merchant, method, None, limit), method)[field]

    def fresh_open_session_id(self) -> str:
        """A new open session for a call that consumes one (pay, complete, expire)."""
        return new_session(self.w)["session_id"]

    @cached_property
    def paid_session(self) -> dict:
        session = new_session(self.w)
        return pay_session(self.w, self.w.customers[0], session["session_id"])

    def fresh_payment_id(self) -> str:
        """A payment nobody refunded yet (for refund_payment)."""
        session = new_session(self.w)
        pay_session(self.w, self.w.customers[1 % len(self.w.customers)], session["session_id"])
        return self._page("list_payments", "payments")[0]["payment_id"]

    def transferred_session(self) -> tuple:
        """(session id, ledger block) of an open session the customer paid by a plain
        ICRC-1 transfer to the session's subaccount (complete_checkout_session's input)."""
        w = self.w
        session = new_session(w)
        block = ok(
            w.call(
                w.customers[0],
                w.ledger,
                "icrc1_transfer",
                {
                    "from_subaccount": None,
                    "to": {"owner": w.merchant, "subaccount": session["payment_subaccount"]},
                    "amount": session["amount"],
                    "fee": None,
                    "memo": None,
                    "created_at_time": None,
                },
            ),
            "icrc1_transfer",
        )
        return session["session_id"], str(block)

    @cached_property
    def event_id(self) -> str:
        self.paid_session  # noqa: B018 (a payment emits checkout.session.completed)
        return ok(self.w.call(self.w.owner, self.w.merchant, "list_events", None, 1, None), "list_events")["events"][0][
            "event_id"
        ]


class ObjectFixtures(Fixtures):
    """The merchant's configuration objects: modals, elements, webhooks, one-click
    pre-authorizations and report schedules (made once, or fresh for a call that removes
    one)."""

    def _text(self, sender, method: str, *args) -> str:
        return ok(self.w.call(sender, self.w.merchant, method, *args), method)

    def new_modal_id(self) -> str:
        return self._text(self.w.owner, "create_modal_config", configs.modal_config())

    @cached_property
    def modal_id(self) -> str:
        return self.new_modal_id()

    @cached_property
    def element_id(self) -> str:
        return self._text(self.w.owner, "configure_payment_element", configs.element_config())

    def new_webhook_id(self) -> str:
        return self._text(self.w.owner, "configure_webhook", configs.webhook_config())

    @cached_property
    def webhook_id(self) -> str:
        return self.new_webhook_id()

    def new_auth_id(self) -> str:
        customer = self.w.customers[0]
        return self._text(
            customer, "create_pre_authorization_with_options", configs.pre_auth_args(customer, 10 * PRICE)
        )

    @cached_property
    def auth_id(self) -> str:
        return self.new_auth_id()

    def new_schedule_id(self) -> str:
        return self._text(self.w.owner, "schedule_automated_report", configs.report_schedule())

    def late_transfer(self) -> list:
        """[session id, block] of a transfer that reached an already paid session (the
        input of refund_session_funds)."""
        w = self.w
        session = self.paid_session
        block = ok(
            w.call(
                w.customers[0],
                w.ledger,
                "icrc1_transfer",
                {
                    "from_subaccount": None,
                    "to": {"owner": w.merchant, "subaccount": session["payment_subaccount"]},
                    "amount": PRICE,
                    "fee": None,
                    "memo": None,
                    "created_at_time": None,
                },
            ),
            "icrc1_transfer",
        )
        return [session["session_id"], str(block)]

    def verification_id(self) -> str:
        w = self.w
        res = ok(
            w.call(w.owner, w.merchant, "request_transaction_verification", PRICE, w.customers[0], {"Email": None}),
            "request_transaction_verification",
        )
        return res["verification_id"]

    def registered_totp(self) -> list:
        w = self.w
        ok(w.call(w.customers[0], w.merchant, "register_totp_secret", TOTP_SECRET), "register_totp_secret")
        return []

    def new_profile_principal(self):
        self._profiles = getattr(self, "_profiles", 0) + 1
        return principal(f"profile-{id(self)}-{self._profiles}")

    @cached_property
    def profile_customer(self):
        """A customer with a payment profile at this merchant (made once)."""
        w = self.w
        customer = w.customers[-1]
        if "Err" in w.call(w.owner, w.merchant, "get_payment_profile", customer):
            ok(
                w.call(customer, w.merchant, "create_payment_profile_for_merchant", customer, None),
                "create_payment_profile_for_merchant",
            )
        return customer
