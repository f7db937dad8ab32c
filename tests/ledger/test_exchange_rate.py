"""The local Exchange Rate Canister over ic-py on localnet: admin-set rates from the
fixture feed, the real XRC's cycle rules (1B attached, 20M kept on success, 1M on a
failed lookup, the rest refunded), minute timestamps, cross rates via USD, error variants.
Cycles can only come from a canister, so rate lookups go through tests/ledger/xrc_caller."""

from __future__ import annotations

import os

import pytest
from ic.identity import Identity
from ledger_client import ROOT, XRC_DID, XRC_ENTRY, unwrap
from xrc_fixture import CRYPTO, FEED_TIMESTAMP, FIAT, ONE, asset, feed_rates, scaled, usd_rate

CALLER_ENTRY = os.path.join(ROOT, "tests", "ledger", "xrc_caller", "main.py")
REQUEST_CYCLES = 1_000_000_000
BASE_FEE = 20_000_000
MINIMUM_FEE = 1_000_000


@pytest.fixture
def xrc(server, new_identity, deploy, actor, tmp_path):
    from localnet.kybra_source.bundle import SourceBundle
    from localnet.kybra_source.did import generate_did

    admin = new_identity()
    xrc_id = deploy(server, XRC_ENTRY, f'(opt vec {{ principal "{admin.sender().to_str()}" }})')
    admin_actor = actor(server, xrc_id, admin, XRC_DID)
    assert unwrap(admin_actor.set_rates(feed_rates())) == {"Ok": len(feed_rates())}
    caller_did = tmp_path / "xrc_caller.did"
    caller_did.write_text(generate_did(SourceBundle.from_entry(CALLER_ENTRY, ROOT)))
    caller_id = deploy(server, CALLER_ENTRY, "()", cycles=10**14)
    caller = actor(server, caller_id, new_identity(), str(caller_did))

    class Xrc:
        id = xrc_id
        admin_client = admin_actor
        stranger = actor(server, xrc_id, new_identity(), XRC_DID)

        @staticmethod
        def fetch(base, quote, timestamp=None, cycles=REQUEST_CYCLES):
            request = {"base_asset": base, "quote_asset": quote, "timestamp": [] if timestamp is None else [timestamp]}
            out = unwrap(caller.fetch_rate(xrc_id, request, cycles))
            assert out["call_error"] == [], out
            return out["result"][0], out["cycles_refunded"]

    return Xrc


ICP, BTC, USD = asset("ICP", CRYPTO), asset("BTC", CRYPTO), asset("USD", FIAT)
EUR, CHF = asset("EUR", FIAT), asset("CHF", FIAT)


def test_direct_rate_with_metadata_and_refund(xrc):
    res, refunded = xrc.fetch(ICP, USD, FEED_TIMESTAMP)
    rate = res["Ok"]
    assert rate["rate"] == usd_rate("ICP") == scaled("7.5")
    assert rate["timestamp"] == FEED_TIMESTAMP
    assert rate["metadata"]["decimals"] == 9
    assert rate["base_asset"]["symbol"] == "ICP" and "Cryptocurrency" in rate["base_asset"]["class"]
    assert refunded == REQUEST_CYCLES - BASE_FEE


def test_timestamp_is_rounded_to_the_minute(xrc):
    res, _ = xrc.fetch(ICP, USD, FEED_TIMESTAMP + 59)
    assert res["Ok"]["timestamp"] == FEED_TIMESTAMP and res["Ok"]["rate"] == scaled("7.5")


def test_cross_and_inverse_rates_via_usd(xrc):
    res, _ = xrc.fetch(ICP, BTC, FEED_TIMESTAMP)
    assert res["Ok"]["rate"] == scaled("7.5") * ONE // scaled("65000")
    res, _ = xrc.fetch(EUR, CHF, FEED_TIMESTAMP)
    assert res["Ok"]["rate"] == scaled("1.08") * ONE // scaled("1.13")
    assert res["Ok"]["metadata"]["forex_timestamp"] == [FEED_TIMESTAMP]
    res, _ = xrc.fetch(USD, EUR, FEED_TIMESTAMP)
    assert res["Ok"]["rate"] == ONE * ONE // scaled("1.08")


def test_latest_rate_without_timestamp(xrc):
    later = FEED_TIMESTAMP + 3600
    assert unwrap(xrc.admin_client.set_rates(feed_rates(later, 1100))) == {"Ok": len(feed_rates())}
    res, _ = xrc.fetch(ICP, USD)
    assert res["Ok"]["rate"] == scaled("7.5") * 1100 // 1000 and res["Ok"]["timestamp"] == later
    res, _ = xrc.fetch(ICP, USD, FEED_TIMESTAMP)
    assert res["Ok"]["rate"] == scaled("7.5")


@pytest.mark.parametrize(
    "base,quote,timestamp,error",
    [
        (asset("DOGE", CRYPTO), USD, FEED_TIMESTAMP, "CryptoBaseAssetNotFound"),
        (ICP, asset("DOGE", CRYPTO), FEED_TIMESTAMP, "CryptoQuoteAssetNotFound"),
        (asset("XYZ", FIAT), USD, FEED_TIMESTAMP, "ForexBaseAssetNotFound"),
        (EUR, asset("XYZ", FIAT), FEED_TIMESTAMP, "ForexQuoteAssetNotFound"),
        (asset("XYZ", FIAT), asset("QQQ", FIAT), FEED_TIMESTAMP, "ForexAssetsNotFound"),
        (ICP, USD, FEED_TIMESTAMP - 600, "CryptoBaseAssetNotFound"),  # nothing at that minute
    ],
)
def test_missing_rates_charge_the_minimum_fee(xrc, base, quote, timestamp, error):
    res, refunded = xrc.fetch(base, quote, timestamp)
    assert res == {"Err": {error: None}}
    assert refunded == REQUEST_CYCLES - MINIMUM_FEE


def test_not_enough_cycles_refunds_everything(xrc):
    res, refunded = xrc.fetch(ICP, USD, FEED_TIMESTAMP, cycles=REQUEST_CYCLES - 1)
    assert res == {"Err": {"NotEnoughCycles": None}}
    assert refunded == REQUEST_CYCLES - 1


def test_ingress_callers_cannot_pay(xrc, server, actor):
    request = {"base_asset": ICP, "quote_asset": USD, "timestamp": [FEED_TIMESTAMP]}
    assert unwrap(xrc.stranger.get_exchange_rate(request)) == {"Err": {"NotEnoughCycles": None}}
    anonymous = actor(server, xrc.id, Identity(anonymous=True), XRC_DID)
    assert unwrap(anonymous.get_exchange_rate(request)) == {"Err": {"AnonymousPrincipalNotAllowed": None}}


def test_only_admins_set_rates(xrc):
    res = unwrap(xrc.stranger.set_rates(feed_rates()))
    assert "Err" in res and res["Err"].startswith("forbidden")
    bad = feed_rates()
    bad[0]["rate"] = 0
    res = unwrap(xrc.admin_client.set_rates(bad))
    assert "Err" in res and res["Err"].startswith("invalid_argument")
    bad = feed_rates()
    bad[0]["base_asset"] = asset("", CRYPTO)
    assert unwrap(xrc.admin_client.set_rates(bad))["Err"].startswith("invalid_argument")
