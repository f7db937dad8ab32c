"""ICRC-21 consent messages of the merchant canister, asked for through ic-py over HTTP on
localnet as a signer wallet would (anonymously and as the customer): the call's arguments
are Candid-encoded, the canister reads them and describes the call in the asked language
(English otherwise), as Markdown or as fields; other methods and unreadable arguments get
the standard's errors. The interface is checked against spec/icrc/ICRC-21/ICRC-21.did."""

from __future__ import annotations

import os

from ic.candid import Types, encode
from merchant_client import PRICE, SYMBOL, one, plain

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC_DID = "/work/shared/spec/icrc/ICRC-21/ICRC-21.did"
MERCHANT_DID = os.path.join(ROOT, "candid", "user_payment_canister.did")


def request(method: str, arg: bytes, language: str = "en", device=None) -> dict:
    return {
        "method": method,
        "arg": arg,
        "user_preferences": {
            "metadata": {"language": language, "utc_offset_minutes": []},
            "device_spec": [] if device is None else [{device: None}],
        },
    }


def consent(party, method: str, arg: bytes, language: str = "en", device=None) -> dict:
    return one(party.merchant.icrc21_canister_call_consent_message(request(method, arg, language, device)))


def text_arg(*values: str) -> bytes:
    return encode([{"type": Types.Text, "value": v} for v in values])


def test_interface_matches_the_standard():
    from localnet.candid.did import parse_did
    from localnet.candid.subtype import is_subtype

    if not os.path.exists(SPEC_DID):
        import pytest

        pytest.skip("the ICRC-21 spec is not in ../shared/spec")
    spec = parse_did(open(SPEC_DID, encoding="utf-8").read())
    ours = parse_did(open(MERCHANT_DID, encoding="utf-8").read())
    assert is_subtype(ours.service, ours.env, spec.service, spec.env)


def test_supported_standards(shop):
    names = [s["name"] for s in one(shop.anon.merchant.icrc10_supported_standards())]
    assert names == ["ICRC-10", "ICRC-21"]


def test_pay_session_message_in_english_and_german(shop):
    session = shop.create_session()
    sid = session["session_id"]
    res = consent(shop.anon, "pay_checkout_session", text_arg(sid))  # anonymous: cold signers
    msg = res["Ok"]["consent_message"]["GenericDisplayMessage"]
    assert res["Ok"]["metadata"]["language"] == "en"
    assert msg.startswith(
        "## Pay Test Shop\n\nYou pay **0.05 LTT** to **Test Shop** for checkout session `" + sid + "`."
    )
    assert "the ledger fee of 0.0001 LTT is charged on top" in msg
    de = consent(shop.alice, "pay_checkout_session", text_arg(sid), "de-CH")["Ok"]
    assert de["metadata"]["language"] == "de"
    assert de["consent_message"]["GenericDisplayMessage"].startswith("## Test Shop bezahlen\n\nSie zahlen **0.05 LTT**")
    # a language we do not have: English
    assert consent(shop.alice, "pay_checkout_session", text_arg(sid), "ja-JP")["Ok"]["metadata"]["language"] == "en"


def test_fields_display_for_small_screens(shop):
    session = shop.create_session()
    sid = session["session_id"]
    res = consent(shop.alice, "pay_checkout_session_with_token", text_arg(sid, SYMBOL), "fr", "FieldsDisplay")
    fields = res["Ok"]["consent_message"]["FieldsDisplayMessage"]
    assert fields["intent"] == "Payer Test Shop"
    assert [f[0] for f in fields["fields"]] == ["Marchand", "Montant", "Frais du registre", "Session de paiement"]
    assert fields["fields"][1][1] == {"TokenAmount": {"decimals": 8, "amount": PRICE, "symbol": SYMBOL}}
    assert fields["fields"][3][1] == {"Text": {"content": sid}}


