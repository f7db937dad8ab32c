"""The committed .did of the ledger and the XRC: generated from the Kybra source, and
compatible with the standards. Parsed with the real Candid parser (`_ic_candid_core`,
the Rust candid crate), every method of ICRC-1/2/3.did must be present with the same
mode and structurally equal argument and result types (type names may differ)."""

from __future__ import annotations

import json
import os

import _ic_candid_core
import pytest
from ledger_client import LEDGER_DID, LEDGER_ENTRY, ROOT, XRC_DID, XRC_ENTRY

SPEC = os.path.join(ROOT, "tests", "spec_dids")
STANDARDS = [os.path.join(SPEC, f"{n}.did") for n in ("ICRC-1", "ICRC-2", "ICRC-3")]

# The real XRC interface (dfinity/exchange-rate-canister src/xrc/xrc.did), written out here.
XRC_STANDARD = """
type AssetClass = variant { Cryptocurrency; FiatCurrency };
type Asset = record { symbol : text; class : AssetClass };
type GetExchangeRateRequest = record { base_asset : Asset; quote_asset : Asset; timestamp : opt nat64 };
type ExchangeRateMetadata = record {
  decimals : nat32; base_asset_num_received_rates : nat64; base_asset_num_queried_sources : nat64;
  quote_asset_num_received_rates : nat64; quote_asset_num_queried_sources : nat64;
  standard_deviation : nat64; forex_timestamp : opt nat64 };
type ExchangeRate = record { base_asset : Asset; quote_asset : Asset; timestamp : nat64;
  rate : nat64; metadata : ExchangeRateMetadata };
type ExchangeRateError = variant {
  AnonymousPrincipalNotAllowed; Pending; CryptoBaseAssetNotFound; CryptoQuoteAssetNotFound;
  StablecoinRateNotFound; StablecoinRateTooFewRates; StablecoinRateZeroRate;
  ForexInvalidTimestamp; ForexBaseAssetNotFound; ForexQuoteAssetNotFound; ForexAssetsNotFound;
  RateLimited; NotEnoughCycles; FailedToAcceptCycles; InconsistentRatesReceived;
  Other : record { code : nat32; description : text } };
type GetExchangeRateResult = variant { Ok : ExchangeRate; Err : ExchangeRateError };
service : { get_exchange_rate : (GetExchangeRateRequest) -> (GetExchangeRateResult) }
"""


def parse(text: str) -> dict:
    return json.loads(_ic_candid_core.parse_did(text))


class Structural:
    """Structural equality of two parsed .did types, resolving names (recursion-safe)."""

    def __init__(self, left: dict, right: dict):
        self.envs = ({e["name"]: e["datatype"] for e in left["env"]}, {e["name"]: e["datatype"] for e in right["env"]})
        self.assumed: set = set()

    def resolve(self, side: int, t: dict) -> dict:
        seen = set()
        while t["type"] == "Id":
            assert t["value"] not in seen, f"cyclic alias {t['value']}"
            seen.add(t["value"])
            t = self.envs[side][t["value"]]
        return t

    def equal(self, a: dict, b: dict) -> bool:
        key = (json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True))
        if key in self.assumed:
            return True
        self.assumed.add(key)
        ra, rb = self.resolve(0, a), self.resolve(1, b)
        if ra["type"] != rb["type"]:
            return False
        kind = ra["type"]
        if kind in ("Prim", "Principal"):
            return ra["value"] == rb["value"]
        if kind in ("Opt", "Vec"):
            return self.equal(ra["value"], rb["value"])
        if kind in ("Record", "Variant"):
            fa, fb = dict(ra["value"]), dict(rb["value"])
            return fa.keys() == fb.keys() and all(self.equal(fa[k], fb[k]) for k in fa)
        if kind == "Func":
            return self.func_equal(ra["value"], rb["value"])
        return ra == rb

    def func_equal(self, fa: dict, fb: dict) -> bool:
        return (
            fa["modes"] == fb["modes"]
            and len(fa["args"]) == len(fb["args"])
            and len(fa["rets"]) == len(fb["rets"])
            and all(self.equal(x, y) for x, y in zip(fa["args"], fb["args"]))
            and all(self.equal(x, y) for x, y in zip(fa["rets"], fb["rets"]))
        )


def methods(parsed: dict) -> dict:
    return {m["name"]: m for m in parsed["actor"]["methods"]}


def assert_implements(ours: dict, standard: dict, label: str) -> None:
    have = methods(ours)
    for name, want in methods(standard).items():
        assert name in have, f"{label}: method {name} missing"
        cmp = Structural(ours, standard)
        assert cmp.func_equal(have[name], want), f"{label}: {name} differs from the standard"


def generated(entry: str) -> str:
    from localnet.kybra_source.bundle import SourceBundle
    from localnet.kybra_source.did import generate_did

    return generate_did(SourceBundle.from_entry(entry, ROOT))


@pytest.mark.parametrize("entry,did_path", [(LEDGER_ENTRY, LEDGER_DID), (XRC_ENTRY, XRC_DID)])
def test_committed_did_is_generated_from_source(entry, did_path):
    with open(did_path) as f:
        committed = f.read()
    assert committed == generated(entry), f"{did_path} is stale: regenerate it from {entry}"


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda p: os.path.basename(p))
def test_ledger_implements_standard(standard):
    with open(LEDGER_DID) as f:
        ours = parse(f.read())
    with open(standard) as f:
        assert_implements(ours, parse(f.read()), os.path.basename(standard))


def test_exchange_rate_implements_xrc_interface():
    with open(XRC_DID) as f:
        assert_implements(parse(f.read()), parse(XRC_STANDARD), "xrc")


def test_structural_comparison_catches_differences():
    """The comparison itself must reject a changed field type, name or mode."""
    with open(STANDARDS[1]) as f:
        standard_text = f.read()
    standard = parse(standard_text)
    for old, new in [
        ("amount : nat;\n    expected_allowance", "amount : int;\n    expected_allowance"),
        ("spender_subaccount : opt blob", "spender_sub : opt blob"),
        (
            "(AllowanceArgs) -> (record { allowance : nat; expires_at : opt nat64 }) query",
            "(AllowanceArgs) -> (record { allowance : nat; expires_at : opt nat64 })",
        ),
    ]:
        assert old in standard_text
        changed = parse(standard_text.replace(old, new))
        with pytest.raises(AssertionError):
            assert_implements(changed, standard, "mutated")
