"""Paying a checkout session, always verified on the ledger by this canister.

- ICRC-2 (`pay_checkout_session`, session_icrc2_charges.py): the customer approved this canister;
  it pulls exactly the session amount with `icrc2_transfer_from` into its main account (the
  ledger fee is the payer's).
- ICRC-1 (`complete_checkout_session`): the customer transferred to the session's own
  subaccount. The balance of that subaccount decides (underpaid: stays open; more: recorded
  as overpaid); ICRC-3 blocks identify the payer (the transaction id is only a hint to find
  the block faster); the whole balance is swept to the main account (the sweep fee is the
  merchant's). One ledger block is credited to at most one session.
- Multi-token sessions (session_prices.py): each of the session's price options can pay it,
  on its own ledger (the subaccount is the same on every ledger); the `_with_token`
  methods name the option, the others take the session's own token (ICRC-2) or check every
  option (ICRC-1). The session completes once, in the token actually paid.
- Every path is screened by the risk rules (risk_engine.py): an ICRC-1 deposit whose payer is
  blocked is returned to them minus the ledger fee (`screen_deposit`), the session stays open.
- Funds that reach a session that is no longer open (a late payment after expiry, a second
  payment after completion) go back to their sender with `refund_session_funds`.
- Every transfer here is an operation of the journal (ledger_journal.py): the sweep (kind
  `sweep`, keyed by the session: the completion's lock, held while it reads the ledger) and
  each return (kind `return`, keyed by the session for `refund_session_funds`, by the block
  for a blocked payer's deposit). This module registers how they settle and are released.
"""

from kybra import Async, Principal, ic, text, update

from src.common.ids import memo_for, random_hex
from src.user_payment_canister import ledger_journal as journal
from src.user_payment_canister.access_control import caller_text, is_staff
from src.user_payment_canister.checkout_sessions import load_session, status_of
from src.user_payment_canister.ledger_calls import balance_of, find_transfers_to
from src.user_payment_canister.merchant_events import emit
from src.user_payment_canister.merchant_store import (
    bump,
    counter,
    payer_shares_map,
    refunds_map,
    sessions_map,
    set_counter,
    sweeps_map,
    tokens_map,
    used_blocks_map,
)
from src.user_payment_canister.merchant_types import MerchantUnitResult, RefundRecordResult
from src.user_payment_canister.payment_records import payment_id_for, record_session_payment, store_refund
from src.user_payment_canister.risk_engine import new_customer_usd_cents, screen_payment
from src.user_payment_canister.session_prices import (
    option_for,
    option_index,
    option_suffix,
    options_of,
    paid_option,
    priced_in,
)

COMPLETION = "icrc1_completion"  # the label of a sweep's operation (the session's lock)
SWEEP_TIMER_SECONDS = 2 * journal.LEASE_SECONDS  # the payer's own retry comes first
RETURN_TIMER_SECONDS = 2 * journal.LEASE_SECONDS  # the sender's own retry comes first
SWEEP_INTENT = (
    "sweep_intent:"  # counter (before the journal, read by its migration): the balance an in-flight sweep takes
)
CREDITED_BELOW = "credited_below:"  # counter: blocks below it were swept by the completion
CREDITED_ALL = 2**64  # the completion could not read the blocks: none may be returned
SWEEP_OPTION = "sweep_option:"  # counter (before the journal): index of the price option that sweep is in


def main_account() -> dict:
    return {"owner": ic.id(), "subaccount": None}


def block_key(ledger: Principal, index: int) -> str:
    return ledger.to_str() + ":" + str(index)


def parse_hint(transaction_id: str) -> "tuple":
    """(block index or None, None) or (None, error): the hint is a ledger block index."""
    if transaction_id == "":
        return (None, None)
    if len(transaction_id) > 20 or not transaction_id.isascii() or not transaction_id.isdigit():
        return (None, "invalid_argument: transaction_id must be a ledger block index (digits) or empty")
    return (int(transaction_id), None)


