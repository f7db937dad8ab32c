"""Who pays for the factory's cycles: a deployment and every top-up is paid for, or refused.

A deployment is paid by cycles attached to the call (a cycles wallet or any canister: at
least `deploy_cycles`, accepted), or by one deployment credit an admin granted to the owner
(`grant_deployment_credits`); an admin deploying is the operator spending its own cycles.
The cycles monitor tops up a canister only from that canister's top-up budget, which is
cycles attached to `prepay_canister_topups` (registry.py, by anyone) or granted by an admin
(`grant_topup_budget`). Without either, the factory refuses the work (`payment_required`),
so no caller can make it spend cycles it was not paid for (docs/trust.md)."""

from kybra import Principal, ic, nat32, nat64, query, update

from src.common.factory_api import FactoryUnitResult
from src.payment_backend.admins import get_settings, is_admin_text, require_admin
from src.payment_backend.factory_counters import add_count, get_count

MAX_CREDITS = 1000
MAX_GRANT_CYCLES = 100_000_000_000_000
MAX_BUDGET = 10_000_000_000_000_000  # fits the nat64 counters


def credit_key(owner_text: str) -> str:
    return "deploy_credits:" + owner_text


def budget_key(canister_text: str) -> str:
    return "topup_budget:" + canister_text


def take_deploy_payment(owner_text: str) -> "tuple":
    """Before the first `yield` of a deployment: ("admin" | "cycles" | "credit", None) for
    how it is paid (the payment is taken), else (None, `payment_required` text)."""
    if is_admin_text(ic.caller().to_str()):
        return ("admin", None)
    needed = get_settings()["deploy_cycles"]
    if ic.msg_cycles_available128() >= needed:
        ic.msg_cycles_accept128(needed)
        add_count("cycles_paid_for_deploys", needed)
        return ("cycles", None)
    if get_count(credit_key(owner_text)) > 0:
        add_count(credit_key(owner_text), -1)
        return ("credit", None)
    return (
        None,
        "payment_required: a deployment costs " + str(needed) + " cycles: attach them to the call "
        "(through a cycles wallet) or ask a factory admin for a deployment credit",
    )


def refund_deploy_payment(owner_text: str) -> None:
    """The canister was never created: the (cycles or credit) payment becomes a credit for a retry."""
    add_count(credit_key(owner_text), 1)


def take_topup(canister_text: str, amount: int) -> bool:
    """Reserve `amount` of the canister's top-up budget (before the deposit's `yield`)."""
    if get_count(budget_key(canister_text)) < amount:
        return False
    add_count(budget_key(canister_text), -amount)
    return True


def give_back_topup(canister_text: str, amount: int) -> None:
    add_count(budget_key(canister_text), amount)


@update
def grant_deployment_credits(owner: Principal, count: nat32) -> FactoryUnitResult:
    """Admins: let `owner` deploy `count` canisters on the factory's cycles."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if count == 0 or get_count(credit_key(owner.to_str())) + count > MAX_CREDITS:
        return {"Err": "invalid_argument: an owner holds between 1 and " + str(MAX_CREDITS) + " deployment credits"}
    add_count(credit_key(owner.to_str()), count)
    return {"Ok": None}


@update
def grant_topup_budget(canister_id: Principal, cycles: nat64) -> FactoryUnitResult:
    """Admins: let the cycles monitor spend up to `cycles` more factory cycles on this canister."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if cycles == 0 or cycles > MAX_GRANT_CYCLES:
        return {"Err": "invalid_argument: cycles must be between 1 and " + str(MAX_GRANT_CYCLES)}
    return add_budget(canister_id.to_str(), cycles)


def budget_room(canister_text: str) -> int:
    return MAX_BUDGET - get_count(budget_key(canister_text))


def add_budget(canister_text: str, cycles: int) -> dict:
    if cycles > budget_room(canister_text):
        return {"Err": "limit_exceeded: a top-up budget holds at most " + str(MAX_BUDGET) + " cycles"}
    add_count(budget_key(canister_text), cycles)
    return {"Ok": None}


@query
def get_deployment_credits(owner: Principal) -> nat64:
    return get_count(credit_key(owner.to_str()))


@query
def get_topup_budget(canister_id: Principal) -> nat64:
    return get_count(budget_key(canister_id.to_str()))
