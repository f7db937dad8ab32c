"""Test canister deployed BY the factory as a merchant version: it is installed with the
merchant init record and forwards the merchant-only factory calls, so tests can check
what a registered merchant canister may do and what a stranger may not. Installed by an
owner on a canister the owner controls, it is the rogue canister of the trust tests
(tests/factory/test_factory_trust.py): `probe_call` makes any factory call, with cycles."""

from kybra import (
    Async,
    CallResult,
    Principal,
    StableBTreeMap,
    Vec,
    blob,
    ic,
    init,
    nat,
    nat64,
    text,
    update,
    void,
)

from src.common.factory_api import (
    FactoryUnitResult,
    MerchantMetricsReport,
    OneClickReserveArgs,
    OneClickReserveResult,
    OneClickSettlement,
    PaymentFactory,
    SettlementBatchResult,
)
from src.common.merchant_api import MerchantInitArgs

probe_state = StableBTreeMap[text, Principal](memory_id=0, max_key_size=20, max_value_size=100)


@init
def init_probe(args: MerchantInitArgs) -> void:
    probe_state.insert("factory", args["factory"])


def factory() -> PaymentFactory:
    return PaymentFactory(probe_state.get("factory"))


def unwrap(result) -> dict:
    if result.Err is not None:
        return {"Err": "call_failed: " + result.Err}
    return result.Ok


@update
def probe_report(report: MerchantMetricsReport) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().report_merchant_metrics(report)
    return unwrap(result)


@update
def probe_template_usage(template_id: text) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().update_template_usage(template_id)
    return unwrap(result)


@update
def probe_component_usage(component_id: text, canister_id: Principal) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().track_component_usage(component_id, canister_id)
    return unwrap(result)


@update
def probe_register_one_click(canister_id: Principal) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().register_merchant_for_one_click(canister_id)
    return unwrap(result)


@update
def probe_one_click_payment(customer: Principal, amount: nat64) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().record_cross_merchant_payment(customer, amount)
    return unwrap(result)


@update
def probe_reserve_one_click(args: OneClickReserveArgs) -> Async[OneClickReserveResult]:
    result: CallResult[OneClickReserveResult] = yield factory().reserve_one_click_spend(args)
    return unwrap(result)


@update
def probe_settle_one_click(settlements: Vec[OneClickSettlement]) -> Async[SettlementBatchResult]:
    result: CallResult[SettlementBatchResult] = yield factory().settle_one_click_reservations(settlements)
    return unwrap(result)


@update
def probe_suspicious(principal: Principal, reason: text) -> Async[FactoryUnitResult]:
    result: CallResult[FactoryUnitResult] = yield factory().report_suspicious_principal(principal, reason)
    return unwrap(result)


@update
def probe_call(method: text, arg: text, cycles: nat) -> Async[text]:
    """Calls the factory's `method` with the Candid text `arg` and `cycles` attached;
    the reply as Candid text, or `reject: <message>`."""
    result: CallResult[blob] = yield ic.call_raw128(probe_state.get("factory"), method, ic.candid_encode(arg), cycles)
    if result.Err is not None:
        return "reject: " + result.Err
    return ic.candid_decode(result.Ok)


@update
def probe_call_canister(canister: Principal, method: text, arg: text) -> Async[text]:
    """Calls `method` of any canister with the Candid text `arg` (a canister that is not
    the factory trying a factory-only merchant method); the reply as Candid text."""
    result: CallResult[blob] = yield ic.call_raw128(canister, method, ic.candid_encode(arg), 0)
    if result.Err is not None:
        return "reject: " + result.Err
    return ic.candid_decode(result.Ok)
