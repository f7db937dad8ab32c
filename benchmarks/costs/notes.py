"""Why a method's cost is bounded by design, shown next to it in the JSON summary (and in
docs/benchmarks.md). Each note names the bound in the canister source."""

PAGE = (
    "paginated: at most 100 items per call (src/common/pagination.py MAX_LIMIT), walked "
    "from a sequence index, so the cost follows the page, never the total; it grows "
    "only while the page is still filling up"
)

NOTES = {
    # merchant canister
    "merchant.list_checkout_sessions": PAGE + "; a page also stops at 1.8 MB of sessions",
    "merchant.list_payments": PAGE,
    "merchant.list_refunds": PAGE,
    "merchant.list_payouts": PAGE,
    "merchant.list_events": PAGE + " (events are kept 30 days)",
    "merchant.list_webhook_attempts": "at most 50 attempts are kept per webhook (a ring)",
    "merchant.list_my_modals": "pages of at most 20 modals by id (modals.py MAX_MODAL_PAGE), "
    "under 1 MB even with 48 kB modals",
    "merchant.list_merchant_elements": "pages of at most 20 elements by id "
    "(elements.py MAX_ELEMENT_PAGE), under 1.4 MB",
    "merchant.list_webhooks": "at most 10 webhooks (webhook_configs.py MAX_WEBHOOKS)",
    "merchant.list_report_schedules": "at most 20 schedules (custom_reports.py MAX_SCHEDULES)",
    "merchant.get_accepted_tokens": "at most 20 tokens (token_registry.py MAX_TOKENS)",
    "merchant.get_security_alerts": "the newest 100 alerts (security_alerts.py MAX_LISTED)",
    "merchant.expire_old_sessions": "at most 500 sessions and 3000 minute slots per call "
    "(checkout_sessions.py EXPIRE_BATCH, EXPIRE_MINUTE_PROBES)",
    "merchant.complete_checkout_session": "reads the hinted block and the last 100 ledger blocks "
    "(ledger_calls.py RECENT_BLOCK_WINDOW); the cost follows "
    "what those 100 blocks are, not the ledger's length",
    "merchant.refund_session_funds": "same 100-block window as complete_checkout_session",
    "merchant.reconcile_balances": "one ledger balance per accepted token (at most 20)",
    "merchant.get_payment_analytics": "per-day buckets over the requested range (at most 366 days), never the payments",
    "merchant.get_revenue_breakdown": "per-day buckets over the requested range (at most 366 days)",
    "merchant.generate_custom_report": "per-day buckets over the requested range (at most 366 days)",
    # effects of emitting an event, shared by the payment flows
    "merchant.pay_checkout_session": "O(1) stable-map work plus one event with one delivery per "
    "webhook (at most 10 webhooks)",
    "merchant.refund_payment": "O(1) stable-map work plus one event with one delivery per webhook",
    "merchant.execute_one_click_payment": "O(1) stable-map work plus one event with one delivery per webhook",
    # factory
    "factory.list_user_canisters": PAGE,
    "factory.list_canisters_by_owner": PAGE + "; an owner has at most max_canisters_per_owner",
    "factory.list_wasm_versions": PAGE,
    "factory.list_rollouts": PAGE,
    "factory.list_rollout_results": PAGE,
    "factory.list_public_modal_templates_page": PAGE,
    "factory.get_available_components_page": PAGE,
    "factory.get_global_blocklist_changes": "at most 100 changes per call (blocklist.py changes_since)",
    "factory.report_merchant_metrics": "only merchant canisters may call it, so here it is refused; the "
    "accepted path (a merchant's report timer) is measured by "
    "`bench.sh --costs --run` (docs/scaling.md)",
    "factory.get_global_security_config": "lists the newest 100 blocked principals, walking at most "
    "1000 log entries (blocklist.py recent_blocked)",
    "factory.list_admins": "at most 20 admins (admins.py MAX_ADMINS)",
    "factory.run_cycles_monitor": "10 canisters per run from a rotating cursor, at most 1000 probes "
    "(registry.py MONITOR_BATCH, MAX_PROBES)",
    "factory.start_rollout": "records the plan; canisters are upgraded by a timer, batch_size per run (rollouts.py)",
    # ledger
    "ledger.icrc3_get_blocks": "at most 100 blocks per response (ledger_blocks.py "
    "MAX_BLOCKS_PER_RESPONSE); measured on the first 100",
    "ledger.icrc1_transfer": "dedup window pruned 8 entries per call (ledger_dedup.py PRUNE_PER_CALL)",
}