def open_session(session_id: str) -> "tuple":
    """(session, None) if it can still be paid, else (None, error)."""
    session, err = load_session(session_id)
    if err is not None:
        return (None, err)
    status = status_of(session)
    if status == "complete":
        return (None, "conflict: session " + session_id + " is already complete")
    if status == "expired":
        return (
            None,
            "expired: session "
            + session_id
            + " has expired; funds sent to it can be returned with refund_session_funds",
        )
    return (session, None)


def completable_session(session_id: str) -> "tuple":
    """(session, deadline, None) for an ICRC-1 completion, else (None, None, error). A
    session past its expiry (or expired) can still complete with transfers whose ledger
    blocks are older than `expires_at` (a payment made in time counts): `deadline` is
    then that time, else None. A session past its expiry is not expired here: a payment
    made in time completes it without a `checkout.session.expired` first (expire_unpaid)."""
    session, err = load_session(session_id, expire=False)
    if err is not None:
        return (None, None, err)
    if status_of(session) == "complete":
        return (None, None, "conflict: session " + session_id + " is already complete")
    late = status_of(session) == "expired" or ic.time() >= session["expires_at"]
    return (session, session["expires_at"] if late else None, None)


def expire_unpaid(session_id: str) -> None:
    """A completion that found no payment made in time: the lazy expiry it skipped applies
    now (load_session), so `checkout.session.expired` follows the failed attempt."""
    load_session(session_id)


def token_fee(symbol: str) -> int:
    token = tokens_map.get(symbol)
    return 0 if token is None else token["fee"]


@update
def complete_checkout_session(session_id: text, transaction_id: text) -> Async[MerchantUnitResult]:
    result = yield complete_session(session_id, "", transaction_id)
    return result


@update
def complete_checkout_session_with_token(
    session_id: text, token: text, transaction_id: text
) -> Async[MerchantUnitResult]:
    """ICRC-1 completion that reads only the ledger of `token` (the customer's choice)."""
    if token == "":
        return {"Err": "invalid_argument: token is required (complete_checkout_session checks every option)"}
    result = yield complete_session(session_id, token, transaction_id)
    return result


def complete_session(session_id: str, token: str, transaction_id: str):
    """ICRC-1 completion: the first price option (of `token`, or of every option when it is
    "") whose ledger shows the session subaccount holding its amount completes the session."""
    session, deadline, err = completable_session(session_id)
    if err is not None:
        return {"Err": err}
    hint, err = parse_hint(transaction_id)
    if err is not None:
        return {"Err": err}
    candidates = options_of(session)
    if token != "":
        chosen, err = option_for(session, token)
        if err is not None:
            return {"Err": err}
        candidates = [chosen]
    op, err = journal.acquire(session_id, "sweep", COMPLETION, session_id, session["ledger_canister_id"], {})
    if err is not None:
        return {"Err": err}
    if op["method"] != "":  # an interrupted sweep: replayed as it was, on its own ledger
        done, err = yield journal.run(op)
        return {"Err": err} if err is not None else {"Ok": None}
    subaccount = session["payment_subaccount"]
    option, balance, err = yield paid_option(session, candidates)
    if err is None:
        err = yield screen_deposit(session_id, priced_in(session, option), balance, hint)
    if err is not None:
        if journal.abandon(op):  # not a lock a retry took over meanwhile
            expire_unpaid(session_id)
        return {"Err": err}
    session = priced_in(session, option)
    sweep, swept = yield prepare_sweep(session_id, session, option, balance, hint, deadline)
    if sweep is None:
        if journal.abandon(op):
            expire_unpaid(session_id)
        return {
            "Err": "expired: session "
            + session_id
            + " has expired and no transfer that reached it before its expiry pays it; funds sent to it can be returned with refund_session_funds"
        }
    if not journal.owns(op):
        return {"Err": "conflict: the completion of session " + session_id + " was taken over by a retry"}
    op = journal.prepare(
        op,
        session["ledger_canister_id"],
        "icrc1_transfer",
        subaccount,
        None,
        main_account(),
        swept - sweep["fee"],
        sweep["fee"],
        memo_for(session_id),
        {"option": option_index(session, option["token"]), "balance": swept},
    )
    done, err = yield journal.run(op)
    if err is not None:
        return {"Err": err}
    return {"Ok": None}


