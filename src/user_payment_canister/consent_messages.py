"""ICRC-21 consent messages (spec/icrc/ICRC-21) for the customer-facing updates, so a signer
wallet (OISY, NFID, Plug: ICRC-25/27/29/49) can show the customer what a call does before
signing it: paying a checkout session (`pay_checkout_session`, `..._with_token`), creating a
pre-authorization (`create_pre_authorization`, `..._with_options`) and revoking one
(`revoke_authorization`), setting one's spending limits for pre-authorized charges
(`update_merchant_spending_limits`), registering or removing an authenticator app
(`register_totp_secret`, `remove_totp_secret`; the secret is never echoed) and confirming a
transaction verification (`verify_transaction`; the code is never echoed). Messages come in the caller's language when we have it (the
primary subtag of the BCP-47 tag: en, de, fr, es), else English; as Markdown for a generic
display or as fields for a small one. Other methods get the standard's errors. The message
states only what cannot change before the call runs: a session's price is fixed at creation.
`icrc10_supported_standards` lists ICRC-10 and ICRC-21."""

from kybra import Vec, ic, query, update

from src.common.icrc21_types import icrc10_standard, icrc21_consent_message_request, icrc21_consent_message_response
from src.common.ids import check_id
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
        "merchant": "Merchant",
        "amount": "Amount",
        "fee": "Ledger fee",
        "session": "Checkout session",
        "max": "Maximum per payment",
        "uses": "Payments",
        "duration": "Valid for",
        "auth": "Pre-authorization",
        "limits_intent": "Set your spending limits at {merchant}",
        "limits_body": "The spending limits of account `{account}` for charges by **{merchant}** become:\n\n{lines}",
        "limits_none": "All spending limits of account `{account}` for charges by **{merchant}** are removed.",
        "limits_line": "- **{token}**: at most {max_tx} per payment and {max_period} per {period}",
        "totp_intent": "Register an authenticator app",
        "totp_body": "An authenticator app is registered for your account at **{merchant}**, replacing any "
        "earlier one. Its codes then confirm your payments there.",
        "untotp_intent": "Remove your authenticator app",
        "untotp_body": "The authenticator app of your account at **{merchant}** is removed: its codes no "
        "longer confirm payments there.",
        "verify_intent": "Confirm a payment verification",
        "verify_body": "You confirm verification `{verification}` at **{merchant}** with the code you received.",
        "account": "Account",
        "per_payment": "{token} per payment",
        "per_period": "{token} per period",
        "period": "{token} period",
        "verification": "Verification",
        "limits": "Spending limits",
        "none": "none",
        "days": "{n} days",
        "hours": "{n} hours",
        "minutes": "{n} minutes",
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
        "merchant": "Händler",
        "amount": "Betrag",
        "fee": "Ledger-Gebühr",
        "session": "Checkout",
        "max": "Höchstens pro Zahlung",
        "uses": "Zahlungen",
        "duration": "Gültig für",
        "auth": "Vorautorisierung",
        "limits_intent": "Ausgabelimits bei {merchant} festlegen",
        "limits_body": "Die Ausgabelimits des Kontos `{account}` für Abbuchungen durch **{merchant}** werden:\n\n{lines}",
        "limits_none": "Alle Ausgabelimits des Kontos `{account}` für Abbuchungen durch **{merchant}** werden entfernt.",
        "limits_line": "- **{token}**: höchstens {max_tx} pro Zahlung und {max_period} pro {period}",
        "totp_intent": "Authenticator-App registrieren",
        "totp_body": "Für Ihr Konto bei **{merchant}** wird eine Authenticator-App registriert; eine frühere "
        "wird ersetzt. Ihre Codes bestätigen dann Ihre Zahlungen dort.",
        "untotp_intent": "Authenticator-App entfernen",
        "untotp_body": "Die Authenticator-App Ihres Kontos bei **{merchant}** wird entfernt: Ihre Codes "
        "bestätigen dort keine Zahlungen mehr.",
        "verify_intent": "Zahlungsprüfung bestätigen",
        "verify_body": "Sie bestätigen die Prüfung `{verification}` bei **{merchant}** mit dem erhaltenen Code.",
        "account": "Konto",
        "per_payment": "{token} pro Zahlung",
        "per_period": "{token} pro Zeitraum",
        "period": "{token} Zeitraum",
        "verification": "Prüfung",
        "limits": "Ausgabelimits",
        "none": "keine",
        "days": "{n} Tage",
        "hours": "{n} Stunden",
        "minutes": "{n} Minuten",
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
        "merchant": "Marchand",
        "amount": "Montant",
        "fee": "Frais du registre",
        "session": "Session de paiement",
        "max": "Maximum par paiement",
        "uses": "Paiements",
        "duration": "Valable",
        "auth": "Pré-autorisation",
        "limits_intent": "Définir vos plafonds de dépense chez {merchant}",
        "limits_body": "Les plafonds du compte `{account}` pour les débits de **{merchant}** deviennent :\n\n{lines}",
        "limits_none": "Tous les plafonds du compte `{account}` pour les débits de **{merchant}** sont supprimés.",
        "limits_line": "- **{token}** : au plus {max_tx} par paiement et {max_period} par {period}",
        "totp_intent": "Enregistrer une application d'authentification",
        "totp_body": "Une application d'authentification est enregistrée pour votre compte chez **{merchant}**, "
        "à la place de toute précédente. Ses codes confirment ensuite vos paiements.",
        "untotp_intent": "Supprimer votre application d'authentification",
        "untotp_body": "L'application d'authentification de votre compte chez **{merchant}** est supprimée : "
        "ses codes ne confirment plus de paiements.",
        "verify_intent": "Confirmer une vérification de paiement",
        "verify_body": "Vous confirmez la vérification `{verification}` chez **{merchant}** avec le code reçu.",
        "account": "Compte",
        "per_payment": "{token} par paiement",
        "per_period": "{token} par période",
        "period": "Période {token}",
        "verification": "Vérification",
        "limits": "Plafonds de dépense",
        "none": "aucun",
        "days": "{n} jours",
        "hours": "{n} heures",
        "minutes": "{n} minutes",
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
        "merchant": "Comercio",
        "amount": "Importe",
        "fee": "Comisión del ledger",
        "session": "Sesión de pago",
        "max": "Máximo por pago",
        "uses": "Pagos",
        "duration": "Válido durante",
        "auth": "Preautorización",
        "limits_intent": "Fijar tus límites de gasto en {merchant}",
        "limits_body": "Los límites de la cuenta `{account}` para los cobros de **{merchant}** pasan a ser:\n\n{lines}",
        "limits_none": "Se eliminan todos los límites de la cuenta `{account}` para los cobros de **{merchant}**.",
        "limits_line": "- **{token}**: como máximo {max_tx} por pago y {max_period} cada {period}",
        "totp_intent": "Registrar una app de autenticación",
        "totp_body": "Se registra una app de autenticación para tu cuenta en **{merchant}**, en lugar de "
        "cualquier anterior. Sus códigos confirman después tus pagos allí.",
        "untotp_intent": "Eliminar tu app de autenticación",
        "untotp_body": "Se elimina la app de autenticación de tu cuenta en **{merchant}**: sus códigos ya no "
        "confirman pagos allí.",
        "verify_intent": "Confirmar una verificación de pago",
        "verify_body": "Confirmas la verificación `{verification}` en **{merchant}** con el código recibido.",
        "account": "Cuenta",
        "per_payment": "{token} por pago",
        "per_period": "{token} por periodo",
        "period": "Periodo {token}",
        "verification": "Verificación",
        "limits": "Límites de gasto",
        "none": "ninguno",
        "days": "{n} días",
        "hours": "{n} horas",
        "minutes": "{n} minutos",
    },
}

