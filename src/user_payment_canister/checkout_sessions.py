"""Checkout sessions (seed feature 2) with Stripe semantics: `open -> complete | expired`.

A session is created by the merchant's server (owner or authorized principal), gets an
unguessable id `cs_<routing_key>_<hex>` and its own ICRC-1 subaccount (sha256 of the id) for
plain transfers. Expiry: every session is filed in a per-minute expiry slot; a timer and
`expire_old_sessions` walk the slots that have passed, a bounded batch at a time, and any
call that meets an open session past its `expires_at` expires it on the spot.
"""

import hashlib
import json

from kybra import Async, Opt, Vec, ic, nat32, nat64, query, text, update
from kybra.canisters.management import management_canister

from src.common.icrc_account import account_to_text
from src.common.ids import check_id, make_session_id, subaccount_for
from src.common.merchant_api import CheckoutSessionResult, MetadataPair
from src.common.pagination import page_desc
from src.common.validation import (
    HOST_RE,
    check_email,
    check_metadata,
    check_opt_text,
    check_slug,
    check_text,
    check_url,
    first_error,
    invalid,
)
from src.user_payment_canister.access_control import caller_text, is_factory, require_staff
from src.user_payment_canister.counter_keys import session_expiry_slot_key
from src.user_payment_canister.hosted_page_origin import session_url
from src.user_payment_canister.ledger_ops_store import ledger_ops_map  # a session with an operation in flight is locked
from src.user_payment_canister.line_items import check_line_items
from src.user_payment_canister.merchant_analytics import on_session_created, on_session_expired  # services hook
from src.user_payment_canister.merchant_events import emit  # services hook
from src.user_payment_canister.merchant_store import (
    bump,
    copy_record,
    counter,
    expiry_slots_map,
    idempotency_fingerprints_map,
    idempotency_map,
    merchant_state,
    modal_counters_map,
    modals_map,
    session_bytes,
    session_index_map,
    sessions_map,
)
from src.user_payment_canister.merchant_types import (
    CheckoutSessionAnalyticsResult,
    CheckoutSessionPageResult,
    CreateCheckoutSessionArgs,
    MerchantCountResult,
)
from src.user_payment_canister.minute_slots import MinuteSlots
from src.user_payment_canister.session_prices import options_for_new_session
from src.user_payment_canister.token_registry import token_for_payment

NS = 1_000_000_000
MINUTE_NS = 60 * NS
MIN_EXPIRY_SECONDS = 30 * 60
MAX_EXPIRY_SECONDS = 24 * 60 * 60
EXPIRE_BATCH = 500
EXPIRE_MINUTE_PROBES = 3000
SESSION_TEXT_BUDGET = 44_000  # bytes of caller text per session (the map holds 48_000)


def status_of(session: dict) -> str:
    for name in session["status"]:
        return name
    return "open"


def is_past_expiry(session: dict, now: int) -> bool:
    return status_of(session) == "open" and session["expires_at"] <= now


def slot_key(minute: int, n: int) -> str:
    return str(minute).zfill(14) + ":" + str(n)


# Minutes are numbered by the expiry minute itself (minute_shift 1), as stored since the start.
session_expiry = MinuteSlots(expiry_slots_map, slot_key, session_expiry_slot_key, "expiry_cursor", "expiry_position", 1)


def file_for_expiry(session_id: str, expires_at: int) -> None:
    session_expiry.file(expires_at, session_id, ic.time())


def mark_expired(session_id: str, session: dict) -> dict:
    """Move an open session to expired (counters updated) and return the new record."""
    updated = copy_record(session)
    updated["status"] = {"expired": None}
    sessions_map.insert(session_id, updated)
    bump("sessions_open", -1)
    bump("sessions_expired")
    on_session_expired()
    emit(
        "checkout.session.expired",
        session_id,
        {
            "session_id": session_id,
            "amount": session["amount"],
            "currency_token": session["currency_token"],
            "client_reference_id": session["client_reference_id"],
        },
    )
    return updated


def load_session(session_id: str, expire: bool = True) -> "tuple":
    """(session, None) with lazy expiry applied (unless a payment holds its lock, or
    `expire` is False: a completion first looks for a payment made in time), or (None,
    error) for malformed or unknown ids."""
    err = check_id("session_id", session_id, "cs")
    if err is not None:
        return (None, err)
    session = sessions_map.get(session_id)
    if session is None:
        return (None, "not_found: session " + session_id + " does not exist")
    if expire and is_past_expiry(session, ic.time()) and not ledger_ops_map.contains_key(session_id):
        session = mark_expired(session_id, session)
    return (session, None)