def settle_sweep(op: dict, block: int) -> bool:
    """The sweep is in ledger `block`: complete the session (once) with the payer it found."""
    session_id = op["subject"]
    context = journal.context_of(op)
    option = options_of(sessions_map.get(session_id))[context["option"]]
    record_sweep(session_id, option, context["balance"], sweeps_map.get(session_id), block)
    end_sweep(session_id)
    return True


def settled_sweep(op: dict) -> "bool | None":
    return True if status_of(sessions_map.get(op["subject"])) == "complete" else None


def restart_completion(op: dict):
    """A completion interrupted before its sweep (nothing moved): run it again."""
    result = yield complete_session(op["subject"], "", "")
    if "Err" in result:
        ic.print("resumed completion of " + op["subject"] + ": " + result["Err"])


def screen_deposit(session_id: str, session: dict, balance: int, hint: "int | None"):
    """The risk rules for an ICRC-1 deposit, as for every other payment path: the payer is
    the one prepare_sweep would name (payer_for). None to go ahead; for a blocked payer, their
    transfers are returned to them (minus the ledger fee each), the session stays open, a
    security alert (screen_payment) and `payment.failed` are raised, and the error is
    returned. Runs under the completion lock; a block being returned is marked first."""
    ledger = session["ledger_canister_id"]
    found, err = yield find_transfers_to(ledger, session["payment_subaccount"], hint)
    if err is not None:
        return None  # the payer cannot be named: prepare_sweep records the payment without one
    live = live_transfers(ledger, found[0])
    prefix, _ = balance_prefix(live, balance)
    payer, _ = payer_for(live, prefix, balance, session["amount"])
    if payer is None:
        return None
    cents = yield new_customer_usd_cents(payer["owner"], session["currency_token"], balance)
    _, blocked = screen_payment(
        payer["owner"], session["currency_token"], balance, None, "ICRC-1 deposit to session " + session_id, cents
    )
    if blocked is None:
        return None
    fee = token_fee(session["currency_token"])
    returned = 0
    for index, info in prefix:
        key = block_key(ledger, index)
        if (
            sender_key(info["from"]) != sender_key(payer)
            or used_blocks_map.get(key) is not None
            or info["amount"] <= fee
        ):
            continue
        if journal.is_locked("return:" + key):
            continue  # its return is in flight
        refund, err = yield return_block(
            ledger,
            session_id,
            "return:" + key,
            key,
            None,
            session["currency_token"],
            session["payment_subaccount"],
            payer,
            info["amount"] - fee,
            fee,
            "deposit of a blocked payer returned",
        )
        if err is not None:
            ic.print("return of blocked deposit " + key + " failed: " + err)
            continue
        returned += info["amount"] - fee
    emit(
        "payment.failed",
        session_id,
        {
            "session_id": session_id,
            "payer": payer["owner"].to_str(),
            "token": session["currency_token"],
            "returned": returned,
            "reason": blocked[:300],
        },
    )
    return blocked + " (" + str(returned) + " returned to the payer, minus the ledger fee; the session stays open)"


def return_block(
    ledger: Principal,
    session_id: str,
    op_id: str,
    key: str,
    owner: "str | None",
    symbol: str,
    subaccount: bytes,
    sender: dict,
    amount: int,
    fee: int,
    reason: str,
    op: "dict | None" = None,
):
    """Send `amount` of the transfer in block `key` back to its sender, as a `return`
    operation of the journal (`op`: the lock the caller holds, else a new operation): the
    block is marked `returning:` with it, `returned:` once the transfer is in a block, and
    gets back its mark (`owner`) if the ledger refuses. (refund record, None) or (None, error)."""
    if op is None:
        op = journal.new_operation(op_id, "return", "return", key, ledger, {})
    used_blocks_map.insert(key, "returning:" + session_id)  # with the operation: no second return
    op = journal.prepare(
        op,
        ledger,
        "icrc1_transfer",
        subaccount,
        None,
        sender,
        amount,
        fee,
        memo_for("return:" + key),
        {"session_id": session_id, "key": key, "owner": owner, "token": symbol, "reason": reason},
    )
    result = yield journal.run(op)
    return result


def return_id(key: str) -> str:
    return "re_" + random_hex(key.encode(), "return")


