"""Test-only Kybra canister: calls the Exchange Rate Canister with cycles attached, as a
real client canister must (ingress messages cannot carry cycles), and reports the reply
with the cycles refunded to it."""

from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    ic,
    nat64,
    text,
    update,
)

from src.common.xrc_types import (
    ExchangeRateCanister,
    GetExchangeRateRequest,
    GetExchangeRateResult,
)


class FetchedRate(Record):
    result: Opt[GetExchangeRateResult]
    call_error: Opt[text]
    cycles_refunded: nat64


@update
def fetch_rate(xrc: Principal, request: GetExchangeRateRequest, cycles: nat64) -> Async[FetchedRate]:
    """One get_exchange_rate call to `xrc` paying `cycles`."""
    call: CallResult[GetExchangeRateResult] = (
        yield ExchangeRateCanister(xrc).get_exchange_rate(request).with_cycles(cycles)
    )
    refunded = ic.msg_cycles_refunded()
    if call.Err is not None:
        return {"result": None, "call_error": call.Err, "cycles_refunded": refunded}
    return {"result": call.Ok, "call_error": None, "cycles_refunded": refunded}
