"""ICRC-21 consent message and ICRC-10 supported standards Candid types
(spec/icrc/ICRC-21/ICRC-21.did). Candid is structural: the standard's value types carry an
`icrc21_` prefix here so they never clash with the canister's own (e.g. its TokenAmount)."""

from kybra import Opt, Record, Tuple, Variant, Vec, blob, int16, nat, nat8, nat64, null, text


class icrc21_consent_message_metadata(Record):
    language: text
    utc_offset_minutes: Opt[int16]


class icrc21_device_spec(Variant, total=False):
    GenericDisplay: null
    FieldsDisplay: null


class icrc21_consent_message_spec(Record):
    metadata: icrc21_consent_message_metadata
    device_spec: Opt[icrc21_device_spec]


class icrc21_consent_message_request(Record):
    method: text
    arg: blob
    user_preferences: icrc21_consent_message_spec


class icrc21_token_amount(Record):
    decimals: nat8
    amount: nat64
    symbol: text


class icrc21_timestamp_seconds(Record):
    amount: nat64


class icrc21_duration_seconds(Record):
    amount: nat64


class icrc21_text_value(Record):
    content: text


class icrc21_value(Variant, total=False):
    TokenAmount: icrc21_token_amount
    TimestampSeconds: icrc21_timestamp_seconds
    DurationSeconds: icrc21_duration_seconds
    Text: icrc21_text_value


class icrc21_fields_display(Record):
    intent: text
    fields: Vec[Tuple[text, icrc21_value]]


class icrc21_consent_message(Variant, total=False):
    GenericDisplayMessage: text
    FieldsDisplayMessage: icrc21_fields_display


class icrc21_consent_info(Record):
    consent_message: icrc21_consent_message
    metadata: icrc21_consent_message_metadata


class icrc21_error_info(Record):
    description: text


class icrc21_generic_error(Record):
    error_code: nat
    description: text


class icrc21_error(Variant, total=False):
    UnsupportedCanisterCall: icrc21_error_info
    ConsentMessageUnavailable: icrc21_error_info
    InsufficientPayment: icrc21_error_info
    GenericError: icrc21_generic_error


class icrc21_consent_message_response(Variant, total=False):
    Ok: icrc21_consent_info
    Err: icrc21_error


class icrc10_standard(Record):
    name: text
    url: text
