"""Helpers for the merchant canister tests: the install argument, a `Shop` (merchant
canister + local ICRC ledger + identities), and the two ways a customer pays a session.
Everything goes through ic-py over HTTP on localnet; the ledger client of the ledger tests
is reused for the ledger side."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from ic.principal import Principal

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "ledger"))

from ic_results import code, err, ok, one, opt  # noqa: E402,F401  (re-exported to the tests)
from ledger_client import FEE, LEDGER_DID, LEDGER_ENTRY, SYMBOL, LedgerClient, ledger_init_arg  # noqa: E402

MERCHANT_ENTRY = os.path.join(ROOT, "src", "user_payment_canister", "main.py")
MERCHANT_DID = os.path.join(ROOT, "candid", "user_payment_canister.did")
ROUTING_KEY = "shop1"
CUSTOMER_FUNDS = 1_000_000_000
PRICE = 5_000_000
NS = 1_000_000_000


def acct(owner: str, sub: bytes | None = None) -> dict:
    """An ICRC-1 account as ic-py encodes it (principals as text, blobs as byte lists)."""
    return {"owner": owner, "subaccount": [] if sub is None else [list(sub)]}


def status(session: dict) -> str:
    (name,) = session["status"].keys()
    return name


def merchant_init_arg(
    owner: str, ledger_id: str, routing_key: str = ROUTING_KEY, factory: str | None = None, symbol: str = SYMBOL
) -> str:
    factory_text = "null" if factory is None else f'opt principal "{factory}"'
    return (
        "(record { "
        f'owners = vec {{ principal "{owner}" }}; factory = {factory_text}; routing_key = "{routing_key}"; '
        'config = record { name = "Test Shop"; website = opt "https://shop.example.com"; support_email = null; '
        f'tokens = vec {{ record {{ symbol = "{symbol}"; ledger = principal "{ledger_id}" }} }} }} }})'
    )


def session_args(amount: int = PRICE, token: str = SYMBOL, **over) -> dict:
    args = {
        "modal_config_id": [],
        "amount": amount,
        "currency_token": token,
        "metadata": [{"key": "order", "value": "1001"}],
        "customer_email": ["buyer@example.com"],
        "client_reference_id": ["ref-1001"],
        "success_url": ["https://shop.example.com/ok?session={CHECKOUT_SESSION_ID}"],
        "cancel_url": ["https://shop.example.com/cancel"],
        "expires_in_seconds": [],
        "idempotency_key": [],
        "custom_domain": [],
        "line_items": [],
    }
    for key, value in over.items():
        args[key] = value
    return args


@dataclass
class Party:
    """One identity: its merchant actor and its ledger client."""

    identity: object
    merchant: object
    ledger: LedgerClient

    @property
    def principal(self) -> str:
        return self.identity.sender().to_str()


@dataclass
class Shop:
    server: object
    merchant_id: str
    ledger_id: str
    owner: Party
    api: Party  # an authorized server principal
    alice: Party  # a customer with funds
    bob: Party  # a second customer with funds
    stranger: Party
    anon: Party
    extra: dict = field(default_factory=dict)

    def now(self) -> int:
        with self.server.lock:
            return self.server.network.time_ns

    def advance(self, seconds: float) -> None:
        with self.server.lock:
            self.server.network.advance_time(seconds)

    def merchant_balance(self, sub: bytes | None = None) -> int:
        return self.owner.ledger.balance(self.merchant_id, sub)

    def create_session(self, amount: int = PRICE, **over) -> dict:
        return ok(self.api.merchant.create_checkout_session_with_options(session_args(amount, **over)))

    def pay_icrc2(self, party: Party, session: dict, allowance: int | None = None):
        """Approve the merchant canister for the amount plus the ledger fee, then pay."""
        approved = session["amount"] + FEE if allowance is None else allowance
        res = party.ledger.approve(acct(self.merchant_id), approved)
        assert "Ok" in res, res
        return one(party.merchant.pay_checkout_session(session["session_id"]))

    def send_to_session(self, party: Party, session: dict, amount: int) -> int:
        """A plain ICRC-1 transfer to the session's subaccount; returns the block index."""
        res = party.ledger.transfer(acct(self.merchant_id, bytes(session["payment_subaccount"])), amount)
        assert "Ok" in res, res
        return res["Ok"]

    def complete(self, party: Party, session: dict, block: int | str = ""):
        return one(party.merchant.complete_checkout_session(session["session_id"], str(block)))

    def session(self, session_id: str) -> dict:
        return ok(self.owner.merchant.get_checkout_session(session_id))


def trap_at(shop, boundary: str, method: str, **options):
    """Make the merchant canister trap at a call boundary, as on the IC a trap of its code
    there would (localnet/runtime/faults.py; `options`: callee, origin, times):
    'after_call' (the callback of its next call to `method`, e.g. the ledger's icrc1_transfer,
    traps: the ledger's effects stay, the callback's changes are rolled back), 'before_call'
    (the segment that would make that call traps, so it is not sent) or 'message' (the next
    execution of its method `method` traps). Returns the rule; `.fired` counts its traps."""
    with shop.server.lock:
        return shop.server.network.faults.add(boundary, Principal.from_str(shop.merchant_id), method, **options)


