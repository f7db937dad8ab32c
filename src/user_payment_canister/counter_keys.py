"""The key families of merchant_store's `counters_map` (memory 4, `text -> nat`): one place
that says which keys exist, which module owns each and what it counts. A `<name>` part is
filled in per key; tests/merchant/test_counter_keys.py checks every key in the map after a
realistic workload, and every key built in src/user_payment_canister, against FAMILIES.
Modules build parametrized keys with the functions below rather than by hand."""

# (key template, owner module, meaning)
FAMILIES = (
    # checkout sessions
    ("session_seq", "checkout_sessions", "the last session seq (session_index_map)"),
    ("sessions_total", "checkout_sessions", "sessions ever created"),
    ("sessions_open", "checkout_sessions", "sessions now open"),
    ("sessions_completed", "payment_records", "sessions completed"),
    ("sessions_expired", "checkout_sessions", "sessions expired (less those reopened by a late payment)"),
    ("completion_seconds_total", "payment_records", "sum of creation-to-completion seconds"),
    ("expiry_cursor", "checkout_sessions", "session expiry queue: next minute to drain"),
    ("expiry_position", "checkout_sessions", "session expiry queue: entries of that minute taken"),
    ("expiry_slot:<minute>", "checkout_sessions", "session expiry queue: entries filed in a minute"),
    # payments, refunds, payouts, sweeps
    ("payment_seq", "payment_records", "the last payment seq (payment_index_map)"),
    ("payments_count", "payment_records", "payments recorded (sessions and one-click)"),
    ("volume:<symbol>", "payment_records", "base units received per token"),
    ("payments:<symbol>", "payment_records", "payments per token"),
    ("refund_seq", "refunds", "the last refund seq (refund_index_map)"),
    ("refunds_count", "transfer_intents", "refunds completed"),
    ("payout_seq", "payouts", "the last payout seq (payout_index_map)"),
    ("session_fund_returns", "session_deposits", "late deposits returned to their senders"),
    ("sweep_intent:<session_id>", "session_deposits", "the balance an in-flight sweep takes"),
    ("sweep_option:<session_id>", "session_deposits", "index of the price option that sweep is in"),
    ("credited_below:<session_id>", "session_deposits", "blocks below it were swept by the completion"),
    ("credited_below:<session_id>:<option>", "session_deposits", "the same, per price option"),
    # modals, elements, hosted pages, rate limits
    ("modal_seq", "modals", "modals ever created"),
    ("modal_views", "modals", "modal views tracked"),
    ("element_seq", "elements", "elements ever created"),
    ("hosted_page_views", "factory_reporting", "hosted page views tracked"),
    ("rw_seq", "rate_limits", "the last rate window seq (rate_window_index_map)"),
    ("rw_prune_seq", "rate_limits", "rate windows pruned up to this seq"),
    # events and webhooks
    ("evt_seq", "merchant_events", "the last event seq (event_index_map)"),
    ("evt_seq:<event_type>", "merchant_events", "the last event seq of one type (event_type_index_map)"),
    ("evt_prune_seq", "merchant_events", "events pruned up to this seq"),
    ("webhook_seq", "webhook_configs", "webhooks ever configured"),
    ("dlv_seq", "webhook_delivery", "the last delivery seq (`dlv_<seq>` ids)"),
    ("dlv_prune_seq", "webhook_delivery", "deliveries pruned up to this seq"),
    ("dlvq_head", "webhook_delivery", "new-delivery FIFO: entries taken"),
    ("dlvq_tail", "webhook_delivery", "new-delivery FIFO: entries filed"),
    ("dlvs_cursor", "webhook_delivery", "retry queue: next minute to drain"),
    ("dlvs_pos", "webhook_delivery", "retry queue: entries of that minute taken"),
    ("dlvs:<minute>", "webhook_delivery", "retry queue: entries filed in a minute"),
    ("dlv_attempts:<webhook_id>", "webhook_delivery", "attempts logged per webhook (ring buffer position)"),
    # due queues of expiry_index (kinds: verification, auth, charge)
    ("xq:<kind>:cursor", "expiry_index", "due queue of a kind: next minute to drain"),
    ("xq:<kind>:pos", "expiry_index", "due queue of a kind: entries of that minute taken"),
    ("xq:<kind>:<minute>", "expiry_index", "due queue of a kind: entries filed in a minute"),
    (
        "ledger_op_seq",
        "ledger_journal",
        "the last ledger operation seq (a late answer never settles a later operation)",
    ),
    # analytics, one-click, security, reports
    ("an:<metric>", "merchant_analytics", "all-time analytics counter (payments, sessions, customers...)"),
    ("an:vol:<symbol>", "merchant_analytics", "all-time base units paid per token"),
    ("an:pay:<symbol>", "merchant_analytics", "all-time payments per token"),
    ("an:rvol:<symbol>", "merchant_analytics", "all-time base units refunded per token"),
    ("oc:profiles", "one_click", "payment profiles created"),
    ("oc:auths", "one_click", "pre-authorizations created"),
    ("oc:active", "one_click", "pre-authorizations now active"),
    ("oc:revoked", "one_click", "pre-authorizations revoked"),
    ("oc:declined", "one_click", "one-click charges declined"),
    ("oc:charges", "one_click", "one-click charges made"),
    ("oc:charge_seq", "one_click", "the last one-click charge seq"),
    ("oc:registered", "one_click", "customers registered for one-click"),
    ("oc:vol:<symbol>", "one_click", "one-click base units charged per token"),
    ("sec:alert_seq", "security_alerts", "the last security alert seq (alerts_map)"),
    ("sec:alerts_up", "security_alerts", "alerts up to this seq were considered for the factory"),
    ("sec:global_seq", "security_updates", "global blocklist changes applied up to this seq"),
    ("sec:bad_seq", "security_updates", "known-bad address changes applied up to this seq"),
    ("sec:rep_seq", "security_updates", "reputation changes applied up to this seq"),
    ("sec:system_alert_seq", "security_updates", "every factory alert up to this seq was seen"),
    ("sec:system_alert_top", "security_updates", "the highest factory alert seq stored"),
    ("sec:system_alerts_received", "security_updates", "factory system alerts received"),
    ("sec:bulletins_received", "security_updates", "factory security bulletins received"),
    ("rep:schedule_seq", "custom_reports", "report schedules ever created"),
    ("rep:tick_at", "factory_reporting", "when the last reporting tick ran"),
    ("rep:digest", "factory_reporting", "digest of the last report the factory accepted"),
    ("rep:skipped", "factory_reporting", "ticks whose report was unchanged and not sent"),
    ("rep:version_checks", "factory_reporting", "get_security_versions calls on idle ticks"),
    ("rep:ticks_since_sync", "factory_reporting", "ticks since the security logs were last synced"),
    ("rep:shard_reports", "factory_reporting", "reports the merchant's report shard accepted"),
    ("rep:shard_fallbacks", "factory_reporting", "report shard calls that failed (the factory was asked instead)"),
    ("rep:shard_changes", "report_shard", "report shard assignments accepted from the factory"),
    ("rep:log_pulls", "security_updates", "change-log pages pulled by the reporting timer"),
)


def session_expiry_slot_key(minute: int) -> str:
    return "expiry_slot:" + str(minute)


def retry_slot_key(minute: int) -> str:
    return "dlvs:" + str(minute)


def attempts_key(webhook_id: str) -> str:
    return "dlv_attempts:" + webhook_id


def due_cursor_key(kind: str) -> str:
    return "xq:" + kind + ":cursor"


def due_position_key(kind: str) -> str:
    return "xq:" + kind + ":pos"


def due_slot_key(kind: str, minute: int) -> str:
    return "xq:" + kind + ":" + str(minute)


def analytics_key(metric: str) -> str:
    return "an:" + metric


def event_type_seq_key(event_type: str) -> str:
    return "evt_seq:" + event_type


def volume_key(symbol: str) -> str:
    return "volume:" + symbol


def payments_key(symbol: str) -> str:
    return "payments:" + symbol


def one_click_volume_key(symbol: str) -> str:
    return "oc:vol:" + symbol
