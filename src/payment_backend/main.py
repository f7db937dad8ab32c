"""ckPayment factory canister: entry module.

Deploys and upgrades merchant canisters (src/user_payment_canister) from a chunked Wasm
store, keeps their registry, and serves the system-wide features of the seed (templates,
hosted-page routing, components, token market, payment network, security, analytics).
Every method lives in a module with one job; this module re-exports them (kybra exports
only names bound in the entry module), runs init/post_upgrade and arms the timers, which
re-arm themselves with the current settings each time they fire.
"""

from kybra import Async, init, post_upgrade, ic, void

from src.payment_backend.admins import FactoryInitArgs, get_settings, install_admins
from src.payment_backend.compliance import recheck_batch
from src.payment_backend.global_security import apply_block_candidates
from src.payment_backend.registry import monitor_cycles
from src.payment_backend.rollouts import rearm_after_upgrade
from src.payment_backend.token_market import refresh_timer

from src.payment_backend.admins import (  # noqa: F401
    add_admin,
    remove_admin,
    list_admins,
    is_factory_admin,
    get_factory_settings,
    update_factory_settings,
)

from src.payment_backend.wasm_store import (  # noqa: F401
    begin_wasm_upload,
    upload_wasm_chunk,
    commit_wasm_upload,
    abort_wasm_upload,
    set_default_wasm_version,
    get_default_wasm_version,
    delete_wasm_version,
    get_wasm_version,
    list_wasm_versions,
)

from src.payment_backend.deployments import (  # noqa: F401
    deploy_user_payment_canister,
    retry_deployment,
    cleanup_failed_deployment,
)

from src.payment_backend.billing import (  # noqa: F401
    grant_deployment_credits,
    grant_topup_budget,
    get_deployment_credits,
    get_topup_budget,
)

from src.payment_backend.upgrades import (  # noqa: F401
    upgrade_user_canister,
    rollback_user_canister,
)

from src.payment_backend.sole_control import secure_user_canister  # noqa: F401

from src.payment_backend.upgrade_consent import (  # noqa: F401
    set_managed_upgrades,
    get_managed_upgrades,
)

from src.payment_backend.rollouts import (  # noqa: F401
    start_rollout,
    pause_rollout,
    resume_rollout,
    cancel_rollout,
    rollback_rollout,
    get_rollout,
    list_rollouts,
    list_rollout_results,
)

from src.payment_backend.registry import (  # noqa: F401
    get_user_canister,
    get_deployment,
    list_user_canisters,
    list_canisters_by_owner,
    get_factory_stats,
    refresh_canister_cycles,
    top_up_user_canister,
    run_cycles_monitor,
    prepay_canister_topups,
)

from src.payment_backend.templates import (  # noqa: F401
    create_global_modal_template,
    publish_global_modal_template,
    list_public_modal_templates,
    list_public_modal_templates_page,
    get_global_modal_template,
    update_template_usage,
    get_modal_template_stats,
    get_system_modal_analytics,
)

from src.payment_backend.hosted_pages import (  # noqa: F401
    configure_hosted_infrastructure,
    add_hosted_page_template,
    update_routing_rules,
    add_custom_domain,
    set_custom_domain_status,
    resolve_hosted_page_route,
    resolve_custom_domain,
    get_hosted_page_templates,
    get_system_hosted_metrics,
    get_hosted_infrastructure,
)

from src.payment_backend.components import (  # noqa: F401
    deploy_component_version,
    get_available_components,
    get_available_components_page,
    list_component_versions,
    get_component_cdn_url,
    track_component_usage,
    get_component_usage_stats,
    get_component_stats,
)

from src.payment_backend.token_market import (  # noqa: F401
    add_market_token,
    remove_market_token,
    update_global_token_rates,
    get_real_time_rates,
    get_timed_rates,
    get_token_rate_history,
    get_global_fee_estimates,
    get_market_conditions,
    get_global_token_market,
    update_recommendation_algorithm,
    get_recommendation_engine,
    get_global_token_recommendations,
)

from src.payment_backend.payment_network import (  # noqa: F401
    register_merchant_for_one_click,
    validate_cross_merchant_limits,
    record_cross_merchant_payment,
    reserve_cross_merchant_spend,
    confirm_cross_merchant_spend,
    release_cross_merchant_spend,
    get_global_payment_metrics,
)

from src.payment_backend.reputation_changes import get_reputation_changes  # noqa: F401
from src.payment_backend.security_push import (  # noqa: F401
    issue_system_alert,
    get_system_alerts_since,
    get_security_push_status,
    get_security_versions,
    rearm_push,
)

from src.payment_backend.global_security import (  # noqa: F401
    update_global_security_config,
    get_global_security_config,
    get_security_config_version,
    add_to_global_blocklist,
    remove_from_global_blocklist,
    get_global_blocklist_changes,
    get_known_bad_address_changes,
    get_fraud_patterns_since,
    check_principal_reputation,
    report_suspicious_principal,
    update_threat_intelligence,
    add_known_bad_address,
    set_geographic_risk_score,
    get_threat_intelligence,
    get_address_risk_score,
    validate_transaction_against_global_rules,
    analyze_payment_pattern,
    update_global_fraud_patterns,
)

from src.payment_backend.compliance import (  # noqa: F401
    check_compliance_requirements,
    get_compliance_status,
    generate_compliance_report,
)

from src.payment_backend.system_analytics import (  # noqa: F401
    report_merchant_metrics,
    submit_metrics_report,
    get_system_analytics,
    calculate_system_conversion_rates,
    get_industry_benchmarks,
    get_merchant_benchmarks,
    compare_merchant_performance,
)

from src.payment_backend.report_shards import (  # noqa: F401
    arm_shard_upkeep,
    assign_report_shards,
    deploy_report_shard,
    get_report_shards,
    set_report_shard_capacity,
)
from src.payment_backend.report_batches import submit_report_batch  # noqa: F401


SECURITY_INTERVAL_SECONDS = 3600


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


def arm_timers() -> None:
    settings = get_settings()
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