def settle_return(op: dict, block: int) -> dict:
    """The return is in ledger `block`: mark the block returned and store the refund record."""
    context = journal.context_of(op)
    used_blocks_map.insert(context["key"], "returned:" + context["session_id"])
    bump("session_fund_returns")
    return store_refund(
        return_id(context["key"]),
        bump("refund_seq"),
        None,
        context["session_id"],
        context["token"],
        op["amount"],
        op["fee"],
        op["to"],
        block,
        context["reason"],
        op["caller"],
    )


def release_return(op: dict, reason: str) -> None:
    """The ledger did not take the return: the block gets its mark back."""
    if op["method"] == "":
        return  # interrupted before its call: the block was never marked
    context = journal.context_of(op)
    if context["owner"] is None:
        used_blocks_map.remove(context["key"])
    else:
        used_blocks_map.insert(context["key"], context["owner"])


def settled_return(op: dict) -> "dict | None":
    return None if op["method"] == "" else refunds_map.get(return_id(journal.context_of(op)["key"]))


def prepare_sweep(
    session_id: str, session: dict, option: dict, balance: int, hint: "int | None", deadline: "int | None"
):
    """Find the payer in the ledger's blocks, credit them to the session and remember the
    sweep (stored before the transfer's `yield`). Past the session's expiry (`deadline`)
    only transfers in blocks older than it count, and one sender must have paid the price
    with them; else None (nothing is credited)."""
    ledger = session["ledger_canister_id"]
    found, find_err = yield find_transfers_to(ledger, session["payment_subaccount"], hint)
    transfers, log_length = found
    late = []  # transfers at or after the expiry: no part of the payment, they stay returnable
    if deadline is not None:
        late = [index for index, info in transfers if info["time"] is None or info["time"] >= deadline]
        transfers = [
            (index, info)
            for index, info in transfers
            if info["time"] is not None
            and info["time"] < deadline
            and used_blocks_map.get(block_key(ledger, index)) is None
        ]
        covering = covering_sender(transfers, session["amount"])
        if find_err is not None or covering is None or covering[2] > balance:
            return (None, 0)
    payer, paying_block, first_uncredited, swept, share = credit_blocks(
        ledger, session_id, transfers, balance, session["amount"]
    )
    if share is None or find_err is not None:
        payer_shares_map.remove(payment_id_for(session_id))
    else:
        payer_shares_map.insert(payment_id_for(session_id), share)
    if find_err is not None:
        ic.print("payer lookup for " + session_id + " failed: " + find_err)
        first_uncredited = CREDITED_ALL
        swept = balance
    elif first_uncredited is None:
        first_uncredited = log_length
    if late:
        first_uncredited = min(first_uncredited, min(late))  # late transfers stay returnable
    sweep = {
        "payer": payer,
        "paying_block": paying_block,
        "first_uncredited": first_uncredited,
        "fee": token_fee(session["currency_token"]),
    }
    sweeps_map.insert(session_id, sweep)
    return (sweep, swept)


def record_sweep(session_id: str, option: dict, balance: int, sweep: dict, sweep_block: int) -> None:
    """The sweep is in `sweep_block`: complete the session, unless a message that took over
    the lock meanwhile already did."""
    current = sessions_map.get(session_id)
    if status_of(current) == "complete":
        return
    if status_of(current) == "expired":  # paid in time, completed after the expiry marked it
        bump("sessions_expired", -1)
        bump("sessions_open")
    session = priced_in(current, option)
    record_session_payment(
        session_id, session, "icrc1", balance, sweep["fee"], sweep["payer"], sweep["paying_block"], sweep_block
    )
    set_counter(CREDITED_BELOW + session_id + option_suffix(session, option), sweep["first_uncredited"])


def end_sweep(session_id: str) -> None:
    if status_of(sessions_map.get(session_id)) != "complete":  # the sweep did not happen
        payer_shares_map.remove(payment_id_for(session_id))
    sweeps_map.remove(session_id)


def release_sweep(op: dict, reason: str) -> None:
    """The sweep did not happen (refused, or never reached the ledger): the funds are still
    in the subaccount and the next completion starts afresh."""
    end_sweep(op["subject"])