def test_pre_authorization_messages(shop):
    alice = shop.alice.identity.sender()
    seed_shape = encode(
        [
            {"type": Types.Principal, "value": alice.to_str()},
            {"type": Types.Nat64, "value": 2_000_000},
            {"type": Types.Text, "value": SYMBOL},
            {"type": Types.Nat64, "value": 7 * 86_400},
        ]
    )
    msg = consent(shop.alice, "create_pre_authorization", seed_shape)["Ok"]["consent_message"]["GenericDisplayMessage"]
    assert msg == (
        "## Allow Test Shop to charge you later\n\n**Test Shop** may charge your account up to "
        "**0.02 LTT** per payment, at most 10 times, for the next 7 days, using the ICRC-2 approval "
        "you gave its canister. You can revoke this at any time."
    )
    record = Types.Record(
        {
            "customer": Types.Principal,
            "max_amount": Types.Nat64,
            "token": Types.Text,
            "duration": Types.Nat64,
            "uses": Types.Nat32,
            "metadata": Types.Vec(Types.Record({"key": Types.Text, "value": Types.Text})),
        }
    )
    options = encode(
        [
            {
                "type": record,
                "value": {
                    "customer": alice.to_str(),
                    "max_amount": 150_000_000,
                    "token": SYMBOL,
                    "duration": 7_200,
                    "uses": 3,
                    "metadata": [{"key": "plan", "value": 'a "quoted" value'}],
                },
            }
        ]
    )
    fields = consent(shop.alice, "create_pre_authorization_with_options", options, "es", "FieldsDisplay")["Ok"]
    shown = fields["consent_message"]["FieldsDisplayMessage"]
    assert shown["intent"] == "Permitir que Test Shop te cobre más tarde"
    assert shown["fields"][1][1] == {"TokenAmount": {"decimals": 8, "amount": 150_000_000, "symbol": SYMBOL}}
    assert shown["fields"][2][1] == {"Text": {"content": "3"}}
    assert shown["fields"][3][1] == {"DurationSeconds": {"amount": 7_200}}
    revoke = consent(shop.alice, "revoke_authorization", text_arg("pa_0123456789abcdef01234567"))["Ok"]
    assert "can no longer charge your account" in revoke["consent_message"]["GenericDisplayMessage"]


def test_the_standards_errors(shop):
    session = shop.create_session()
    sid = session["session_id"]
    # not a customer-facing method: unsupported for customers, unavailable for the merchant's staff
    assert "UnsupportedCanisterCall" in consent(shop.alice, "refund_payment", text_arg("x"))["Err"]
    assert "UnsupportedCanisterCall" in consent(shop.anon, "no_such_method", b"")["Err"]
    assert "ConsentMessageUnavailable" in consent(shop.owner, "refund_payment", text_arg("x"))["Err"]
    # arguments that are not Candid, of the wrong shape, or name nothing payable
    for method, arg in [
        ("pay_checkout_session", b"not candid"),
        ("pay_checkout_session", encode([{"type": Types.Nat, "value": 5}])),
        ("pay_checkout_session", text_arg(sid, "extra")),
        ("pay_checkout_session", text_arg("cs_nope_" + "0" * 32)),
        ("pay_checkout_session", text_arg("not an id")),
        ("pay_checkout_session_with_token", text_arg(sid, "NOPE")),
        ("revoke_authorization", text_arg("cs_wrong_kind")),
        ("pay_checkout_session", b"DIDL" + bytes(5000)),
    ]:
        err = consent(shop.alice, method, arg)["Err"]
        assert "UnsupportedCanisterCall" in err, (method, arg[:20], err)
    # a paid session can no longer be paid: the message would be wrong
    shop.pay_icrc2(shop.alice, session)
    assert "UnsupportedCanisterCall" in consent(shop.alice, "pay_checkout_session", text_arg(sid))["Err"]


def test_the_consent_call_changes_nothing(shop):
    session = shop.create_session()
    before = shop.session(session["session_id"])
    consent(shop.alice, "pay_checkout_session", text_arg(session["session_id"]))
    assert plain(shop.session(session["session_id"])) == plain(before)


