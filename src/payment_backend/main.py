"""ckPayment factory canister: entry module.

Deploys and upgrades merchant canisters (src/user_payment_canister) from a chunked Wasm
store, keeps their registry, and serves the system-wide features of the seed (templates,
hosted-page routing, components, token market, payment network, security, analytics).
Every method lives in a module with one job; this module re-exports them (kybra exports
only names bound in the entry module), runs init/post_upgrade and arms the timers, which
re-arm themselves with the current settings each time they fire.
"""

from kybra import Async, ic, init, post_upgrade, void

from src.payment_backend.admins import (  # noqa: F401
    FactoryInitArgs,
    add_admin,
    get_factory_settings,
    get_settings,
    install_admins,
    is_factory_admin,
    list_admins,
    remove_admin,
    update_factory_settings,
)
from src.payment_backend.billing import (  # noqa: F401
    get_deployment_credits,
    get_topup_budget,
    grant_deployment_credits,
    grant_topup_budget,
)
from src.payment_backend.compliance import (  # noqa: F401
    check_compliance_requirements,
    generate_compliance_report,
    get_compliance_status,
    recheck_batch,
)
from src.payment_backend.components import (  # noqa: F401
    deploy_component_version,
    get_available_components,
    get_available_components_page,
    get_component_cdn_url,
    get_component_stats,
    get_component_usage_stats,
    list_component_versions,
    track_component_usage,
)
from src.payment_backend.customer_spend import expire_reservations
from src.payment_backend.deployments import (  # noqa: F401
    cleanup_failed_deployment,
    deploy_user_payment_canister,
    retry_deployment,
)
from src.payment_backend.global_security import (  # noqa: F401
    add_known_bad_address,
    add_to_global_blocklist,
    analyze_payment_pattern,
    apply_block_candidates,
    check_principal_reputation,
    get_address_risk_score,
    get_fraud_patterns_since,
    get_global_blocklist_changes,
    get_global_security_config,
    get_known_bad_address_changes,
    get_security_config_version,
    get_threat_intelligence,
    remove_from_global_blocklist,
    report_suspicious_principal,
    set_geographic_risk_score,
    update_global_fraud_patterns,
    update_global_security_config,
    update_threat_intelligence,
    validate_transaction_against_global_rules,
)
from src.payment_backend.hosted_pages import (  # noqa: F401
    add_custom_domain,
    add_hosted_page_template,
    configure_hosted_infrastructure,
    get_hosted_infrastructure,
    get_hosted_page_templates,
    get_system_hosted_metrics,
    resolve_custom_domain,
    resolve_hosted_page_route,
    set_custom_domain_status,
    update_routing_rules,
)
from src.payment_backend.payment_network import (  # noqa: F401
    confirm_cross_merchant_spend,
    get_global_payment_metrics,
    record_cross_merchant_payment,
    register_merchant_for_one_click,
    release_cross_merchant_spend,
    reserve_cross_merchant_spend,
    reserve_one_click_spend,
    settle_one_click_reservations,
    validate_cross_merchant_limits,
)
from src.payment_backend.registry import (  # noqa: F401
    get_deployment,
    get_factory_stats,
    get_user_canister,
    list_canisters_by_owner,
    list_user_canisters,
    monitor_cycles,
    prepay_canister_topups,
    refresh_canister_cycles,
    run_cycles_monitor,
    top_up_user_canister,
)
from src.payment_backend.report_shards import (  # noqa: F401
    arm_shard_upkeep,
    assign_report_shards,
    deploy_report_shard,
    get_report_shards,
    set_report_shard_capacity,
)
from src.payment_backend.report_totals import get_report_market, submit_report_totals  # noqa: F401
from src.payment_backend.reputation_changes import get_reputation_changes  # noqa: F401
from src.payment_backend.rollouts import (  # noqa: F401
    cancel_rollout,
    get_rollout,
    list_rollout_results,
    list_rollouts,
    pause_rollout,
    rearm_after_upgrade,
    resume_rollout,
    rollback_rollout,
    start_rollout,
)
from src.payment_backend.security_push import (  # noqa: F401
    get_security_push_status,
    get_security_versions,
    get_system_alerts_since,
    issue_system_alert,
    rearm_push,
)
from src.payment_backend.shard_upgrades import retry_report_shard, upgrade_report_shard  # noqa: F401
from src.payment_backend.sole_control import secure_user_canister  # noqa: F401
from src.payment_backend.system_analytics import (  # noqa: F401
    calculate_system_conversion_rates,
    compare_merchant_performance,
    get_industry_benchmarks,
    get_merchant_benchmarks,
    get_system_analytics,
    report_merchant_metrics,
    submit_metrics_report,
)
from src.payment_backend.templates import (  # noqa: F401
    create_global_modal_template,
    get_global_modal_template,
    get_modal_template_stats,
    get_system_modal_analytics,
    list_public_modal_templates,
    list_public_modal_templates_page,
    publish_global_modal_template,
    update_template_usage,
)
from src.payment_backend.token_market import (  # noqa: F401
    add_market_token,
    get_global_fee_estimates,
    get_global_token_market,
    get_global_token_recommendations,
    get_market_conditions,
    get_real_time_rates,
    get_recommendation_engine,
    get_timed_rates,
    get_token_rate_history,
    refresh_timer,
    remove_market_token,
    update_global_token_rates,
    update_recommendation_algorithm,
)
from src.payment_backend.upgrade_consent import (  # noqa: F401
    get_managed_upgrades,
    set_managed_upgrades,
)
from src.payment_backend.upgrades import (  # noqa: F401
    rollback_user_canister,
    upgrade_user_canister,
)
from src.payment_backend.wasm_store import (  # noqa: F401
    abort_wasm_upload,
    begin_wasm_upload,
    commit_wasm_upload,
    delete_wasm_version,
    get_default_wasm_version,
    get_wasm_version,
    list_wasm_versions,
    set_default_wasm_version,
    upload_wasm_chunk,
)

SECURITY_INTERVAL_SECONDS = 3600
RESERVATION_EXPIRY_SECONDS = 600


def cycles_timer() -> Async[void]:
    ic.set_timer(get_settings()["monitor_interval_seconds"], cycles_timer)
    yield monitor_cycles()


def rates_timer() -> Async[void]:
    ic.set_timer(get_settings()["rate_refresh_seconds"], rates_timer)
    yield refresh_timer()


def security_timer() -> void:
    ic.set_timer(SECURITY_INTERVAL_SECONDS, security_timer)
    apply_block_candidates()
    recheck_batch()


def reservations_timer() -> void:
    """Expire the one-click reservations left open past their day (customer_spend.py),
    off the charges' path; a walk the message's budget cut short goes on at once."""
    ic.set_timer(RESERVATION_EXPIRY_SECONDS, reservations_timer)
    expire_more()


def expire_more() -> void:
    if expire_reservations():
        ic.set_timer(0, expire_more)


def arm_timers() -> None:
    settings = get_settings()
    ic.set_timer(RESERVATION_EXPIRY_SECONDS, reservations_timer)
    ic.set_timer(settings["monitor_interval_seconds"], cycles_timer)
    ic.set_timer(settings["rate_refresh_seconds"], rates_timer)
    ic.set_timer(SECURITY_INTERVAL_SECONDS, security_timer)
    rearm_after_upgrade()
    rearm_push()
    arm_shard_upkeep()


@init
def init_factory(args: FactoryInitArgs) -> void:
    install_admins(args)
    arm_timers()


@post_upgrade
def post_upgrade_factory() -> void:
    arm_timers()
