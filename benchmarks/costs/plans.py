"""How each public method is called in the benchmark: who calls it and with what.

A plan is `(role, args)`: `args(w, fx)` returns the argument list (it may first make the
objects it needs, unmetered); `None` means the generic sample arguments of
`sample_args`. Methods whose cost could follow the amount of data (lookups, lists,
analytics, payment flows) have real arguments; the rest run with samples, which pass
decoding and run the method's validation and lookups (the report shows each outcome)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from benchmarks.costs import configs
from benchmarks.costs.fill import PRICE, session_args
from benchmarks.costs.fixtures import TOTP_SECRET
from benchmarks.costs.world import FEE, SYMBOL, World

DAY_NS = 24 * 3600 * 1_000_000_000


@dataclass(frozen=True)
class Plan:
    role: str  # owner | server | admin | customer | anonymous
    args: Optional[Callable] = None  # (World, Fixtures) -> list; None = sample arguments
    note: str = ""
    after: Optional[Callable] = None  # (World, reply value): undo what the call created


def undo(role: str, method: str):
    """`after` for a call that created an object: remove it again (unmetered), so every
    stage measures with the same number of modals, webhooks, schedules... and only the
    stage's data size differs."""

    def after(w: World, value) -> None:
        if isinstance(value, dict) and isinstance(value.get("Ok"), str):
            w.call(getattr(w, role) if role != "customer" else w.customers[0], w.merchant, method, value["Ok"])

    return after


def today(w: World) -> dict:
    day = w.net.time_ns // DAY_NS * DAY_NS
    return {"start": day, "end": day + DAY_NS}


def account(owner, sub=None) -> dict:
    return {"owner": owner, "subaccount": sub}


def transfer_from_arg(w: World) -> dict:
    w.call(
        w.customers[1],
        w.ledger,
        "icrc2_approve",
        {
            "from_subaccount": None,
            "spender": account(w.customers[0]),
            "amount": 10 * FEE,
            "expected_allowance": None,
            "expires_at": None,
            "fee": None,
            "memo": None,
            "created_at_time": None,
        },
    )
    return {
        "spender_subaccount": None,
        "from": account(w.customers[1]),
        "to": account(w.owner),
        "amount": FEE,
        "fee": None,
        "memo": None,
        "created_at_time": None,
    }


def current(role: str, canister: str, getter: str, unwrap: bool = True):
    """Plan args: the canister's current settings, written back unchanged (a sample value
    would reconfigure the system the later stages measure)."""

    def args(w: World, fx) -> list:
        value = w.call(getattr(w, role), getattr(w, canister), getter)
        return [value["Ok"] if unwrap and isinstance(value, dict) and "Ok" in value else value]

    return args


PAGE = 100  # the largest page every list accepts (DESIGN.md: limit <= 100)

