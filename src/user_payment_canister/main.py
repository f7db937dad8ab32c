"""The merchant canister (one per merchant, deployed by the factory): checkout sessions with
ledger-verified payments, refunds and payouts, modals, elements and token preferences.
This entry module holds install/upgrade and the factory-facing metrics; every other method
lives in a module with one job and is re-exported here, as Kybra requires."""

from kybra import ic, init, post_upgrade, query, void

from src.common.ids import check_routing_key
from src.common.merchant_api import MerchantInitArgs, MerchantMetricsResult
from src.common.validation import check_email, check_symbol, check_text, check_url
from src.user_payment_canister.access_control import (
    ANONYMOUS,
    MAX_OWNERS,
    add_owner,
    authorize_server_principal,
    caller_text,
    get_access_overview,
    is_factory,
    is_staff,
    remove_owner,
    revoke_server_principal,
)
from src.user_payment_canister.checkout_sessions import (
    create_checkout_session,
    create_checkout_session_with_options,
    expire_checkout_session,
    expire_old_sessions,
    expiry_timer,
    get_checkout_session,
    get_checkout_session_analytics,
    list_checkout_sessions,
    session_expiry,
)
from src.user_payment_canister.consent_messages import icrc10_supported_standards, icrc21_canister_call_consent_message
from src.user_payment_canister.counter_keys import payments_key, volume_key
from src.user_payment_canister.elements import (
    configure_payment_element,
    generate_element_embed_code,
    get_element_configuration,
    get_element_metrics,
    list_merchant_elements,
    track_element_usage,
)
from src.user_payment_canister.hosted_page import get_public_merchant_profile, set_hosted_page_base_url
from src.user_payment_canister.journal_migration import index_journal, migrate_to_journal
from src.user_payment_canister.ledger_journal import RECOVERY_SECONDS, recover_operations
from src.user_payment_canister.ledger_ops_store import SCHEMA_VERSION, set_schema_version
from src.user_payment_canister.merchant_store import (
    counter,
    elements_map,
    merchant_state,
    modals_map,
    owners_map,
    state_map,
    tokens_map,
)
from src.user_payment_canister.modals import (
    create_modal_config,
    create_modal_from_template,
    delete_modal_config,
    generate_modal_embed_code,
    get_modal_analytics,
    get_modal_config,
    list_my_modals,
    track_modal_view,
    update_modal_config,
)
from src.user_payment_canister.payment_records import get_payment, list_payments
from src.user_payment_canister.payouts import create_payout, list_payouts, reconcile_balances
from src.user_payment_canister.refunds import list_refunds, refund_payment
from src.user_payment_canister.session_deposits import (
    complete_checkout_session,
    complete_checkout_session_with_token,
    refund_session_funds,
    refund_session_funds_with_token,
)
from src.user_payment_canister.session_icrc2_charges import pay_checkout_session, pay_checkout_session_with_token
from src.user_payment_canister.token_prefs import (
    estimate_transaction_cost_for_merchant,
    get_customer_token_history,
    get_merchant_token_preferences,
    get_personalized_token_recommendations,
    track_customer_token_usage,
    update_merchant_token_preferences,
)
from src.user_payment_canister.token_registry import (
    MAX_TOKENS,
    add_token,
    get_accepted_tokens,
    refresh_token,
    register_unverified,
    set_token_enabled,
    verify_pending_tokens,
)

EXPIRY_INTERVAL_SECONDS = 60


def init_args_error(args: dict) -> "str | None":
    """Install arguments are checked like any input; init can only trap, so it traps
    with this text."""
    owners = args["owners"]
    if len(owners) == 0 or len(owners) > MAX_OWNERS:
        return "invalid_argument: owners must list 1 to " + str(MAX_OWNERS) + " principals"
    for owner in owners:
        if owner.to_str() == ANONYMOUS:
            return "invalid_argument: the anonymous principal cannot be an owner"
    config = args["config"]
    err = check_routing_key(args["routing_key"]) or check_text("config.name", config["name"], 100, 1)
    if err is None and config["website"] is not None:
        err = check_url("config.website", config["website"])
    if err is None and config["support_email"] is not None:
        err = check_email("config.support_email", config["support_email"])
    if err is not None:
        return err
    if len(config["tokens"]) > MAX_TOKENS:
        return "invalid_argument: config.tokens has more than " + str(MAX_TOKENS) + " tokens"
    seen = set()
    for token in config["tokens"]:
        err = check_symbol("config.tokens symbol", token["symbol"])
        if err is not None:
            return err
        if token["symbol"] in seen:
            return "invalid_argument: config.tokens lists " + token["symbol"] + " twice"
        seen.add(token["symbol"])
    return None


def arm_timers() -> None:
    ic.set_timer(0, verify_pending_tokens)
    ic.set_timer_interval(EXPIRY_INTERVAL_SECONDS, expiry_timer)
    ic.set_timer_interval(RECOVERY_SECONDS, recover_operations)  # interrupted ledger operations (ledger_journal.py)
    arm_maintenance_timer()  # webhooks, reports, factory reporting (maintenance_timer.py)