def expire_due(now: int, budget: int) -> int:
    """Expire open sessions from the expiry slots of every minute that has fully passed,
    resuming where the last run stopped; at most `budget` sessions per run, and fewer when
    the message's instruction budget runs low (message_budget)."""
    return expire_batch(now, budget)[0]


def expire_batch(now: int, budget: int) -> "tuple":
    """(sessions expired, True when it stopped for the instruction budget)."""

    def expire(session_id: str) -> bool:
        session = sessions_map.get(session_id)
        if session is None or not is_past_expiry(session, now):
            return False
        if ledger_ops_map.contains_key(session_id):
            file_for_expiry(session_id, now + MINUTE_NS)  # a payment is in flight: look again later
            return False
        mark_expired(session_id, session)
        return True

    return session_expiry.take(now, budget, EXPIRE_MINUTE_PROBES, expire)


def expiry_timer() -> None:
    """Timer callback: the periodic expiry sweep; a sweep cut short by the instruction
    budget continues at once in a zero-delay timer (a new message)."""
    if expire_batch(ic.time(), EXPIRE_BATCH)[1]:
        ic.set_timer(0, expiry_timer)


def validate_create(args: dict) -> "tuple":
    """(token, modal, success_url, cancel_url, None) or (..., error) for a create request."""
    token, err = token_for_payment(args["currency_token"])
    if err is not None:
        return (None, None, None, None, err)
    if args["amount"] <= 2 * token["fee"]:
        return (
            None,
            None,
            None,
            None,
            "invalid_argument: amount must exceed twice the ledger fee (" + str(2 * token["fee"]) + ")",
        )
    modal = None
    modal_id = args["modal_config_id"]
    if modal_id is not None and modal_id != "":
        err = check_id("modal_config_id", modal_id, "modal")
        if err is not None:
            return (None, None, None, None, err)
        modal = modals_map.get(modal_id)
        if modal is None:
            return (None, None, None, None, "not_found: modal " + modal_id + " does not exist")
        if not modal["is_active"]:
            return (None, None, None, None, "conflict: modal " + modal_id + " is not active")
        accepted = modal["payment_options"]["accepted_tokens"]
        if len(accepted) > 0 and args["currency_token"] not in accepted:
            return (
                None,
                None,
                None,
                None,
                "unsupported_token: modal " + modal_id + " does not accept " + args["currency_token"],
            )
    success_url = args["success_url"]
    cancel_url = args["cancel_url"]
    if success_url is None and modal is not None:
        success_url = modal["redirect_urls"]["success_url"]
    if cancel_url is None and modal is not None:
        cancel_url = modal["redirect_urls"]["cancel_url"]
    if success_url is None or cancel_url is None:
        return (
            None,
            None,
            None,
            None,
            "invalid_argument: success_url and cancel_url are required (directly or from the modal's redirect_urls)",
        )
    expires_in = args["expires_in_seconds"]
    errors = [
        check_metadata(args["metadata"]),
        check_url("success_url", success_url),
        check_url("cancel_url", cancel_url),
        None if args["customer_email"] is None else check_email("customer_email", args["customer_email"]),
        check_opt_text("client_reference_id", args["client_reference_id"], 200),
        None if args["idempotency_key"] is None else check_slug("idempotency_key", args["idempotency_key"]),
        None
        if expires_in is None or MIN_EXPIRY_SECONDS <= expires_in <= MAX_EXPIRY_SECONDS
        else "invalid_argument: expires_in_seconds must be between 1800 (30 min) and 86400 (24 h)",
        check_custom_domain(args["custom_domain"]),
        check_line_items(args["line_items"], args["amount"]),
    ]
    err = first_error(errors)
    if err is not None:
        return (None, None, None, None, err)
    size = caller_text_bytes(args, success_url, cancel_url)
    if size > SESSION_TEXT_BUDGET:
        return (
            None,
            None,
            None,
            None,
            "invalid_argument: metadata, URLs and texts take "
            + str(size)
            + " bytes (UTF-8), at most "
            + str(SESSION_TEXT_BUDGET),
        )
    return (token, modal, success_url, cancel_url, None)


def caller_text_bytes(args: dict, success_url: str, cancel_url: str) -> int:
    """UTF-8 bytes of the caller-supplied text the session maps store: character limits alone
    allow multi-byte text beyond the stable map's value size, which would trap on insert.
    (Line items are stored apart, in a map sized for the most line_items.py allows.)"""
    total = len(success_url.encode()) + len(cancel_url.encode())
    for entry in args["metadata"]:
        total += len(entry["key"].encode()) + len(entry["value"].encode()) + 8
    for name in ("customer_email", "client_reference_id", "custom_domain"):
        if args[name] is not None:
            total += len(args[name].encode())
    return total