MERCHANT = {
    # checkout sessions
    "create_checkout_session": Plan("server", lambda w, fx: [fx.modal_id, PRICE, SYMBOL, []], "URLs from the modal"),
    "create_checkout_session_with_options": Plan("server", lambda w, fx: [session_args("order-1")]),
    "get_checkout_session": Plan(
        "anonymous", lambda w, fx: [w.first_session_id], "the oldest session (newest gives the same cost)"
    ),
    "list_checkout_sessions": Plan("owner", lambda w, fx: [None, PAGE], "a full page"),
    "get_checkout_session_analytics": Plan("owner", lambda w, fx: []),
    "expire_old_sessions": Plan("owner", lambda w, fx: []),
    "pay_checkout_session": Plan(
        "customer", lambda w, fx: [fx.fresh_open_session_id()], "ICRC-2: icrc2_transfer_from on the ledger"
    ),
    "complete_checkout_session": Plan(
        "anonymous",
        lambda w, fx: list(fx.transferred_session()),
        "ICRC-1 transfer found by balance + ICRC-3 blocks, then swept",
    ),
    "refund_session_funds": Plan(
        "owner", lambda w, fx: fx.late_transfer(), "a transfer to an already paid session, sent back"
    ),
    # payments, refunds, payouts
    "get_payment": Plan("owner", lambda w, fx: [w.first_payment_id], "the oldest payment"),
    "list_payments": Plan("owner", lambda w, fx: [None, PAGE], "a full page"),
    "refund_payment": Plan(
        "owner",
        lambda w, fx: [fx.fresh_payment_id(), None, "benchmark"],
        "full refund: icrc1_transfer back to the payer",
    ),
    "list_refunds": Plan("owner", lambda w, fx: [None, PAGE]),
    "create_payout": Plan("owner", lambda w, fx: [SYMBOL, 10 * FEE, account(w.owner), "benchmark"]),
    "list_payouts": Plan("owner", lambda w, fx: [None, PAGE]),
    "reconcile_balances": Plan("owner", lambda w, fx: []),
    "get_merchant_metrics": Plan("owner", lambda w, fx: []),
    # events, analytics, reports
    "get_event": Plan("owner", lambda w, fx: [fx.event_id]),
    "list_events": Plan("owner", lambda w, fx: [None, PAGE, None], "a full page"),
    "get_payment_analytics": Plan("owner", lambda w, fx: [today(w)]),
    "get_revenue_breakdown": Plan("owner", lambda w, fx: [{"Month": today(w)}]),
    "generate_custom_report": Plan(
        "owner",
        lambda w, fx: [
            {
                "name": "bench",
                "date_range": today(w),
                "granularity": "day",
                "metrics": ["payments", "volume"],
                "tokens": [],
            }
        ],
    ),
    "get_customer_token_history": Plan("owner", lambda w, fx: [w.customers[0]]),
    "get_payment_profile": Plan("owner", lambda w, fx: [fx.profile_customer]),
    "update_merchant_spending_limits": Plan(
        "owner",
        lambda w, fx: [
            fx.profile_customer,
            [
                {
                    "key": SYMBOL,
                    "value": {
                        "max_per_transaction": 10 * PRICE,
                        "max_per_period": 100 * PRICE,
                        "period_seconds": 86_400,
                    },
                }
            ],
        ],
    ),
    "analyze_transaction_risk": Plan(
        "owner",
        lambda w, fx: [
            {
                "transaction_id": "1",
                "country": None,
                "customer": w.customers[0],
                "token_symbol": SYMBOL,
                "from_address": None,
                "merchant_canister": w.merchant,
                "timestamp": w.net.time_ns,
                "amount": PRICE,
            }
        ],
    ),
    "estimate_transaction_cost_for_merchant": Plan("owner", lambda w, fx: [SYMBOL, PRICE]),
    "get_personalized_token_recommendations": Plan("owner", lambda w, fx: [w.customers[0], PRICE]),
    "track_customer_token_usage": Plan("owner", lambda w, fx: [w.customers[0], SYMBOL, PRICE]),
    "refresh_token": Plan("owner", lambda w, fx: [SYMBOL], "calls the ledger for its metadata"),
    "set_token_enabled": Plan("owner", lambda w, fx: [SYMBOL, True]),
    "add_token": Plan("owner", lambda w, fx: [w.ledger], "already accepted: conflict path"),
    "register_for_one_click": Plan("owner", None, "registers with the factory's payment network"),
    "get_customer_verification_status": Plan("owner", lambda w, fx: [w.customers[0]]),
    "webhook_transform": Plan("anonymous"),
    "update_security_config": Plan("owner", current("owner", "merchant", "get_security_config")),
    "expire_checkout_session": Plan("owner", lambda w, fx: [fx.fresh_open_session_id()]),
    # modals, elements
    "create_modal_config": Plan(
        "owner", lambda w, fx: [configs.modal_config("Second")], after=undo("owner", "delete_modal_config")
    ),
    "get_modal_config": Plan("anonymous", lambda w, fx: [fx.modal_id]),
    "update_modal_config": Plan("owner", lambda w, fx: [fx.modal_id, configs.modal_config("Renamed")]),
    "delete_modal_config": Plan("owner", lambda w, fx: [fx.new_modal_id()]),
    "track_modal_view": Plan("anonymous", lambda w, fx: [fx.modal_id]),
    "get_modal_analytics": Plan("owner", lambda w, fx: [fx.modal_id]),
    "generate_modal_embed_code": Plan("owner", lambda w, fx: [fx.modal_id]),
    "configure_payment_element": Plan(
        "owner", lambda w, fx: [configs.element_config(fx.element_id)], "replaces an element (there is no delete)"
    ),
    "get_element_configuration": Plan("anonymous", lambda w, fx: [fx.element_id]),
    "get_element_metrics": Plan("owner", lambda w, fx: [fx.element_id]),
    "track_element_usage": Plan("anonymous", lambda w, fx: [fx.element_id, "click"]),
    "generate_element_embed_code": Plan("owner", lambda w, fx: [fx.element_id]),
    # webhooks (no delivery is attempted: the clock does not move while measuring)
    "configure_webhook": Plan("owner", lambda w, fx: [configs.webhook_config()], after=undo("owner", "delete_webhook")),
    "get_webhook": Plan("owner", lambda w, fx: [fx.webhook_id]),
    "update_webhook": Plan("owner", lambda w, fx: [fx.webhook_id, configs.webhook_config()]),
    "delete_webhook": Plan("owner", lambda w, fx: [fx.new_webhook_id()]),
    "rotate_webhook_secret": Plan("owner", lambda w, fx: [fx.webhook_id, None]),
    "get_webhook_delivery_stats": Plan("owner", lambda w, fx: [fx.webhook_id]),
    "list_webhook_attempts": Plan("owner", lambda w, fx: [fx.webhook_id, 50], "at most 50 kept"),
    # one-click
    "create_pre_authorization_with_options": Plan(
        "customer",
        lambda w, fx: [configs.pre_auth_args(w.customers[0], 10 * PRICE)],
        after=undo("customer", "revoke_authorization"),
    ),
    "create_pre_authorization": Plan(
        "customer",
        lambda w, fx: [w.customers[0], 10 * PRICE, SYMBOL, 3600],
        after=undo("customer", "revoke_authorization"),
    ),
    "get_pre_authorization": Plan("customer", lambda w, fx: [fx.auth_id]),
    "execute_one_click_payment": Plan(
        "owner", lambda w, fx: [fx.auth_id, PRICE, []], "icrc2_transfer_from within the pre-authorization"
    ),
    "revoke_authorization": Plan("customer", lambda w, fx: [fx.new_auth_id()]),
    # reports
    "schedule_automated_report": Plan(
        "owner", lambda w, fx: [configs.report_schedule()], after=undo("owner", "cancel_report_schedule")
    ),
    "cancel_report_schedule": Plan("owner", lambda w, fx: [fx.new_schedule_id()]),
    "register_totp_secret": Plan("customer", lambda w, fx: [TOTP_SECRET]),
    "remove_totp_secret": Plan("customer", lambda w, fx: fx.registered_totp()),
    "request_transaction_verification": Plan("owner", lambda w, fx: [PRICE, w.customers[0], {"Email": None}]),
    "verify_transaction": Plan(
        "customer", lambda w, fx: [fx.verification_id(), "000000"], "a wrong code: the attempt is counted"
    ),
    "create_payment_profile_for_merchant": Plan("owner", lambda w, fx: [fx.new_profile_principal(), None]),
    "update_merchant_token_preferences": Plan("owner", current("owner", "merchant", "get_merchant_token_preferences")),
}

