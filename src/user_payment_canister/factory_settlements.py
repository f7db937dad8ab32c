"""The due-list of factory reservations a one-click charge still has to confirm or release.

A charge reserves its USD value on the factory's cross-merchant limit before its ledger
call and keeps the reservation id in its journal operation's context (one_click.py). The
journal settles the operation synchronously (no `yield` in a settle callback), whoever
answers: the charging message, a retry or the recovery timer. So the settle and release
callbacks only file the reservation here (confirm or release), and the factory call is
the follow-up: a zero-delay timer right away, the charging message itself, and the
maintenance tick for whatever is still due (the factory did not answer, or a callback
trapped). An entry leaves the list once the factory answered Ok or no longer knows the
reservation (already ended by an overlapping follow-up, or expired there), so each reservation is ended at
the factory exactly once: the factory's own record is the guard.
"""

from kybra import StableBTreeMap, ic, nat8, text

from src.common.message_budget import budget_left
from src.user_payment_canister.factory_link import factory

CONFIRM = 1
RELEASE = 0
SETTLE_PER_TICK = 10

factory_settlements_map = StableBTreeMap[text, nat8](memory_id=110, max_key_size=64, max_value_size=8)


def file_settlement(reservation: str, confirmed: bool) -> None:
    """Due: confirm (charged) or release the reservation at the factory; sent soon."""
    if reservation == "" or factory_settlements_map.contains_key(reservation):
        return
    factory_settlements_map.insert(reservation, CONFIRM if confirmed else RELEASE)

    def step():
        yield settle_at_factory(reservation)

    ic.set_timer(0, step)


def settle_at_factory(reservation: str):
    """Send one due confirmation or release; the entry stays if the factory did not answer."""
    action = factory_settlements_map.get(reservation)
    svc = factory()
    if action is None or svc is None:
        return
    if action == CONFIRM:
        result = yield svc.confirm_cross_merchant_spend(reservation)
    else:
        result = yield svc.release_cross_merchant_spend(reservation)
    if getattr(result, "Err", None) is not None:
        ic.print("cross-merchant reservation " + reservation + " not settled yet: " + str(result.Err)[:200])
        return
    if "Err" in result.Ok and not result.Ok["Err"].startswith("not_found"):
        ic.print("cross-merchant reservation " + reservation + " refused: " + result.Ok["Err"][:200])
    factory_settlements_map.remove(reservation)  # answered: a retry would get the same


def settle_due_at_factory():
    """Maintenance: up to SETTLE_PER_TICK due settlements, while the budget lasts."""
    due = factory_settlements_map.keys()[:SETTLE_PER_TICK]
    for reservation in due:
        if not budget_left():
            break
        yield settle_at_factory(reservation)