def check_custom_domain(domain: "str | None") -> "str | None":
    if domain is None:
        return None
    err = check_text("custom_domain", domain, 253, 3)
    if err is not None:
        return err
    if HOST_RE.match(domain) is None or "." not in domain:
        return "invalid_argument: custom_domain must be a host name like pay.example.com"
    return None


def idempotent_session(idem: "str | None") -> "dict | None":
    """The session an earlier request with this key created (a key stored as "pending" by an
    older version, whose request trapped, names no session and is free again)."""
    session_id = None if idem is None else idempotency_map.get(idem)
    return None if session_id is None else sessions_map.get(session_id)


def parameters_fingerprint(args: dict) -> str:
    """SHA-256 of the parameters a session is created from, stored with its idempotency key:
    the same key with other parameters is refused, as Stripe does."""
    fields = [
        args["amount"],
        args["currency_token"],
        [[entry["key"], entry["value"]] for entry in args["metadata"]],
        args["success_url"],
        args["cancel_url"],
        args["customer_email"],
        args["client_reference_id"],
        args["expires_in_seconds"],
        args["modal_config_id"],
        args["custom_domain"],
    ]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def replay(idem: str, fingerprint: str, earlier: dict) -> dict:
    """The earlier session for a repeated key, unless its parameters differ (keys stored
    before fingerprints were kept are taken as matching)."""
    stored = idempotency_fingerprints_map.get(idem)
    if stored is not None and stored != fingerprint:
        return {
            "Err": "idempotency_error: idempotency key "
            + idem.split("|", 1)[1]
            + " was already used with different parameters (session "
            + earlier["session_id"]
            + "); use a new key"
        }
    return {"Ok": earlier}


def create_session(args: dict):
    """The shared body of both create methods (a generator: it awaits raw_rand)."""
    err = require_staff("create checkout sessions")
    if err is not None:
        return {"Err": err}
    token, modal, success_url, cancel_url, err = validate_create(args)
    if err is not None:
        return {"Err": err}
    idem = None if args["idempotency_key"] is None else caller_text() + "|" + args["idempotency_key"]
    fingerprint = parameters_fingerprint(args)
    earlier = idempotent_session(idem)
    if earlier is not None:
        return replay(idem, fingerprint, earlier)
    rand = yield management_canister.raw_rand()
    if getattr(rand, "Err", None) is not None:
        return {"Err": "unavailable: randomness unavailable, retry: " + str(rand.Err)}
    options, err = yield options_for_new_session(token, args["amount"], modal)  # multi-token prices
    if err is not None:
        return {"Err": err}
    # the key is taken only here, after the last commit point, together with the session: a
    # trap below rolls both back (the key is never left reserved), and a request with the
    # same key that finished while this one waited wins
    earlier = idempotent_session(idem)
    if earlier is not None:
        return replay(idem, fingerprint, earlier)
    seq = counter("session_seq") + 1  # bumped once the session is known to fit
    session_id = make_session_id(merchant_state()["routing_key"], rand.Ok, str(seq))
    subaccount = subaccount_for(session_id)
    now = ic.time()
    expires_in = args["expires_in_seconds"]
    if expires_in is None:
        expires_in = MAX_EXPIRY_SECONDS
    me = ic.id()
    session = {
        "session_id": session_id,
        "modal_config_id": "" if modal is None else modal["modal_id"],
        "amount": args["amount"],
        "currency_token": token["symbol"],
        "customer_email": args["customer_email"],
        "metadata": args["metadata"],
        "status": {"open": None},
        "payment_intent_id": None,
        "expires_at": now + expires_in * NS,
        "created_at": now,
        "custom_domain": args["custom_domain"],
        "client_reference_id": args["client_reference_id"],
        "success_url": success_url.replace("{CHECKOUT_SESSION_ID}", session_id),
        "cancel_url": cancel_url.replace("{CHECKOUT_SESSION_ID}", session_id),
        "ledger_canister_id": token["ledger_canister_id"],
        "payment_account": account_to_text(me.to_str(), me.bytes, subaccount),
        "payment_subaccount": subaccount,
        "amount_received": 0,
        "amount_overpaid": 0,
        "payer": None,
        "ledger_block": None,
        "payment_method": None,
        "completed_at": None,
        "price_options": options,
        "line_items": args["line_items"],
        "url": session_url(session_id, args["custom_domain"]),
    }
    if not sessions_map.fits(session):
        return {
            "Err": invalid(
                "session",
                "is too large to store: shorten its metadata or URLs "
                "(characters outside ASCII take up to 4 bytes each)",
            )
        }
    bump("session_seq")
    sessions_map.insert(session_id, session)
    session_index_map.insert(seq, session_id)
    file_for_expiry(session_id, session["expires_at"])
    if idem is not None:
        idempotency_map.insert(idem, session_id)
        idempotency_fingerprints_map.insert(idem, fingerprint)
    bump("sessions_total")
    bump("sessions_open")
    on_session_created(token["symbol"], args["amount"], session["modal_config_id"])
    if modal is not None:
        counters = modal_counters_map.get(modal["modal_id"])
        if counters is not None:
            updated = copy_record(counters)
            updated["sessions"] = counters["sessions"] + 1
            modal_counters_map.insert(modal["modal_id"], updated)
    return {"Ok": session}


