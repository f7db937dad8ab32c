"""ICRC-21 consent messages (spec/icrc/ICRC-21) for the customer-facing updates, so a signer
wallet (OISY, NFID, Plug: ICRC-25/27/29/49) can show the customer what a call does before
signing it: paying a checkout session (`pay_checkout_session`, `..._with_token`), creating a
pre-authorization (`create_pre_authorization`, `..._with_options`) and revoking one
(`revoke_authorization`). Messages come in the caller's language when we have it (the
primary subtag of the BCP-47 tag: en, de, fr, es), else English; as Markdown for a generic
display or as fields for a small one. Other methods get the standard's errors. The message
states only what cannot change before the call runs: a session's price is fixed at creation.
`icrc10_supported_standards` lists ICRC-10 and ICRC-21."""

from kybra import Vec, ic, query, update

from src.common.ids import check_id
from src.common.icrc21_types import icrc10_standard, icrc21_consent_message_request, icrc21_consent_message_response
from src.user_payment_canister.access_control import caller_text, is_staff
from src.user_payment_canister.consent_args import decode_args, record_field
from src.user_payment_canister.merchant_store import merchant_state, sessions_map, tokens_map
from src.user_payment_canister.one_click import DEFAULT_USES

STANDARDS = [
    {"name": "ICRC-10", "url": "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md"},
    {"name": "ICRC-21", "url": "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-21/ICRC-21.md"},
]

# {placeholders} are filled in by `say`; every language has every key.
TEXTS = {
    "en": {
        "pay_intent": "Pay {merchant}",
        "pay_body": "You pay **{amount}** to **{merchant}** for checkout session `{session}`.\n\n"
                    "The merchant's canister takes exactly this amount from your account, using the "
                    "ICRC-2 approval you gave it; the ledger fee of {fee} is charged on top. "
                    "Nothing else is taken.",
        "auth_intent": "Allow {merchant} to charge you later",
        "auth_body": "**{merchant}** may charge your account up to **{max}** per payment, at most "
                     "{uses} times, for the next {duration}, using the ICRC-2 approval you gave its "
                     "canister. You can revoke this at any time.",
        "revoke_intent": "Revoke a pre-authorization",
        "revoke_body": "Pre-authorization `{auth}` is revoked: **{merchant}** can no longer charge "
                       "your account with it.",
        "merchant": "Merchant", "amount": "Amount", "fee": "Ledger fee", "session": "Checkout session",
        "max": "Maximum per payment", "uses": "Payments", "duration": "Valid for", "auth": "Pre-authorization",
        "days": "{n} days", "hours": "{n} hours", "minutes": "{n} minutes",
    },
    "de": {
        "pay_intent": "{merchant} bezahlen",
        "pay_body": "Sie zahlen **{amount}** an **{merchant}** für den Checkout `{session}`.\n\n"
                    "Der Canister des Händlers zieht genau diesen Betrag mit Ihrer ICRC-2-Freigabe von "
                    "Ihrem Konto ein; die Ledger-Gebühr von {fee} kommt hinzu. Sonst wird nichts abgebucht.",
        "auth_intent": "{merchant} spätere Abbuchungen erlauben",
        "auth_body": "**{merchant}** darf Ihr Konto mit Ihrer ICRC-2-Freigabe bis zu **{max}** pro Zahlung "
                     "belasten, höchstens {uses} Mal, in den nächsten {duration}. Sie können das jederzeit "
                     "widerrufen.",
        "revoke_intent": "Vorautorisierung widerrufen",
        "revoke_body": "Die Vorautorisierung `{auth}` wird widerrufen: **{merchant}** kann damit nicht mehr "
                       "von Ihrem Konto abbuchen.",
        "merchant": "Händler", "amount": "Betrag", "fee": "Ledger-Gebühr", "session": "Checkout",
        "max": "Höchstens pro Zahlung", "uses": "Zahlungen", "duration": "Gültig für", "auth": "Vorautorisierung",
        "days": "{n} Tage", "hours": "{n} Stunden", "minutes": "{n} Minuten",
    },
    "fr": {
        "pay_intent": "Payer {merchant}",
        "pay_body": "Vous payez **{amount}** à **{merchant}** pour la session de paiement `{session}`.\n\n"
                    "Le canister du marchand prélève exactement ce montant sur votre compte grâce à "
                    "l'autorisation ICRC-2 que vous lui avez donnée ; les frais du registre ({fee}) "
                    "s'ajoutent. Rien d'autre n'est prélevé.",
        "auth_intent": "Autoriser {merchant} à vous débiter plus tard",
        "auth_body": "**{merchant}** peut débiter votre compte jusqu'à **{max}** par paiement, au plus "
                     "{uses} fois, pendant {duration}, grâce à votre autorisation ICRC-2. Vous pouvez "
                     "révoquer cela à tout moment.",
        "revoke_intent": "Révoquer une pré-autorisation",
        "revoke_body": "La pré-autorisation `{auth}` est révoquée : **{merchant}** ne peut plus débiter "
                       "votre compte avec elle.",
        "merchant": "Marchand", "amount": "Montant", "fee": "Frais du registre", "session": "Session de paiement",
        "max": "Maximum par paiement", "uses": "Paiements", "duration": "Valable", "auth": "Pré-autorisation",
        "days": "{n} jours", "hours": "{n} heures", "minutes": "{n} minutes",
    },
    "es": {
        "pay_intent": "Pagar a {merchant}",
        "pay_body": "Pagas **{amount}** a **{merchant}** por la sesión de pago `{session}`.\n\n"
                    "El canister del comercio cobra exactamente este importe de tu cuenta con la "
                    "aprobación ICRC-2 que le diste; la comisión del ledger ({fee}) se cobra aparte. "
                    "No se cobra nada más.",
        "auth_intent": "Permitir que {merchant} te cobre más tarde",
        "auth_body": "**{merchant}** puede cobrar de tu cuenta hasta **{max}** por pago, como máximo "
                     "{uses} veces, durante {duration}, con tu aprobación ICRC-2. Puedes revocarlo en "
                     "cualquier momento.",
        "revoke_intent": "Revocar una preautorización",
        "revoke_body": "La preautorización `{auth}` queda revocada: **{merchant}** ya no puede cobrar de "
                       "tu cuenta con ella.",
        "merchant": "Comercio", "amount": "Importe", "fee": "Comisión del ledger", "session": "Sesión de pago",
        "max": "Máximo por pago", "uses": "Pagos", "duration": "Válido durante", "auth": "Preautorización",
        "days": "{n} días", "hours": "{n} horas", "minutes": "{n} minutos",
    },
}