def distinct(canister):
    """ic-py sends no nonce and rounds ingress_expiry to seconds, so two identical calls
    in one second are one message for the IC (the second gets the first one's reply).
    Tests repeat calls on purpose (double completion...), so expiry gets ns precision,
    which makes every request id unique, as agent-js does with its nonce."""
    canister.agent.get_expiry_date = lambda: time.time_ns() + 240 * NS
    return canister


def build_shop(server, new_identity, deploy, actor, anonymous_identity, second_ledger=None, factory=None) -> Shop:
    """A local ICRC ledger (LTT) on which the owner, alice and bob hold CUSTOMER_FUNDS, and a
    merchant canister accepting it, whose owner authorized the `api` server principal.
    `second_ledger(holders) -> init arg`: a second ledger, same holders, that the merchant
    adds as a token (`shop.extra`: its id "ledger2", its token record "token2", alice's and
    bob's clients "alice2", "bob2"). `factory(ledger_id, ledger2_id) -> canister id`: the
    merchant's factory, made once the ledgers exist."""
    owner, api, alice, bob, stranger = (new_identity() for _ in range(5))
    holders = [(i.sender().to_str(), CUSTOMER_FUNDS) for i in (owner, alice, bob)]
    ledger_id = deploy(server, LEDGER_ENTRY, ledger_init_arg(holders))
    ledger2_id = None if second_ledger is None else deploy(server, LEDGER_ENTRY, second_ledger(holders))
    factory_id = None if factory is None else factory(ledger_id, ledger2_id)
    merchant_id = deploy(
        server, MERCHANT_ENTRY, merchant_init_arg(owner.sender().to_str(), ledger_id, factory=factory_id)
    )

    def party(identity, ledger: str = ledger_id) -> Party:
        return Party(
            identity,
            distinct(actor(server, merchant_id, identity, MERCHANT_DID)),
            LedgerClient(distinct(actor(server, ledger, identity, LEDGER_DID)), identity),
        )

    shop = Shop(
        server,
        merchant_id,
        ledger_id,
        party(owner),
        party(api),
        party(alice),
        party(bob),
        party(stranger),
        party(anonymous_identity),
    )
    token = ok(shop.owner.merchant.refresh_token(SYMBOL))
    assert token["fee"] == FEE and token["verified"]
    if ledger2_id is not None:
        shop.extra = {
            "ledger2": ledger2_id,
            "token2": ok(shop.owner.merchant.add_token(ledger2_id)),
            "alice2": party(alice, ledger2_id).ledger,
            "bob2": party(bob, ledger2_id).ledger,
        }
    ok(shop.owner.merchant.authorize_server_principal(shop.api.principal, "backend"))
    return shop


def branding(**over) -> dict:
    value = {
        "company_name": "Test Shop",
        "logo_url": ["https://shop.example.com/logo.png"],
        "accent_color": "#3355ff",
        "button_text": "Pay now",
        "support_url": [],
    }
    value.update(over)
    return value


def modal_config(template_id: str | None = None, **over) -> dict:
    value = {
        "modal_id": "",
        "name": "Main checkout",
        "description": ["The modal on the product page"],
        "theme": {
            "primary_color": "#112233",
            "background_color": "#ffffff",
            "text_color": "#000",
            "font_family": "Inter, sans-serif",
            "border_radius": 8,
            "dark_mode": False,
        },
        "payment_options": {
            "accepted_tokens": [SYMBOL],
            "allow_token_selection": True,
            "show_fiat_equivalent": True,
            "collect_email": True,
        },
        "branding": branding(),
        "redirect_urls": {
            "success_url": "https://shop.example.com/thanks/{CHECKOUT_SESSION_ID}",
            "cancel_url": "https://shop.example.com/cart",
        },
        "template_id": opt(template_id),
        "created_at": 0,
        "updated_at": 0,
        "is_active": True,
    }
    value.update(over)
    return value


def element_config(element_id: str = "", **over) -> dict:
    value = {
        "element_id": element_id,
        "component_type": "PaymentButton",
        "theme_overrides": [{"key": "button_color", "value": "#ff8800"}, {"key": "border_radius", "value": "6px"}],
        "validation_rules": [{"key": "min_amount", "value": "100000"}],
        "merchant_branding": branding(),
        "is_active": True,
    }
    value.update(over)
    return value


def token_preferences(**over) -> dict:
    value = {
        "preferred_tokens": [SYMBOL],
        "token_priorities": [{"key": SYMBOL, "value": 5}],
        "minimum_amounts": [{"key": SYMBOL, "value": 100_000}],
        "merchant_fee_overrides": [{"key": SYMBOL, "value": 50}],
        "auto_convert_to": [],
    }
    value.update(over)
    return value


def plain(value):
    """A result with principals as text (ic-py's Principal has no equality)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Principal):
        return value.to_str()
    return value
