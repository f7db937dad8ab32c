"""ICRC-2 payment of a checkout session: the customer approved this canister, which pulls
exactly the session amount with `icrc2_transfer_from` into its main account (the ledger
fee is the payer's).

The charge runs under the session lock (session_locks.py). If its callback trapped, the
lock outlives the message: the payer's retry after LOCK_STALE_SECONDS replays the same
charge (same payer, memo and created_at_time), so the ledger answers `Duplicate` if the
money already moved. If nobody retries, a timer does the same (session_recovery.py), so
the merchant sees the payment (and its webhook) even when the customer went away. Past the ledger's deduplication window the replay gets `TooOld`, and
the charge is looked up in the ledger's blocks (intent_lookup.py): found, the session is
completed with that block; absent, the lock is released and the session can be paid
again. The lock stays until then, so the customer is never charged twice."""

from kybra import Async, ic, text, update

from src.common.ids import memo_for
from src.common.merchant_api import CheckoutSessionResult
from src.user_payment_canister.access_control import require_signed_in
from src.user_payment_canister.intent_lookup import lookup_status, lookup_step, new_lookup, unsettled
from src.user_payment_canister.ledger_calls import TOO_OLD, transfer_from
from src.user_payment_canister.merchant_store import intent_lookups_map, restamp, session_locks_map, sessions_map, used_blocks_map
from src.user_payment_canister.payments_store import record_session_payment
from src.user_payment_canister.checkout_sessions import status_of
from src.user_payment_canister.session_locks import acquire, holder, owns, release
from src.user_payment_canister.session_payments import block_key, main_account, open_session
from src.user_payment_canister.session_prices import is_primary, option_for, priced_in, quote_error
from src.user_payment_canister.merchant_analytics import on_payment_failed  # part 2 hook
from src.user_payment_canister.risk_engine import new_customer_usd_cents, screen_payment  # part 2 hook

CHARGE_OPERATION = "icrc2_payment"


@update
def pay_checkout_session(session_id: text) -> Async[CheckoutSessionResult]:
    result = yield pay_session(session_id, "")
    return result


@update
def pay_checkout_session_with_token(session_id: text, token: text) -> Async[CheckoutSessionResult]:
    """ICRC-2 payment in one of the session's price options (session_prices.py)."""
    result = yield pay_session(session_id, token)
    return result


def pay_session(session_id: str, token: str):
    """The ICRC-2 charge in `token` ("" = the session's own token)."""
    err = require_signed_in("pay a checkout session")
    if err is not None:
        return {"Err": err}
    session, option, err = payable(session_id, token)
    if err is not None:
        return {"Err": err}
    cents = yield new_customer_usd_cents(ic.caller(), session["currency_token"], session["amount"])
    session, option, err = payable(session_id, token)  # again: it may have changed during the call
    if err is not None:
        return {"Err": err}
    assessment, err = screen_payment(ic.caller(), session["currency_token"], session["amount"], None, "payment of session " + session_id, cents)  # part 2 hook
    if err is not None:
        return {"Err": err}
    result = yield charge(session_id, session, option)
    return result


def payable(session_id: str, token: str) -> "tuple":
    """(session priced in `token`, option, None) for an open session, else (None, None, error)."""
    session, err = open_session(session_id)
    if err is not None:
        return (None, None, err)
    option, err = option_for(session, token)
    err = err or quote_error(session, option)
    if err is not None:
        return (None, None, err)
    return (priced_in(session, option), option, None)


def operation_of(session: dict, option: dict) -> str:
    """Another token is another operation: a stale charge is replayed only in its own token."""
    return CHARGE_OPERATION if is_primary(session, option) else CHARGE_OPERATION + ":" + option["token"]


def charge(session_id: str, session: dict, option: dict):
    """Take the lock (or take over a stale one), pull the amount and record the payment.
    A message whose lock was taken over while its call was in flight leaves the lock alone,
    and whichever message learns of the charge first records it, once."""
    created_at, err = acquire(session_id, operation_of(session, option))
    if err is not None:
        return {"Err": err}
    started_at = ic.time()
    payer = {"owner": holder(session_id), "subaccount": None}  # an interrupted charge is replayed for its payer
    block, err = yield transfer_from(
        session["ledger_canister_id"], payer, main_account(), session["amount"], memo_for(session_id), created_at
    )
    mine = owns(session_id, started_at)
    if err == TOO_OLD and mine:
        if intent_lookups_map.get(session_id) is None:
            intent_lookups_map.insert(session_id, new_lookup(created_at))
            schedule_lookup(session_id)
        return {"Err": lookup_status(session_id, "the interrupted payment of session " + session_id)}
    if mine:
        release(session_id)
    if err is not None:
        if mine:
            on_payment_failed(session["currency_token"])  # part 2 hook
        return {"Err": err}
    stored = sessions_map.get(session_id)
    if status_of(stored) == "complete":
        return {"Ok": stored}  # the message that took over (or this one's original) recorded it
    return {"Ok": record_charge(session_id, option, payer, block)}


def record_charge(session_id: str, option: dict, payer: dict, block: int) -> dict:
    intent_lookups_map.remove(session_id)  # a lookup of this charge, if any, is answered
    session = priced_in(sessions_map.get(session_id), option)
    updated = record_session_payment(session_id, session, "icrc2", session["amount"], 0, payer, block, None)
    used_blocks_map.insert(block_key(session["ledger_canister_id"], block), session_id)
    return updated


def charged_option(session_id: str, operation: str) -> "tuple":
    """(session, option) of the interrupted charge `operation` of a session."""
    session = sessions_map.get(session_id)
    token = operation[len(CHARGE_OPERATION) + 1:] if ":" in operation else ""
    option, err = option_for(session, token)
    return (session, option)


def resume_charge(session_id: str, lock: dict):
    """Replay an interrupted charge nobody retried (or resume its lookup); for the timer."""
    if intent_lookups_map.get(session_id) is not None:
        yield continue_lookup(session_id)
        return
    session, option = charged_option(session_id, lock["operation"])
    result = yield charge(session_id, priced_in(session, option), option)
    if "Err" in result:
        ic.print("resumed charge of " + session_id + ": " + result["Err"])


def schedule_lookup(session_id: str) -> None:
    def step():
        yield continue_lookup(session_id)

    ic.set_timer(0, step)


def continue_lookup(session_id: str):
    """One bounded step of the lookup of an interrupted charge; the lock's started_at is
    refreshed first, so neither a retry nor the timer replays the charge meanwhile."""
    lock = session_locks_map.get(session_id)
    lookup = intent_lookups_map.get(session_id)
    if lock is None or lookup is None or lookup["problem"] is not None or not lock["operation"].startswith(CHARGE_OPERATION):
        return
    restamp(session_locks_map, session_id, lock)
    session, option = charged_option(session_id, lock["operation"])
    payer = {"owner": lock["caller"], "subaccount": None}
    expected = {"from": payer, "to": main_account(), "amount": option["amount"], "memo": memo_for(session_id)}
    outcome, value = yield lookup_step(session_id, option["ledger_canister_id"], expected, lookup)
    if unsettled(session_id, outcome, value, lambda: schedule_lookup(session_id)) or intent_lookups_map.get(session_id) is None:
        return  # not settled yet, or an overlapping step settled it
    intent_lookups_map.remove(session_id)
    release(session_id)
    if outcome == "absent":
        on_payment_failed(option["token"])  # part 2 hook
    elif status_of(sessions_map.get(session_id)) != "complete":  # (a call in flight may have recorded it)
        record_charge(session_id, option, payer, value)
