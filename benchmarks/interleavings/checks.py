"""The invariants a seed must keep once recovery has run, read through public interfaces
only: the merchant canister's Candid queries (payments, refunds, payouts, sessions,
pre-authorizations, events, reconciliation) and the ledger's (`icrc3_get_blocks`,
`icrc1_balance_of`).

- no double spend: every ledger transfer the merchant made (an `icrc2_transfer_from` it was
  the spender of, an `icrc1_transfer` from one of its accounts) is named by exactly one
  operation record (payment, refund, return of session funds, payout) of the same kind,
  amount and accounts, and every record names such a transfer;
- the books equal the ledger: the main account's balance is the payments' net amounts minus
  refunds and payouts with their fees, reconciliation agrees and has nothing outgoing, and
  every session's deposit account is empty once its senders asked for what was not credited;
- no sender gets back more than it sent to a session (or was charged one-click);
- every session is complete or expired, no payment has a refund in flight, no
  pre-authorization is in flight;
- the factory confirmed every one-click charge once (no reservation left open);
- events: one `checkout.session.completed` per completed session (none for others), one
  `one_click.charged` per one-click payment, one `payment.refunded` per refund of a payment.

A violation is a dict {kind, detail}. `KNOWN` names kinds that are open bugs filed
elsewhere: they are counted apart, so the harness still runs green until they are fixed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Dict, List, Optional, Tuple

from benchmarks.costs.world import SYMBOL, ok

# A return of session funds whose callback trapped after the ledger transfer leaves no
# refund record and answers every retry `conflict` (issue 17 #5, fixed by the ledger
# journal on branch j17); see tests/merchant/test_interleavings.py for its regression test.
# A one-click charge resumed after a trap (by the timer or a retry) was never confirmed at
# the factory (found by this harness, seed 31; fixed: the reservation id is kept in the
# charge's journal context, and its end is queued by whoever settles it and sent in bulk,
# factory_settlements.py).
KNOWN = {}

Account = Tuple[bytes, bytes]
ZERO = bytes(32)


def account(owner, sub=None) -> Account:
    raw = owner if isinstance(owner, (bytes, bytearray)) else owner.bytes
    return (bytes(raw), bytes(sub) if sub else ZERO)


def _value(v):
    ((tag, inner),) = v.items()
    if tag == "Map":
        return {k: _value(x) for k, x in inner}
    if tag == "Array":
        return [_value(x) for x in inner]
    return inner


def ledger_blocks(w) -> List[dict]:
    """Every block of the ledger as plain dicts (index, btype, from, to, spender, amt, fee)."""
    out, start = [], 0
    while True:
        page = w.call(w.owner, w.ledger, "icrc3_get_blocks", [{"start": start, "length": 100}])
        for b in page["blocks"]:
            v = _value(b["block"])
            tx = v["tx"]
            out.append(
                {
                    "index": b["id"],
                    "btype": v["btype"],
                    "amt": tx["amt"],
                    "fee": tx.get("fee", v.get("fee", 0)),
                    "from": account(*tx["from"]) if "from" in tx else None,
                    "to": account(*tx["to"]) if "to" in tx else None,
                    "spender": account(*tx["spender"]) if "spender" in tx else None,
                }
            )
        start += len(page["blocks"])
        if start >= page["log_length"] or not page["blocks"]:
            return out


def _acct(a: dict) -> Account:
    return account(a["owner"], a.get("subaccount"))


class State:
    """What the canister and the ledger say after recovery."""

    def __init__(self, run):
        from benchmarks.interleavings.harness import list_all

        w = self.w = run.w
        self.run = run
        self.main = account(w.merchant)
        self.blocks = ledger_blocks(w)
        self.payments = list_all(w, "list_payments", "payments")
        refunds = list_all(w, "list_refunds", "refunds")
        self.refunds = [r for r in refunds if r["payment_id"] is not None]
        self.returns = [r for r in refunds if r["payment_id"] is None]
        self.payouts = list_all(w, "list_payouts", "payouts")
        self.sessions = {
            s["id"]: ok(w.call(w.owner, w.merchant, "get_checkout_session", s["id"]), "get_session")
            for s in run.sessions
        }
        self.events = defaultdict(Counter)
        for e in list_all(w, "list_events", "events", None):
            self.events[e["event_type"]][e["object_id"]] += 1
        self.auths = {
            i: ok(w.call(w.server, w.merchant, "get_pre_authorization", a), "get_pre_authorization")
            for i, a in run.p.auths.items()
        }
        self.network = w.call(w.admin, w.factory, "get_global_payment_metrics")["global_spending_insights"]
        (self.reconcile,) = [
            r for r in ok(w.call(w.owner, w.merchant, "reconcile_balances"), "reconcile") if r["symbol"] == SYMBOL
        ]

    def balance(self, sub: Optional[bytes] = None) -> int:
        return self.w.call(
            self.w.owner, self.w.ledger, "icrc1_balance_of", {"owner": self.w.merchant, "subaccount": sub}
        )


def violation(kind: str, **detail) -> dict:
    return {"kind": kind, "detail": detail}


def merchant_transfers(st: State) -> Dict[int, dict]:
    """The ledger transfers the merchant canister made, by block index."""
    mine = {}
    for b in st.blocks:
        if b["btype"] == "2xfer" and b["spender"] is not None and b["spender"][0] == st.main[0]:
            mine[b["index"]] = dict(b, kind="pull")
        elif b["btype"] == "1xfer" and b["from"][0] == st.main[0]:
            if b["from"] == st.main:
                mine[b["index"]] = dict(b, kind="from_main")
            elif b["to"] == st.main:
                mine[b["index"]] = dict(b, kind="sweep")
            else:
                mine[b["index"]] = dict(b, kind="return")
    return mine


def check_transfers(st: State) -> List[dict]:
    out = []
    named = defaultdict(list)  # block -> [(record kind, id, expected transfer kind, amount, to)]
    for p in st.payments:
        if p["method"] in ("icrc2", "one_click"):
            named[p["ledger_block"]].append(("payment", p["payment_id"], "pull", p["amount"], st.main))
        else:
            named[p["sweep_block"]].append(("payment", p["payment_id"], "sweep", p["net_amount"], st.main))
    for r in st.refunds:
        named[r["ledger_block"]].append(("refund", r["refund_id"], "from_main", r["amount"], _acct(r["to"])))
    for r in st.returns:
        named[r["ledger_block"]].append(("return", r["refund_id"], "return", r["amount"], _acct(r["to"])))
    for p in st.payouts:
        named[p["ledger_block"]].append(("payout", p["payout_id"], "from_main", p["amount"], _acct(p["to"])))
    mine = merchant_transfers(st)
    for index, b in sorted(mine.items()):
        records = named.get(index, [])
        if not records:
            kind = "return_unrecorded" if b["kind"] == "return" else "unrecorded_transfer"
            out.append(violation(kind, block=index, transfer=b["kind"], amount=b["amt"]))
        elif len(records) > 1:
            out.append(violation("double_recorded", block=index, records=[r[:2] for r in records]))
    for index, records in named.items():
        b = mine.get(index)
        for kind, rid, expected, amount, to in records:
            if b is None or b["kind"] != expected or b["amt"] != amount or b["to"] != to:
                out.append(
                    violation(
                        "record_without_transfer",
                        record=kind,
                        id=rid,
                        block=index,
                        transfer=None if b is None else b["kind"],
                    )
                )
    return out


def check_books(st: State) -> List[dict]:
    out = []
    book = (
        sum(p["net_amount"] for p in st.payments)
        - sum(r["amount"] + r["fee"] for r in st.refunds)
        - sum(p["amount"] + p["fee"] for p in st.payouts)
    )
    ledger = st.balance()
    if book != ledger:
        out.append(violation("books_differ", book=book, ledger=ledger))
    rec = st.reconcile
    if not rec["matches"] or rec["pending_outgoing"] != 0 or rec["ledger_balance"] != ledger:
        out.append(
            violation(
                "reconcile",
                matches=rec["matches"],
                pending_outgoing=rec["pending_outgoing"],
                difference=rec["difference"],
            )
        )
    for sid, s in st.sessions.items():
        left = st.balance(s["payment_subaccount"])
        if left:
            out.append(violation("funds_left_in_session", session=sid, amount=left, status=status(s)))
    return out


def check_senders(st: State) -> List[dict]:
    """Per session (or one-click payment) and sender: given back <= sent."""
    out = []
    sent, back = Counter(), Counter()
    subs = {bytes(s["payment_subaccount"]): sid for sid, s in st.sessions.items()}
    for b in st.blocks:
        if b["btype"] == "1xfer" and b["to"] is not None and b["to"][0] == st.main[0] and b["to"][1] in subs:
            if b["from"][0] != st.main[0]:
                sent[(subs[b["to"][1]], b["from"])] += b["amt"]
    for p in st.payments:
        if p["method"] in ("icrc2", "one_click"):
            sent[(p["session_id"] or p["payment_id"], _acct(p["payer"]))] += p["amount"]
    by_payment = {p["payment_id"]: p for p in st.payments}
    for r in st.refunds:
        p = by_payment.get(r["payment_id"])
        key = p["session_id"] or p["payment_id"] if p else r["payment_id"]
        back[(key, _acct(r["to"]))] += r["amount"]
    for r in st.returns:
        back[(r["session_id"], _acct(r["to"]))] += r["amount"]
    for key, amount in back.items():
        if amount > sent[key]:
            out.append(violation("refunded_more_than_sent", subject=key[0], sent=sent[key], given_back=amount))
    for p in st.payments:
        if p["refunded"] > p["amount"]:
            out.append(violation("refunded_more_than_paid", payment=p["payment_id"]))
    return out


def status(session: dict) -> str:
    (name,) = session["status"].keys()
    return name


def check_states(st: State) -> List[dict]:
    out = []
    paid = {p["session_id"]: p for p in st.payments if p["session_id"]}
    for sid, s in st.sessions.items():
        if status(s) not in ("complete", "expired"):
            out.append(violation("session_not_final", session=sid, status=status(s)))
        if (status(s) == "complete") != (sid in paid):
            out.append(violation("session_payment_mismatch", session=sid, status=status(s), payment=sid in paid))
    for p in st.payments:
        if p["refund_pending"]:
            out.append(violation("refund_stuck", payment=p["payment_id"], pending=p["refund_pending"]))
    for i, a in st.auths.items():
        if a["in_flight"]:
            out.append(violation("charge_stuck", auth=a["auth_id"]))
        charged = [p for p in st.payments if p["method"] == "one_click" and p["client_reference_id"] == a["auth_id"]]
        if a["charges"] != len(charged) or a["total_charged"] != sum(p["amount"] for p in charged):
            out.append(violation("authorization_count", auth=a["auth_id"], charges=a["charges"], payments=len(charged)))
    return out


def check_factory(st: State) -> List[dict]:
    """The factory confirmed each one-click charge (its network spend) exactly once; a
    reservation left open would count against the customer and the merchant for good."""
    charged = [p for p in st.payments if p["method"] == "one_click"]
    if st.network["one_click_payments"] != len(charged):
        return [violation("factory_spend_unsettled", confirmed=st.network["one_click_payments"], charges=len(charged))]
    return []


def check_events(st: State) -> List[dict]:
    out = []
    complete = {sid for sid, s in st.sessions.items() if status(s) == "complete"}
    expect = Counter({sid: 1 for sid in complete})
    got = st.events["checkout.session.completed"]
    if +got != expect:
        out.append(
            violation(
                "completed_events",
                missing=sorted(set(expect) - set(got)),
                extra={k: v for k, v in got.items() if expect[k] != v},
            )
        )
    charged = Counter({p["payment_id"]: 1 for p in st.payments if p["method"] == "one_click"})
    if +st.events["one_click.charged"] != charged:
        out.append(
            violation("one_click_events", events=sum(st.events["one_click.charged"].values()), payments=len(charged))
        )
    refunded = sum(st.events["payment.refunded"].values())
    if refunded != len(st.refunds):
        out.append(violation("refund_events", events=refunded, refunds=len(st.refunds)))
    return out


def check_all(run) -> List[dict]:
    st = State(run)
    return (
        check_transfers(st)
        + check_books(st)
        + check_senders(st)
        + check_states(st)
        + check_factory(st)
        + check_events(st)
    )