journal.register("sweep", settle_sweep, release_sweep, settled_sweep, SWEEP_TIMER_SECONDS, restart_completion)
journal.register("return", settle_return, release_return, settled_return, RETURN_TIMER_SECONDS)


def credit_blocks(ledger: Principal, session_id: str, transfers: list, balance: int, price: int) -> "tuple":
    """Mark as credited to the session the transfers that pay it and name the payer:
    (payer account, its first block, index of the first transfer not credited, amount the
    sweep takes, the payer's own share of it when several senders' shares pay it, else None).

    The payer is the sender whose transfers pay the price: the first, in block order, whose
    own transfers add up to it. Only those transfers are credited and swept, so a refund of
    the payment can never send the payer more than it sent; every other transfer (someone
    else's, or the payer's after its price was covered) stays in the subaccount, returnable
    to its sender with refund_session_funds.

    When nobody's transfers alone pay it (shares of several senders, or transfers older than
    the blocks read), the balance does: nothing leaves a session's subaccount while it is
    open, so its balance is the sum of its oldest incoming transfers, and that ascending
    prefix is credited and swept (later ones stay returnable). The payer is then the largest
    contributor (a dust transfer or a hint naming one cannot make its sender the payer that
    refunds go to), and a refund is capped at its share (payer_shares_map)."""
    live = live_transfers(ledger, transfers)
    covering = covering_sender(live, price)
    if covering is not None and covering[2] <= balance:
        payer = None
        first_uncredited = None
        for index, info in live:
            if index <= covering[1] and sender_key(info["from"]) == covering[0]:
                used_blocks_map.insert(block_key(ledger, index), session_id)
                if payer is None:
                    payer = (info["from"], index)
            elif first_uncredited is None:
                first_uncredited = index
        return (payer[0], payer[1], first_uncredited, covering[2], None)
    prefix, first_uncredited = balance_prefix(live, balance)
    for index, info in prefix:
        used_blocks_map.insert(block_key(ledger, index), session_id)
    payer, block = payer_of(prefix)
    share = (
        None
        if payer is None
        else sum(info["amount"] for _, info in prefix if sender_key(info["from"]) == sender_key(payer))
    )
    return (payer, block, first_uncredited, balance, share)


def covering_sender(transfers: list, price: int) -> "tuple | None":
    """(sender key, block index, its total) of the first sender, in block order, whose own
    transfers add up to `price`; None if nobody's do."""
    totals = {}
    for index, info in transfers:
        key = sender_key(info["from"])
        totals[key] = totals.get(key, 0) + info["amount"]
        if totals[key] >= price:
            return (key, index, totals[key])
    return None


def payer_for(live: list, prefix: list, balance: int, price: int) -> "tuple":
    """(payer account, its first block) as credit_blocks names it, without crediting."""
    covering = covering_sender(live, price)
    if covering is not None and covering[2] <= balance:
        for index, info in live:
            if sender_key(info["from"]) == covering[0]:
                return (info["from"], index)
    return payer_of(prefix)


def live_transfers(ledger: Principal, transfers: list) -> list:
    """The transfers still in the subaccount: a returned (or returning) block is not."""
    out = []
    for index, info in transfers:
        mark = used_blocks_map.get(block_key(ledger, index))
        if mark is None or not mark.startswith("return"):
            out.append((index, info))
    return out


def balance_prefix(transfers: list, balance: int) -> "tuple":
    """(the oldest transfers that make up `balance`, index of the first one left out)."""
    total = 0
    prefix = []
    for index, info in transfers:
        if total + info["amount"] > balance:
            return (prefix, index)
        total += info["amount"]
        prefix.append((index, info))
    return (prefix, None)


def sender_key(sender: dict) -> str:
    return sender["owner"].to_str() + ":" + ("" if sender["subaccount"] is None else sender["subaccount"].hex())


def payer_of(prefix: list) -> "tuple":
    """(payer account, its first block) of a balance prefix: the largest contributor."""
    by_sender = {}
    first_block = {}
    for index, info in prefix:
        key = sender_key(info["from"])
        by_sender[key] = by_sender.get(key, 0) + info["amount"]
        if key not in first_block:
            first_block[key] = (info["from"], index)
    return best_sender(by_sender, first_block)