@init
def init(args: MerchantInitArgs) -> void:
    err = init_args_error(args)
    if err is not None:
        ic.trap(err)
    config = args["config"]
    state_map.insert(
        0,
        {
            "routing_key": args["routing_key"],
            "factory": args["factory"],
            "name": config["name"],
            "website": config["website"],
            "support_email": config["support_email"],
            "installed_at": ic.time(),
        },
    )
    for owner in args["owners"]:
        owners_map.insert(owner.to_str(), owner)
    for token in config["tokens"]:
        register_unverified(token["symbol"], token["ledger"])
    session_expiry.start(ic.time())
    set_schema_version(SCHEMA_VERSION)  # a fresh canister starts with the journal
    arm_timers()


@post_upgrade
def post_upgrade() -> void:
    migrate_to_journal()  # operations in flight of a release before the journal
    index_journal()  # operations in the journal of a release before its index by subject
    arm_timers()


def token_volumes() -> list:
    rows = []
    for token in tokens_map.values():
        symbol = token["symbol"]
        rows.append(
            {"symbol": symbol, "volume": counter(volume_key(symbol)), "payments": counter(payments_key(symbol))}
        )
    return rows


@query
def get_merchant_metrics() -> MerchantMetricsResult:
    """For the factory and the merchant's staff."""
    who = caller_text()
    if not is_staff(who) and not is_factory(who):
        return {"Err": "unauthorized: merchant metrics are for the merchant and its factory"}
    state = merchant_state()
    return {
        "Ok": {
            "routing_key": state["routing_key"],
            "name": state["name"],
            "owners": owners_map.len(),
            "tokens": tokens_map.len(),
            "total_sessions": counter("sessions_total"),
            "open_sessions": counter("sessions_open"),
            "completed_sessions": counter("sessions_completed"),
            "expired_sessions": counter("sessions_expired"),
            "payments": counter("payments_count"),
            "refunds": counter("refunds_count"),
            "volume": token_volumes(),
            "modals": modals_map.len(),
            "elements": elements_map.len(),
            "cycles": ic.canister_balance(),
            "time": ic.time(),
        }
    }


# ---- merchant services (one-click, security, analytics, webhooks, reports) ----
# Re-exported so Kybra's `from main import *` sees them; the code lives in the modules.
from src.user_payment_canister.custom_reports import (  # noqa: E402
    cancel_report_schedule,
    generate_custom_report,
    list_report_schedules,
    schedule_automated_report,
)
from src.user_payment_canister.factory_reporting import (  # noqa: E402,F401
    get_business_profile,
    get_factory_reporting_status,
    get_factory_sync_status,
    set_business_profile,
    track_hosted_page_view,
)
from src.user_payment_canister.maintenance_timer import arm_maintenance_timer  # noqa: E402
from src.user_payment_canister.merchant_analytics import (  # noqa: E402
    get_conversion_metrics,
    get_customer_behavior_analysis,
    get_payment_analytics,
    get_revenue_breakdown,
)
from src.user_payment_canister.merchant_events import get_event, list_events  # noqa: E402
from src.user_payment_canister.one_click import (  # noqa: E402
    create_payment_profile_for_merchant,
    create_pre_authorization,
    create_pre_authorization_with_options,
    execute_one_click_payment,
    get_merchant_one_click_analytics,
    get_payment_profile,
    get_pre_authorization,
    register_for_one_click,
    revoke_authorization,
    update_merchant_spending_limits,
)
from src.user_payment_canister.payment_metadata import get_payment_metadata  # noqa: E402,F401
from src.user_payment_canister.report_shard import assign_report_shard  # noqa: E402,F401
from src.user_payment_canister.risk_engine import (  # noqa: E402
    analyze_transaction_risk,
    block_address_for_merchant,
    get_security_config,
    update_security_config,
)
from src.user_payment_canister.security_alerts import get_security_alerts  # noqa: E402
from src.user_payment_canister.security_updates import list_system_alerts, receive_security_bulletin  # noqa: E402,F401
from src.user_payment_canister.totp_codes import register_totp_secret, remove_totp_secret  # noqa: E402
from src.user_payment_canister.verification_codes import (  # noqa: E402
    get_customer_verification_status,
    request_transaction_verification,
    require_additional_verification,
    verify_transaction,
)
from src.user_payment_canister.webhook_configs import (  # noqa: E402
    configure_webhook,
    delete_webhook,
    get_webhook,
    get_webhook_delivery_stats,
    list_webhook_attempts,
    list_webhooks,
    rotate_webhook_secret,
    test_webhook,
    update_webhook,
)
from src.user_payment_canister.webhook_delivery import webhook_transform  # noqa: E402
from src.user_payment_canister.webhook_resend import resend_webhook_event  # noqa: E402
# ---- end of merchant services ----