PAY_METHODS = ("pay_checkout_session", "pay_checkout_session_with_token")
AUTH_METHODS = ("create_pre_authorization", "create_pre_authorization_with_options")
OTHER_METHODS = (
    "update_merchant_spending_limits",
    "register_totp_secret",
    "remove_totp_secret",
    "verify_transaction",
    "revoke_authorization",
)
MAX_METHOD_LEN = 100
MAX_LIMIT_LINES = 20


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
    whole = digits[: len(digits) - decimals]
    frac = digits[len(digits) - decimals :].rstrip("0") if decimals > 0 else ""
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
    values = {
        "merchant": merchant,
        "session": session_id,
        "amount": units(amount, token["decimals"]) + " " + symbol,
        "fee": units(token["fee"], token["decimals"]) + " " + symbol,
    }
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
        parts = [
            record_field(record, "max_amount"),
            record_field(record, "token"),
            record_field(record, "duration"),
            record_field(record, "uses"),
        ]
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
    values = {
        "merchant": merchant,
        "max": units(max_amount, token["decimals"]) + " " + symbol,
        "uses": str(uses),
        "duration": duration_text(lang, duration),
    }
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


def limits_message(lang: str, merchant: str, args: list) -> "tuple":
    """The spending limits a customer sets for this merchant's pre-authorized charges."""
    if len(args) != 2 or not isinstance(args[0], tuple) or args[0][0] != "principal" or not isinstance(args[1], list):
        return (None, None, None, "the argument must be (principal, vec SpendingLimitEntry)")
    if len(args[1]) > MAX_LIMIT_LINES:
        return (None, None, None, "too many spending limits")
    account = args[0][1]
    lines = []
    fields = [(say(lang, "merchant", {}), text_value(merchant)), (say(lang, "account", {}), text_value(account))]
    for entry in args[1]:
        symbol, limit = record_field(entry, "key"), record_field(entry, "value")
        max_tx, period = record_field(limit, "max_per_transaction"), record_field(limit, "period_seconds")
        max_period = record_field(limit, "max_per_period")
        if not (is_text(symbol) and is_nat(max_tx) and is_nat(period) and is_nat(max_period)):
            return (None, None, None, "the spending limits cannot be read")
        token = tokens_map.get(symbol)
        if token is None:
            return (None, None, None, "the merchant does not accept " + symbol)
        values = {
            "token": symbol,
            "max_tx": units(max_tx, token["decimals"]) + " " + symbol,
            "max_period": units(max_period, token["decimals"]) + " " + symbol,
            "period": duration_text(lang, period),
        }
        lines.append(say(lang, "limits_line", values))
        fields.append((say(lang, "per_payment", values), token_amount(max_tx, token)))
        fields.append((say(lang, "per_period", values), token_amount(max_period, token)))
        fields.append((say(lang, "period", values), {"DurationSeconds": {"amount": period}}))
    if not lines:
        fields.append((say(lang, "limits", {}), text_value(say(lang, "none", {}))))
    values = {"merchant": merchant, "account": account, "lines": "\n".join(lines)}
    body = say(lang, "limits_body", values) if lines else say(lang, "limits_none", values)
    intent = say(lang, "limits_intent", values)
    return ("## " + intent + "\n\n" + body, intent, fields, None)