@update
def create_checkout_session(
    modal_config_id: text, amount: nat64, currency_token: text, metadata: Vec[MetadataPair]
) -> Async[CheckoutSessionResult]:
    args = {
        "modal_config_id": modal_config_id,
        "amount": amount,
        "currency_token": currency_token,
        "metadata": metadata,
        "customer_email": None,
        "client_reference_id": None,
        "success_url": None,
        "cancel_url": None,
        "expires_in_seconds": None,
        "idempotency_key": None,
        "custom_domain": None,
        "line_items": None,
    }
    result = yield create_session(args)
    return result


@update
def create_checkout_session_with_options(args: CreateCheckoutSessionArgs) -> Async[CheckoutSessionResult]:
    result = yield create_session(args)
    return result


@query
def get_checkout_session(session_id: text) -> CheckoutSessionResult:
    err = check_id("session_id", session_id, "cs")
    if err is not None:
        return {"Err": err}
    session = sessions_map.get(session_id)
    if session is None:
        return {"Err": "not_found: session " + session_id + " does not exist"}
    if is_past_expiry(session, ic.time()) and not ledger_ops_map.contains_key(session_id):
        shown = copy_record(session)
        shown["status"] = {"expired": None}
        return {"Ok": shown}
    return {"Ok": session}


def session_at(seq: int) -> "dict | None":
    session_id = session_index_map.get(seq)
    return None if session_id is None else sessions_map.get(session_id)


@query
def list_checkout_sessions(cursor: Opt[text], limit: Opt[nat32]) -> CheckoutSessionPageResult:
    err = require_staff("list checkout sessions")
    if err is not None:
        return {"Err": err}
    items, next_cursor, err = page_desc(session_at, counter("session_seq"), cursor, limit, session_bytes)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"sessions": items, "next_cursor": next_cursor}}


@update
def expire_old_sessions() -> MerchantCountResult:
    who = caller_text()
    if require_staff("expire sessions") is not None and not is_factory(who):
        return {"Err": "unauthorized: only an owner, an authorized server principal or the factory may expire sessions"}
    return {"Ok": expire_due(ic.time(), EXPIRE_BATCH)}


@update
def expire_checkout_session(session_id: text) -> CheckoutSessionResult:
    """Stripe's manual expiry: the merchant closes an open session before `expires_at`."""
    err = require_staff("expire sessions")
    if err is not None:
        return {"Err": err}
    session, err = load_session(session_id)
    if err is not None:
        return {"Err": err}
    if status_of(session) != "open":
        return {"Err": "conflict: session " + session_id + " is " + status_of(session) + ", not open"}
    if ledger_ops_map.contains_key(session_id):
        return {"Err": "conflict: a payment for session " + session_id + " is in progress"}
    closing = copy_record(session)  # transfers after this moment no longer pay it
    closing["expires_at"] = min(session["expires_at"], ic.time())
    return {"Ok": mark_expired(session_id, closing)}


@query
def get_checkout_session_analytics() -> CheckoutSessionAnalyticsResult:
    err = require_staff("read session analytics")
    if err is not None:
        return {"Err": err}
    completed = counter("sessions_completed")
    expired = counter("sessions_expired")
    finished = completed + expired
    average = 0 if completed == 0 else counter("completion_seconds_total") // completed
    return {
        "Ok": {
            "total_sessions": counter("sessions_total"),
            "completed_sessions": completed,
            "abandonment_rate": 0.0 if finished == 0 else expired / finished,
            "average_completion_time": average,
            "open_sessions": counter("sessions_open"),
            "expired_sessions": expired,
        }
    }