def best_sender(by_sender: dict, first_block: dict) -> "tuple":
    best = None
    for key in by_sender:
        if best is None or by_sender[key] > by_sender[best]:
            best = key
    return (None, None) if best is None else first_block[best]


@update
def refund_session_funds(session_id: text, transaction_id: text) -> Async[RefundRecordResult]:
    """Return funds that reached a session's subaccount after it stopped being open.
    The money goes only to the sender recorded in the ledger block; the caller must be that
    sender or staff."""
    result = yield return_session_funds(session_id, "", transaction_id)
    return result


@update
def refund_session_funds_with_token(session_id: text, token: text, transaction_id: text) -> Async[RefundRecordResult]:
    """Like refund_session_funds, for a transfer on the ledger of another price option."""
    result = yield return_session_funds(session_id, token, transaction_id)
    return result


def return_session_funds(session_id: str, token: str, transaction_id: str):
    session, err = load_session(session_id)
    if err is not None:
        return {"Err": err}
    if status_of(session) == "open":
        return {"Err": "conflict: session " + session_id + " is open; complete it with complete_checkout_session"}
    hint, err = parse_hint(transaction_id)
    if err is not None:
        return {"Err": err}
    if hint is None:
        return {"Err": "invalid_argument: transaction_id (the block index of the transfer to return) is required"}
    # "" = the token the session was paid in (its own token if it never completed)
    option, err = option_for(session, session["currency_token"] if token == "" else token)
    if err is not None:
        return {"Err": err}
    ledger = option["ledger_canister_id"]
    op, err = journal.acquire(session_id, "return", "session_refund", session_id, ledger, {})
    if err is not None:
        return {"Err": err}
    if op["method"] != "":  # an interrupted return: finished (replayed as it was) first
        refund, err = yield journal.run(op)
        return {"Err": err} if err is not None else {"Ok": refund}
    refund, err = yield checked_return(session_id, session, option, hint, transaction_id, op)
    if err is not None:
        journal.abandon(op)
        return {"Err": err}
    return {"Ok": refund}


def checked_return(session_id: str, session: dict, option: dict, hint: int, transaction_id: str, op: dict):
    """Check that block `hint` may be returned (a transfer to the session, not credited, the
    caller its sender or staff) and return it under the lock `op`: (refund, None) or
    (None, error)."""
    ledger = option["ledger_canister_id"]
    subaccount = session["payment_subaccount"]
    found_blocks, err = yield find_transfers_to(ledger, subaccount, hint)
    if err is not None:
        return (None, err)
    found = None
    for index, info in found_blocks[0]:
        if index == hint:
            found = info
    if found is None:
        return (None, "not_found: block " + transaction_id + " is not a transfer to session " + session_id)
    key = block_key(ledger, hint)
    owner = used_blocks_map.get(key)
    # marks of a completion whose sweep failed mean nothing once the session expired
    credited = owner is not None and (owner != session_id or status_of(session) == "complete")
    if credited or hint < counter(CREDITED_BELOW + session_id + option_suffix(session, option)):
        return (None, "conflict: block " + transaction_id + " was already credited or returned")
    sender = found["from"]
    if not is_staff(caller_text()) and sender["owner"].to_str() != caller_text():
        return (
            None,
            "unauthorized: only the sender of block " + transaction_id + " or the merchant may request its return",
        )
    balance, err = yield balance_of(ledger, ic.id(), subaccount)
    if err is not None:
        return (None, err)
    fee = token_fee(option["token"])
    amount = min(balance, found["amount"]) - fee
    if amount <= 0:
        return (
            None,
            "nothing_to_refund: session "
            + session_id
            + " holds "
            + str(balance)
            + ", not more than the fee "
            + str(fee),
        )
    if not journal.owns(op):
        return (None, "conflict: the return from session " + session_id + " was taken over by a retry")
    result = yield return_block(
        ledger,
        session_id,
        session_id,
        key,
        owner,
        option["token"],
        subaccount,
        sender,
        amount,
        fee,
        "funds received after the session stopped being open",
        op,
    )
    return result
