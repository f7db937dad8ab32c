"""The merchant canister's public contract with the factory.

The factory imports this module to (a) build the init argument it installs a merchant
canister with and (b) call the merchant methods it needs (session routing checks, metrics).
The merchant canister imports the same types, so both sides agree on one definition.
Times are nanoseconds since the Unix epoch (`ic.time()`), amounts are token base units.
"""

from kybra import (
    Opt,
    Principal,
    Record,
    Service,
    Variant,
    Vec,
    blob,
    float64,
    nat,
    nat8,
    nat32,
    nat64,
    null,
    service_query,
    service_update,
    text,
)

from src.common.factory_api import FactoryUnitResult, SecurityBulletin


class MetadataPair(Record):
    key: text
    value: text


class MerchantTokenInit(Record):
    symbol: text
    ledger: Principal


class MerchantConfig(Record):
    name: text
    website: Opt[text]
    support_email: Opt[text]
    tokens: Vec[MerchantTokenInit]


class MerchantInitArgs(Record):
    owners: Vec[Principal]
    factory: Opt[Principal]
    routing_key: text
    config: MerchantConfig


class CheckoutStatus(Variant, total=False):
    open: null
    complete: null
    expired: null


class SessionPriceOption(Record):
    token: text
    ledger_canister_id: Principal
    amount: nat64
    decimals: nat8
    usd_rate: float64
    amount_received: nat


class SessionLineItem(Record):
    name: text
    quantity: nat32
    unit_amount: nat64  # base units of the session's own token


class HostedCheckoutSession(Record):
    session_id: text
    modal_config_id: text
    amount: nat64
    currency_token: text
    customer_email: Opt[text]
    metadata: Vec[MetadataPair]
    status: CheckoutStatus
    payment_intent_id: Opt[text]
    expires_at: nat64
    created_at: nat64
    custom_domain: Opt[text]
    client_reference_id: Opt[text]
    success_url: text
    cancel_url: text
    ledger_canister_id: Principal
    payment_account: text
    payment_subaccount: blob
    amount_received: nat
    amount_overpaid: nat
    payer: Opt[Principal]
    ledger_block: Opt[nat]
    payment_method: Opt[text]
    completed_at: Opt[nat64]
    price_options: Opt[Vec[SessionPriceOption]]
    line_items: Opt[Vec[SessionLineItem]]
    url: Opt[text]  # the hosted page (Stripe's session.url), derived from the id and the origin when read


class CheckoutSessionResult(Variant, total=False):
    Ok: HostedCheckoutSession
    Err: text


class MerchantTokenVolume(Record):
    symbol: text
    volume: nat
    payments: nat64


class MerchantMetrics(Record):
    routing_key: text
    name: text
    owners: nat64
    tokens: nat64
    total_sessions: nat64
    open_sessions: nat64
    completed_sessions: nat64
    expired_sessions: nat64
    payments: nat64
    refunds: nat64
    volume: Vec[MerchantTokenVolume]
    modals: nat64
    elements: nat64
    cycles: nat64
    time: nat64


class MerchantMetricsResult(Variant, total=False):
    Ok: MerchantMetrics
    Err: text


class MerchantCanister(Service):
    @service_query
    def get_checkout_session(self, session_id: text) -> CheckoutSessionResult: ...

    @service_query
    def get_merchant_metrics(self) -> MerchantMetricsResult: ...

    @service_update
    def receive_security_bulletin(self, bulletin: SecurityBulletin) -> FactoryUnitResult: ...

    @service_update
    def assign_report_shard(self, shard: Principal) -> FactoryUnitResult: ...