def totp_message(lang: str, merchant: str, args: list, register: bool) -> "tuple":
    """Registering (one text: the secret, never shown) or removing an authenticator app."""
    if (register and (len(args) != 1 or not is_text(args[0]))) or (not register and len(args) != 0):
        return (None, None, None, "the argument must be " + ("(text)" if register else "()"))
    key = "totp" if register else "untotp"
    values = {"merchant": merchant}
    intent = say(lang, key + "_intent", values)
    return (
        "## " + intent + "\n\n" + say(lang, key + "_body", values),
        intent,
        [(say(lang, "merchant", {}), text_value(merchant))],
        None,
    )


def verify_message(lang: str, merchant: str, args: list) -> "tuple":
    """Confirming a verification with its code (the code is never shown)."""
    if len(args) != 2 or not is_text(args[0]) or not is_text(args[1]) or len(args[0]) > MAX_METHOD_LEN:
        return (None, None, None, "the argument must be (text, text)")
    values = {"merchant": merchant, "verification": args[0]}
    fields = [(say(lang, "merchant", {}), text_value(merchant)), (say(lang, "verification", {}), text_value(args[0]))]
    intent = say(lang, "verify_intent", values)
    return ("## " + intent + "\n\n" + say(lang, "verify_body", values), intent, fields, None)


@update
def icrc21_canister_call_consent_message(request: icrc21_consent_message_request) -> icrc21_consent_message_response:
    """Public (ICRC-21 forbids requiring authentication); changes no state."""
    method = request["method"]
    if len(method) > MAX_METHOD_LEN:
        return unsupported("the method name is too long")
    if method not in PAY_METHODS and method not in AUTH_METHODS and method not in OTHER_METHODS:
        if is_staff(caller_text()):
            return {
                "Err": {
                    "ConsentMessageUnavailable": {
                        "description": method + " is a merchant method; no consent message is provided for it"
                    }
                }
            }
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
    elif method == "update_merchant_spending_limits":
        markdown, intent, fields, err = limits_message(lang, merchant, args)
    elif method == "register_totp_secret" or method == "remove_totp_secret":
        markdown, intent, fields, err = totp_message(lang, merchant, args, method == "register_totp_secret")
    elif method == "verify_transaction":
        markdown, intent, fields, err = verify_message(lang, merchant, args)
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
