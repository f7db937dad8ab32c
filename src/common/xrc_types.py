"""Exchange Rate Canister (XRC) Candid types and Service, as in dfinity/exchange-rate-canister xrc.did.

The real XRC is uf6dk-hyaaa-aaaaq-qaaaq-cai; callers attach 1B cycles per
get_exchange_rate call (XRC_REQUEST_CYCLES_COST) and get the unused part refunded.
Candid field `class` is spelled `class_` in Kybra source (keyword rule).
"""

from kybra import (
    Opt,
    Record,
    Service,
    Variant,
    nat32,
    nat64,
    null,
    service_update,
    text,
)


class AssetClass(Variant, total=False):
    Cryptocurrency: null
    FiatCurrency: null


class Asset(Record):
    symbol: text
    class_: AssetClass


class GetExchangeRateRequest(Record):
    base_asset: Asset
    quote_asset: Asset
    timestamp: Opt[nat64]


class ExchangeRateMetadata(Record):
    decimals: nat32
    base_asset_num_queried_sources: nat64
    base_asset_num_received_rates: nat64
    quote_asset_num_queried_sources: nat64
    quote_asset_num_received_rates: nat64
    standard_deviation: nat64
    forex_timestamp: Opt[nat64]


class ExchangeRate(Record):
    base_asset: Asset
    quote_asset: Asset
    timestamp: nat64
    rate: nat64
    metadata: ExchangeRateMetadata


class XrcOtherError(Record):
    code: nat32
    description: text


class ExchangeRateError(Variant, total=False):
    AnonymousPrincipalNotAllowed: null
    Pending: null
    CryptoBaseAssetNotFound: null
    CryptoQuoteAssetNotFound: null
    StablecoinRateNotFound: null
    StablecoinRateTooFewRates: null
    StablecoinRateZeroRate: null
    ForexInvalidTimestamp: null
    ForexBaseAssetNotFound: null
    ForexQuoteAssetNotFound: null
    ForexAssetsNotFound: null
    RateLimited: null
    NotEnoughCycles: null
    FailedToAcceptCycles: null
    InconsistentRatesReceived: null
    Other: XrcOtherError


class GetExchangeRateResult(Variant, total=False):
    Ok: ExchangeRate
    Err: ExchangeRateError


class ExchangeRateCanister(Service):
    @service_update
    def get_exchange_rate(self, args: GetExchangeRateRequest) -> GetExchangeRateResult: ...