PAY_METHODS = ("pay_checkout_session", "pay_checkout_session_with_token")
AUTH_METHODS = ("create_pre_authorization", "create_pre_authorization_with_options")
MAX_METHOD_LEN = 100


def language_of(tag: str) -> str:
    primary = tag.split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary in TEXTS else "en"


def say(lang: str, key: str, values: dict) -> str:
    out = TEXTS[lang][key]
    for name in values:
        out = out.replace("{" + name + "}", values[name])
    return out


def units(amount: int, decimals: int) -> str:
    """Base units as a decimal number without trailing zeros (25000000, 8 -> 0.25)."""
    digits = str(amount).rjust(decimals + 1, "0")
    whole = digits[:len(digits) - decimals]
    frac = digits[len(digits) - decimals:].rstrip("0") if decimals > 0 else ""
    return whole + ("." + frac if frac else "")


def duration_text(lang: str, seconds: int) -> str:
    if seconds >= 86_400 and seconds % 86_400 == 0:
        return say(lang, "days", {"n": str(seconds // 86_400)})
    if seconds >= 3_600 and seconds % 3_600 == 0:
        return say(lang, "hours", {"n": str(seconds // 3_600)})
    return say(lang, "minutes", {"n": str((seconds + 59) // 60)})


def unsupported(description: str) -> dict:
    return {"Err": {"UnsupportedCanisterCall": {"description": description}}}


def token_amount(amount: int, token: dict) -> dict:
    return {"TokenAmount": {"decimals": token["decimals"], "amount": amount, "symbol": token["symbol"]}}


def text_value(content: str) -> dict:
    return {"Text": {"content": content}}


def is_text(value) -> bool:
    return isinstance(value, str)


def is_nat(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64


def pay_message(lang: str, merchant: str, args: list, with_token: bool) -> "tuple":
    """(markdown, intent, fields, None) or (None, None, None, error) for a session payment."""
    count = 2 if with_token else 1
    if len(args) != count or not all(is_text(a) for a in args):
        return (None, None, None, "the argument must be " + ("(text, text)" if with_token else "(text)"))
    session_id = args[0]
    if check_id("session_id", session_id, "cs") is not None:
        return (None, None, None, "the session id is malformed")
    session = sessions_map.get(session_id)
    if session is None:
        return (None, None, None, "no checkout session " + session_id)
    if "open" not in session["status"] or ic.time() >= session["expires_at"]:
        return (None, None, None, "checkout session " + session_id + " can no longer be paid")
    symbol, amount = session["currency_token"], session["amount"]
    if with_token and args[1] != symbol:
        option = None
        for o in session["price_options"] or []:
            if o["token"] == args[1]:
                option = o
        if option is None:
            return (None, None, None, "checkout session " + session_id + " has no price in " + args[1])
        symbol, amount = option["token"], option["amount"]
    token = tokens_map.get(symbol)
    if token is None:
        return (None, None, None, "the merchant does not accept " + symbol)
    values = {"merchant": merchant, "session": session_id,
              "amount": units(amount, token["decimals"]) + " " + symbol,
              "fee": units(token["fee"], token["decimals"]) + " " + symbol}
    fields = [
        (say(lang, "merchant", {}), text_value(merchant)),
        (say(lang, "amount", {}), token_amount(amount, token)),
        (say(lang, "fee", {}), token_amount(token["fee"], token)),
        (say(lang, "session", {}), text_value(session_id)),
    ]
    intent = say(lang, "pay_intent", values)
    return ("## " + intent + "\n\n" + say(lang, "pay_body", values), intent, fields, None)


def auth_message(lang: str, merchant: str, args: list, with_options: bool) -> "tuple":
    """The consent message of a pre-authorization for the customer it names."""
    if with_options:
        if len(args) != 1:
            return (None, None, None, "the argument must be (PreAuthorizationArgs)")
        record = args[0]
        parts = [record_field(record, "max_amount"), record_field(record, "token"),
                 record_field(record, "duration"), record_field(record, "uses")]
    else:
        if len(args) != 4:
            return (None, None, None, "the argument must be (principal, nat64, text, nat64)")
        parts = [args[1], args[2], args[3], DEFAULT_USES]
    max_amount, symbol, duration, uses = parts
    if not (is_nat(max_amount) and is_text(symbol) and is_nat(duration) and is_nat(uses)):
        return (None, None, None, "the pre-authorization arguments cannot be read")
    token = tokens_map.get(symbol)
    if token is None or not token["enabled"]:
        return (None, None, None, "the merchant does not accept " + symbol)
    values = {"merchant": merchant, "max": units(max_amount, token["decimals"]) + " " + symbol,
              "uses": str(uses), "duration": duration_text(lang, duration)}
    fields = [
        (say(lang, "merchant", {}), text_value(merchant)),
        (say(lang, "max", {}), token_amount(max_amount, token)),
        (say(lang, "uses", {}), text_value(str(uses))),
        (say(lang, "duration", {}), {"DurationSeconds": {"amount": duration}}),
    ]
    intent = say(lang, "auth_intent", values)
    return ("## " + intent + "\n\n" + say(lang, "auth_body", values), intent, fields, None)


def revoke_message(lang: str, merchant: str, args: list) -> "tuple":
    if len(args) != 1 or not is_text(args[0]) or check_id("auth_id", args[0], "pa") is not None:
        return (None, None, None, "the argument must be (text) holding a pre-authorization id")
    values = {"merchant": merchant, "auth": args[0]}
    fields = [(say(lang, "merchant", {}), text_value(merchant)), (say(lang, "auth", {}), text_value(args[0]))]
    intent = say(lang, "revoke_intent", values)
    return ("## " + intent + "\n\n" + say(lang, "revoke_body", values), intent, fields, None)


@update
def icrc21_canister_call_consent_message(request: icrc21_consent_message_request) -> icrc21_consent_message_response:
    """Public (ICRC-21 forbids requiring authentication); changes no state."""
    method = request["method"]
    if len(method) > MAX_METHOD_LEN:
        return unsupported("the method name is too long")
    if method not in PAY_METHODS and method not in AUTH_METHODS and method != "revoke_authorization":
        if is_staff(caller_text()):
            return {"Err": {"ConsentMessageUnavailable": {"description": method + " is a merchant method; no consent message is provided for it"}}}
        return unsupported(method + " is not a customer-facing method of this canister")
    args = decode_args(request["arg"])
    if args is None:
        return unsupported("the argument is not a Candid message for " + method)
    prefs = request["user_preferences"]
    lang = language_of(prefs["metadata"]["language"])
    merchant = merchant_state()["name"]
    if method in PAY_METHODS:
        markdown, intent, fields, err = pay_message(lang, merchant, args, method == PAY_METHODS[1])
    elif method in AUTH_METHODS:
        markdown, intent, fields, err = auth_message(lang, merchant, args, method == AUTH_METHODS[1])
    else:
        markdown, intent, fields, err = revoke_message(lang, merchant, args)
    if err is not None:
        return unsupported(err)
    device = prefs["device_spec"]
    if device is not None and "FieldsDisplay" in device:
        message = {"FieldsDisplayMessage": {"intent": intent, "fields": fields}}
    else:
        message = {"GenericDisplayMessage": markdown}
    return {"Ok": {"consent_message": message, "metadata": {"language": lang, "utc_offset_minutes": None}}}


@query
def icrc10_supported_standards() -> Vec[icrc10_standard]:
    return STANDARDS
