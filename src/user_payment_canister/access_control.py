"""Who may do what: owners (init argument, then managed by owners), server principals the
owners authorize for server-side calls (like Stripe secret keys), and the factory.
The table in docs/merchant.md lists the rule of every method; the checks are here."""

from kybra import Principal, ic, query, text, update

from src.common.validation import check_text
from src.user_payment_canister.merchant_store import merchant_state, owners_map, servers_map
from src.user_payment_canister.merchant_types import AccessOverviewResult, MerchantUnitResult

ANONYMOUS = "2vxsx-fae"
MAX_OWNERS = 10
MAX_SERVERS = 20


def caller_text() -> str:
    return ic.caller().to_str()


def is_owner(principal_text: str) -> bool:
    return owners_map.contains_key(principal_text)


def is_staff(principal_text: str) -> bool:
    """Owners and the server principals they authorized."""
    return owners_map.contains_key(principal_text) or servers_map.contains_key(principal_text)


def is_factory(principal_text: str) -> bool:
    factory = merchant_state()["factory"]
    return factory is not None and factory.to_str() == principal_text


def require_owner(action: str) -> "str | None":
    """None if the caller is an owner, else the `unauthorized:` error text."""
    who = caller_text()
    if is_owner(who):
        return None
    return "unauthorized: only an owner may " + action + " (caller " + who + ")"


def require_staff(action: str) -> "str | None":
    """None if the caller is an owner or an authorized server principal."""
    who = caller_text()
    if is_staff(who):
        return None
    return "unauthorized: only an owner or an authorized server principal may " + action + " (caller " + who + ")"


def require_signed_in(action: str) -> "str | None":
    """None unless the caller is anonymous."""
    if caller_text() == ANONYMOUS:
        return "unauthorized: anonymous callers may not " + action
    return None


def principal_error(field: str, principal: Principal) -> "str | None":
    """Owners and server principals must be real identities, never anonymous."""
    if principal.to_str() == ANONYMOUS:
        return "invalid_argument: " + field + " must not be the anonymous principal"
    return None


@update
def add_owner(principal: Principal) -> MerchantUnitResult:
    err = require_owner("add owners") or principal_error("principal", principal)
    if err is not None:
        return {"Err": err}
    key = principal.to_str()
    if owners_map.contains_key(key):
        return {"Err": "already_exists: " + key + " is already an owner"}
    if owners_map.len() >= MAX_OWNERS:
        return {"Err": "limit_exceeded: at most " + str(MAX_OWNERS) + " owners"}
    owners_map.insert(key, principal)
    return {"Ok": None}


@update
def remove_owner(principal: Principal) -> MerchantUnitResult:
    err = require_owner("remove owners")
    if err is not None:
        return {"Err": err}
    key = principal.to_str()
    if not owners_map.contains_key(key):
        return {"Err": "not_found: " + key + " is not an owner"}
    if owners_map.len() <= 1:
        return {"Err": "conflict: the last owner cannot be removed"}
    owners_map.remove(key)
    return {"Ok": None}


@update
def authorize_server_principal(principal: Principal, label: text) -> MerchantUnitResult:
    err = require_owner("authorize server principals") or principal_error("principal", principal)
    err = err or check_text("label", label, 64, 1)
    if err is not None:
        return {"Err": err}
    key = principal.to_str()
    if servers_map.contains_key(key):
        return {"Err": "already_exists: " + key + " is already authorized"}
    if servers_map.len() >= MAX_SERVERS:
        return {"Err": "limit_exceeded: at most " + str(MAX_SERVERS) + " server principals"}
    servers_map.insert(key, {"principal_id": principal, "label": label, "added_by": ic.caller(), "added_at": ic.time()})
    return {"Ok": None}


@update
def revoke_server_principal(principal: Principal) -> MerchantUnitResult:
    err = require_owner("revoke server principals")
    if err is not None:
        return {"Err": err}
    key = principal.to_str()
    if servers_map.remove(key) is None:
        return {"Err": "not_found: " + key + " is not an authorized server principal"}
    return {"Ok": None}


@query
def get_access_overview() -> AccessOverviewResult:
    err = require_staff("read the access settings")
    if err is not None:
        return {"Err": err}
    state = merchant_state()
    return {
        "Ok": {
            "owners": owners_map.values(),
            "servers": servers_map.values(),
            "factory": state["factory"],
            "routing_key": state["routing_key"],
            "name": state["name"],
        }
    }
