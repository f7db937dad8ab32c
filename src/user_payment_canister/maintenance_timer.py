"""The merchant services' maintenance timer (every TICK_SECONDS, re-armed by `main.arm_timers` in init
and post_upgrade): webhook deliveries that are due, scheduled reports, and the factory
push/pull, pre-authorization expiry, the factory reservations of settled one-click
charges still due (factory_settlements.py) and verification pruning. Each piece is bounded, so a tick costs the same however much history exists."""

from kybra import ic

from src.user_payment_canister.custom_reports import run_due_reports
from src.user_payment_canister.factory_reporting import factory_tick
from src.user_payment_canister.merchant_events import arm_event_salt
from src.user_payment_canister.one_click import one_click_tick
from src.user_payment_canister.verification_codes import PRUNE_PER_TICK, prune_verifications
from src.user_payment_canister.webhook_delivery import arm_soon, deliver_tick

TICK_SECONDS = 60


def maintenance_tick():
    run_due_reports()
    prune_verifications(ic.time(), PRUNE_PER_TICK)
    yield deliver_tick()
    yield factory_tick()
    # last: a resumed charge's callback may trap, which must not undo the work above
    yield one_click_tick()


def arm_maintenance_timer() -> None:
    ic.set_timer_interval(TICK_SECONDS, maintenance_tick)
    arm_soon()
    arm_event_salt()
