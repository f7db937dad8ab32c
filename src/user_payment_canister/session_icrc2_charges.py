"""ICRC-2 payment of a checkout session: the customer approved this canister, which pulls
exactly the session amount with `icrc2_transfer_from` into its main account (the ledger
fee is the payer's). Not while the session's deposit account holds funds (a partial ICRC-1
payment): those count towards the price, so the rest is sent there too (`deposit_conflict`).

The charge is a `charge` operation of the journal (ledger_journal.py), keyed by the session
(its lock). If its callback trapped, the operation outlives the message: the payer's retry
after the lease replays the same charge (same payer, memo and created_at_time), so the
ledger answers `Duplicate` if the money already moved. If nobody retries, the journal's
recovery timer does the same after CHARGE_TIMER_SECONDS, so the merchant sees the payment
(and its webhook) even when the customer went away. Past the ledger's deduplication window
the outcome is looked up in the ledger's blocks: found, the session is completed with that
block; absent, the lock is released and the session can be paid again. The lock stays
until then, so the customer is never charged twice."""

from kybra import Async, ic, text, update

from src.common.ids import memo_for
from src.common.merchant_api import CheckoutSessionResult
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.access_control import require_signed_in
from src.user_payment_canister.checkout_sessions import status_of
from src.user_payment_canister.ledger_calls import balance_of
from src.user_payment_canister.merchant_analytics import on_payment_failed  # services hook
from src.user_payment_canister.merchant_store import sessions_map, used_blocks_map
from src.user_payment_canister.payment_records import record_session_payment
from src.user_payment_canister.risk_engine import new_customer_usd_cents, screen_payment  # services hook
from src.user_payment_canister.session_deposits import block_key, main_account, open_session
from src.user_payment_canister.session_prices import is_primary, option_for, priced_in, quote_error

CHARGE_OPERATION = "icrc2_payment"
CHARGE_TIMER_SECONDS = 2 * journal.LEASE_SECONDS  # the payer's own retry comes first


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
    err = yield deposit_conflict(session_id, session)
    if err is not None:
        return {"Err": err}
    cents = yield new_customer_usd_cents(ic.caller(), session["currency_token"], session["amount"])
    session, option, err = payable(session_id, token)  # again: it may have changed during the calls
    if err is not None:
        return {"Err": err}
    assessment, err = screen_payment(
        ic.caller(), session["currency_token"], session["amount"], None, "payment of session " + session_id, cents
    )  # services hook
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


def deposit_conflict(session_id: str, session: dict):
    """None if the session's deposit account is empty on the charged token's ledger. Funds
    sent there by ICRC-1 count towards the price, so an ICRC-2 charge of the full price on
    top would make the customer pay more than the price: such a session is finished by
    sending the rest there (complete_checkout_session). A balance that cannot be read
    refuses the charge too (unchecked, it could be a second payment)."""
    held, err = yield balance_of(session["ledger_canister_id"], ic.id(), session["payment_subaccount"])
    if err is not None:
        return err
    if held == 0:
        return None
    price = session["amount"]
    if held >= price:
        return (
            "conflict: session "
            + session_id
            + " already holds its price ("
            + str(held)
            + " of "
            + str(price)
            + ") in its deposit account; complete it with complete_checkout_session instead of paying again"
        )
    return (
        "conflict: session "
        + session_id
        + " already holds "
        + str(held)
        + " of "
        + str(price)
        + " in its deposit account (sent by ICRC-1 transfer); send the remaining "
        + str(price - held)
        + " there and call complete_checkout_session (an ICRC-2 payment would charge the full price again)"
    )


def operation_of(session: dict, option: dict) -> str:
    """Another token is another operation: a stale charge is replayed only in its own token."""
    return CHARGE_OPERATION if is_primary(session, option) else CHARGE_OPERATION + ":" + option["token"]


def charge(session_id: str, session: dict, option: dict):
    """Take the session's lock in the journal (or take over an interrupted charge, which is
    replayed as it was: same payer, amount, memo and created_at_time) and pull the amount."""
    token = "" if is_primary(session, option) else option["token"]
    op, err = journal.acquire(
        session_id, "charge", operation_of(session, option), session_id, session["ledger_canister_id"], {"token": token}
    )
    if err is not None:
        return {"Err": err}
    if op["method"] == "":
        op = journal.prepare(
            op,
            session["ledger_canister_id"],
            "icrc2_transfer_from",
            None,
            {"owner": ic.caller(), "subaccount": None},
            main_account(),
            session["amount"],
            None,
            memo_for(session_id),
        )
    updated, err = yield journal.run(op)
    if err is not None:
        return {"Err": err}
    return {"Ok": updated}


def charged_option(op: dict) -> "tuple":
    """(session, option) of a charge operation."""
    session = sessions_map.get(op["subject"])
    option, err = option_for(session, journal.context_of(op)["token"])
    return (session, option)


def settle_charge(op: dict, block: int) -> dict:
    """The charge is in ledger `block`: complete the session, once."""
    session_id = op["subject"]
    stored = sessions_map.get(session_id)
    if status_of(stored) == "complete":
        return stored
    session, option = charged_option(op)
    session = priced_in(session, option)
    updated = record_session_payment(session_id, session, "icrc2", session["amount"], 0, op["payer"], block, None)
    used_blocks_map.insert(block_key(session["ledger_canister_id"], block), session_id)
    return updated


def release_charge(op: dict, reason: str) -> None:
    """The ledger refused the charge (or it never reached the ledger): the session stays open."""
    session, option = charged_option(op)
    on_payment_failed(option["token"])  # services hook


def settled_charge(op: dict) -> "dict | None":
    stored = sessions_map.get(op["subject"])
    return stored if status_of(stored) == "complete" else None


journal.register("charge", settle_charge, release_charge, settled_charge, CHARGE_TIMER_SECONDS)