LEDGER = {
    "icrc1_balance_of": Plan("customer", lambda w, fx: [account(w.customers[0])]),
    "icrc1_transfer": Plan(
        "customer",
        lambda w, fx: [
            {
                "from_subaccount": None,
                "to": account(w.owner),
                "amount": FEE,
                "fee": None,
                "memo": None,
                "created_at_time": None,
            }
        ],
    ),
    "icrc2_approve": Plan(
        "customer",
        lambda w, fx: [
            {
                "from_subaccount": None,
                "spender": account(w.server),
                "amount": 10 * FEE,
                "expected_allowance": None,
                "expires_at": None,
                "fee": None,
                "memo": None,
                "created_at_time": None,
            }
        ],
    ),
    "icrc2_allowance": Plan(
        "customer", lambda w, fx: [{"account": account(w.customers[0]), "spender": account(w.merchant)}]
    ),
    "icrc2_transfer_from": Plan(
        "customer", lambda w, fx: [transfer_from_arg(w)], "customer 0 spends an allowance customer 1 just gave it"
    ),
    "icrc3_get_blocks": Plan("anonymous", lambda w, fx: [[{"start": 0, "length": PAGE}]], "the first 100 blocks"),
    "icrc3_get_archives": Plan("anonymous", lambda w, fx: [{"from": None}]),
}