LIMIT = Types.Record({"max_per_transaction": Types.Nat64, "period_seconds": Types.Nat64, "max_per_period": Types.Nat64})
LIMIT_ENTRY = Types.Record({"key": Types.Text, "value": LIMIT})


def limits_arg(who: str, limits: list) -> bytes:
    return encode([{"type": Types.Principal, "value": who}, {"type": Types.Vec(LIMIT_ENTRY), "value": limits}])


def test_spending_limits_message(shop):
    alice = shop.alice.identity.sender().to_str()
    limits = [
        {
            "key": SYMBOL,
            "value": {"max_per_transaction": 5_000_000, "period_seconds": 7 * 86_400, "max_per_period": 20_000_000},
        }
    ]
    msg = consent(shop.alice, "update_merchant_spending_limits", limits_arg(alice, limits))
    assert msg["Ok"]["consent_message"]["GenericDisplayMessage"] == (
        "## Set your spending limits at Test Shop\n\nThe spending limits of account `"
        + alice
        + "` for charges by **Test Shop** become:\n\n- **LTT**: at most 0.05 LTT per payment and 0.2 LTT per 7 days"
    )
    shown = consent(shop.alice, "update_merchant_spending_limits", limits_arg(alice, limits), "de", "FieldsDisplay")[
        "Ok"
    ]["consent_message"]["FieldsDisplayMessage"]
    assert shown["intent"] == "Ausgabelimits bei Test Shop festlegen"
    assert [f[0] for f in shown["fields"]] == [
        "Händler",
        "Konto",
        "LTT pro Zahlung",
        "LTT pro Zeitraum",
        "LTT Zeitraum",
    ]
    assert shown["fields"][3][1] == {"TokenAmount": {"decimals": 8, "amount": 20_000_000, "symbol": SYMBOL}}
    assert shown["fields"][4][1] == {"DurationSeconds": {"amount": 7 * 86_400}}
    cleared = consent(shop.alice, "update_merchant_spending_limits", limits_arg(alice, []), "fr")["Ok"]
    assert "Tous les plafonds du compte `" + alice + "`" in cleared["consent_message"]["GenericDisplayMessage"]
    # unknown tokens and wrong shapes: the standard's error, never a guessed message
    unknown = [{"key": "NOPE", "value": limits[0]["value"]}]
    assert (
        "UnsupportedCanisterCall"
        in consent(shop.alice, "update_merchant_spending_limits", limits_arg(alice, unknown))["Err"]
    )
    assert "UnsupportedCanisterCall" in consent(shop.alice, "update_merchant_spending_limits", text_arg(alice))["Err"]


def test_authenticator_and_verification_messages_never_echo_secrets(shop):
    secret = "JBSWY3DPEHPK3PXP"
    reg = consent(shop.alice, "register_totp_secret", text_arg(secret), "es")["Ok"]["consent_message"][
        "GenericDisplayMessage"
    ]
    assert reg.startswith("## Registrar una app de autenticación\n\n") and secret not in reg
    removed = consent(shop.alice, "remove_totp_secret", encode([]))["Ok"]["consent_message"]["GenericDisplayMessage"]
    assert removed == (
        "## Remove your authenticator app\n\nThe authenticator app of your account at **Test Shop** "
        "is removed: its codes no longer confirm payments there."
    )
    verify = consent(shop.alice, "verify_transaction", text_arg("tv_0123456789abcdef01234567", "482913"))["Ok"]
    text = verify["consent_message"]["GenericDisplayMessage"]
    assert "`tv_0123456789abcdef01234567`" in text and "482913" not in text
    assert "UnsupportedCanisterCall" in consent(shop.alice, "remove_totp_secret", text_arg("x"))["Err"]
    assert "UnsupportedCanisterCall" in consent(shop.alice, "verify_transaction", text_arg("only one"))["Err"]