FACTORY = {
    "list_user_canisters": Plan("admin", lambda w, fx: [None, PAGE], "a full page"),
    "list_canisters_by_owner": Plan("admin", lambda w, fx: [w.owner, None, PAGE]),
    "get_user_canister": Plan("owner", lambda w, fx: [w.merchant]),
    "get_deployment": Plan("owner", lambda w, fx: ["dep_1"]),
    "get_factory_stats": Plan("admin", lambda w, fx: []),
    "list_wasm_versions": Plan("admin", lambda w, fx: [None, PAGE]),
    "get_wasm_version": Plan("admin", lambda w, fx: ["v1"]),
    "get_default_wasm_version": Plan("anonymous", lambda w, fx: []),
    "resolve_hosted_page_route": Plan("anonymous", lambda w, fx: ["m1"]),
    "refresh_canister_cycles": Plan("owner", lambda w, fx: [w.merchant], "canister_status of the merchant"),
    "top_up_user_canister": Plan("admin", lambda w, fx: [w.merchant, 1_000_000]),
    "run_cycles_monitor": Plan("admin", lambda w, fx: []),
    "get_system_analytics": Plan("admin", lambda w, fx: []),
    "get_merchant_benchmarks": Plan("owner", lambda w, fx: [w.merchant]),
    "compare_merchant_performance": Plan("owner", lambda w, fx: [w.merchant]),
    "check_compliance_requirements": Plan("admin", lambda w, fx: [w.merchant]),
    "get_compliance_status": Plan("admin", lambda w, fx: [w.merchant]),
    "generate_compliance_report": Plan("admin", lambda w, fx: []),
    "validate_cross_merchant_limits": Plan("anonymous", lambda w, fx: [w.customers[0], PRICE]),
    "check_principal_reputation": Plan("anonymous", lambda w, fx: [w.customers[0]]),
    "get_global_blocklist_changes": Plan("admin", lambda w, fx: [0, PAGE]),
    "list_rollouts": Plan("admin", lambda w, fx: [None, PAGE]),
    "list_public_modal_templates_page": Plan("anonymous", lambda w, fx: [None, PAGE]),
    "get_available_components_page": Plan("anonymous", lambda w, fx: [None, PAGE]),
    "register_merchant_for_one_click": Plan("owner", lambda w, fx: [w.merchant]),
    "upgrade_user_canister": Plan("owner", lambda w, fx: [w.merchant, "v1"], "same version: conflict path"),
    "update_factory_settings": Plan("admin", current("admin", "factory", "get_factory_settings")),
    "update_global_security_config": Plan("admin", current("admin", "factory", "get_global_security_config")),
}

DEFAULT_ROLE = {"merchant": "owner", "ledger": "customer", "factory": "admin"}
PLANS = {"merchant": MERCHANT, "ledger": LEDGER, "factory": FACTORY}


def plan_for(canister: str, method: str) -> Plan:
    return PLANS[canister].get(method) or Plan(DEFAULT_ROLE[canister])
