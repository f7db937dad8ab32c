"""Deploying merchant canisters: create with cycles, install through the chunk store.

Each deployment is tracked from the first moment (status creating -> installing ->
active | failed), so a failure never leaves an untracked canister: a failed deployment
keeps its canister id and quota slot until it is retried (`retry_deployment`) or cleaned
up (`cleanup_failed_deployment`). The per-owner quota slot and the cycles for the new
canister are reserved before the first `yield`, so concurrent deploys cannot overrun
either. Every deployment is paid for (billing.py), and the factory is the only controller of
the canister it creates, so the module it installed is the module that runs. `busy` is the lock any operation on one canister holds across its yields.
"""

from kybra import (
    Async,
    CallResult,
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Variant,
    ic,
    nat,
    nat32,
    nat64,
    null,
    text,
    update,
    void,
)
from kybra.canisters.management import CreateCanisterResult, management_canister

from src.common.factory_api import FactoryUnitResult
from src.common.merchant_api import MerchantConfig
from src.common.validation import check_email, check_symbol, check_text, check_url, first_error
from src.payment_backend.admins import (
    ANONYMOUS_TEXT,
    get_settings,
    is_admin_text,
    require_authenticated,
)
from src.payment_backend.billing import refund_deploy_payment, take_deploy_payment
from src.payment_backend.blocklist import is_blocked
from src.payment_backend.chunk_store import install_version
from src.payment_backend.factory_counters import add_count, get_count, next_seq, set_count
from src.payment_backend.merchant_init import encode_merchant_init
from src.payment_backend.shard_assignment import assign_new_merchant
from src.payment_backend.wasm_store import default_version, get_ready_version, note_version_use

MAX_TOKENS = 10
STATUSES = ("creating", "installing", "active", "failed", "deleted")


class DeploymentStatus(Variant, total=False):
    creating: null
    installing: null
    active: null
    failed: null
    deleted: null


class UserCanisterConfig(Record):
    owner: Opt[Principal]
    version: Opt[text]
    merchant: MerchantConfig


class UserCanister(Record):
    deployment_id: text
    canister_id: Opt[Principal]
    owner: Principal
    routing_key: text
    status: DeploymentStatus
    version: Opt[text]
    previous_version: Opt[text]
    target_version: text
    merchant: MerchantConfig
    error: Opt[text]
    attempts: nat32
    busy: bool
    one_click: bool
    created_at: nat64
    updated_at: nat64
    cycles: Opt[nat]
    cycles_checked_at: Opt[nat64]
    seq: nat64
    owner_seq: nat64


class UserCanisterResult(Variant, total=False):
    Ok: UserCanister
    Err: text


deployments_map = StableBTreeMap[text, UserCanister](memory_id=20, max_key_size=40, max_value_size=8192)
canister_index_map = StableBTreeMap[text, text](memory_id=21, max_key_size=100, max_value_size=40)
deployment_seq_map = StableBTreeMap[nat64, text](memory_id=22, max_key_size=24, max_value_size=40)
owner_index_map = StableBTreeMap[text, text](memory_id=23, max_key_size=140, max_value_size=40)
routing_map = StableBTreeMap[text, text](memory_id=24, max_key_size=40, max_value_size=100)


def status_name(rec: dict) -> str:
    for name in STATUSES:
        if name in rec["status"]:
            return name
    return "unknown"


def set_status(rec: dict, name: str) -> None:
    add_count("status:" + status_name(rec), -1)
    add_count("status:" + name, 1)
    rec["status"] = {name: None}


def save(rec: dict) -> None:
    rec["updated_at"] = ic.time()
    deployments_map.insert(rec["deployment_id"], rec)


def owner_key(owner_text: str, seq: int) -> str:
    return owner_text + "#" + str(seq).zfill(20)


def routing_key_for(seq: int) -> str:
    """A short unique routing key: 'm' + the deployment seq in base 36."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    n = seq
    while n > 0:
        out = digits[n % 36] + out
        n = n // 36
    return "m" + out


def record_by_canister(canister_text: str) -> "dict | None":
    dep_id = canister_index_map.get(canister_text)
    return None if dep_id is None else deployments_map.get(dep_id)


def find_merchant(canister_id: Principal) -> "tuple":
    """(record, None) for a canister this factory deployed, else (None, not_found text)."""
    rec = record_by_canister(canister_id.to_str())
    if rec is None:
        return (None, "not_found: " + canister_id.to_str() + " is not a merchant canister of this factory")
    return (rec, None)


def find_merchant_signed_in(canister_id: Principal) -> "tuple":
    """find_merchant for a signed-in caller: (record, None) or (None, error)."""
    err = require_authenticated()
    if err is not None:
        return (None, err)
    return find_merchant(canister_id)


def is_active_merchant(canister_text: str) -> bool:
    """True for an active canister this factory deployed and alone controls: only then does
    it run a module the factory installed (docs/trust.md). A canister created while owners
    were co-controllers is not believed until `secure_user_canister` checked its module."""
    return is_active_record(record_by_canister(canister_text), canister_text)


def is_active_record(rec: "dict | None", canister_text: str) -> bool:
    """is_active_merchant of a record the caller already read."""
    return rec is not None and "active" in rec["status"] and get_count(SOLE_CONTROL + canister_text) == 1


def is_sole_controlled(canister_text: str) -> bool:
    """is_active_merchant for a canister known to have been active (a shard's merchant is
    assigned only once active, and nothing moves an active deployment to another status):
    only the sole-control check can change since."""
    return get_count(SOLE_CONTROL + canister_text) == 1


SOLE_CONTROL = "sole_control:"  # counter: 1 while the factory is the canister's only controller
PAID = "deploy_paid:"  # counter: 1 while a deployment's payment (cycles or credit) is unspent


def can_manage(rec: dict) -> bool:
    """The canister's owner or a factory admin."""
    caller = ic.caller().to_str()
    return caller == rec["owner"].to_str() or is_admin_text(caller)


def check_merchant_config(cfg: dict) -> "str | None":
    errors = [
        check_text("merchant.name", cfg["name"], 100, 1),
        None if cfg["website"] is None else check_url("merchant.website", cfg["website"]),
        None if cfg["support_email"] is None else check_email("merchant.support_email", cfg["support_email"]),
    ]
    err = first_error(errors)
    if err is not None:
        return err
    if len(cfg["tokens"]) > MAX_TOKENS:
        return "invalid_argument: merchant.tokens has more than " + str(MAX_TOKENS) + " entries"
    seen = set()
    for token in cfg["tokens"]:
        err = check_symbol("merchant.tokens symbol", token["symbol"])
        if err is not None:
            return err
        if token["symbol"] in seen:
            return "invalid_argument: merchant.tokens lists " + token["symbol"] + " twice"
        seen.add(token["symbol"])
    return None


def cycles_available(settings: dict) -> int:
    """Factory cycles not yet promised to in-flight creations, above the reserve."""
    return ic.canister_balance128() - get_count("cycles_reserved") - settings["min_factory_cycles"]


def clip(message: str) -> str:
    """Error texts from the IC (traps, rejects) are stored clipped to fit the records."""
    return message if len(message) <= 1000 else message[:997] + "..."


def fail(dep_id: str, message: str) -> dict:
    message = clip(message)
    rec = deployments_map.get(dep_id)
    set_status(rec, "failed")
    rec["error"] = message
    rec["busy"] = False
    save(rec)
    ic.print("deployment " + dep_id + " failed: " + message)
    return {
        "Err": message + " (deployment " + dep_id + " is kept as failed: retry_deployment or cleanup_failed_deployment)"
    }


def create_funded_canister():
    """A new canister funded with `deploy_cycles` (reserved before the yield) whose only
    controller is this factory (a generator): (canister id, '') or (None, error text)."""
    settings = get_settings()
    cycles = settings["deploy_cycles"]
    if cycles_available(settings) < cycles:
        return (None, "insufficient_cycles: the factory cannot fund a new canister now")
    add_count("cycles_reserved", cycles)
    result: CallResult[CreateCanisterResult] = yield management_canister.create_canister(
        {
            "settings": {
                "controllers": [ic.id()],  # the factory alone: owners act through its methods
                "compute_allocation": None,
                "memory_allocation": None,
                "freezing_threshold": None,
            }
        }
    ).with_cycles128(cycles)
    add_count("cycles_reserved", -cycles)
    if result.Err is not None:
        return (None, "create_failed: " + result.Err)
    add_count("cycles_spent_on_deploys", cycles)
    return (result.Ok["canister_id"], "")


def create_step(dep_id: str) -> Async[text]:
    """Creates the merchant's canister; '' or the error."""
    canister_id, err = yield create_funded_canister()
    if err != "":
        return err
    set_count(PAID + dep_id, 0)
    set_count(SOLE_CONTROL + canister_id.to_str(), 1)
    rec = deployments_map.get(dep_id)
    rec["canister_id"] = canister_id
    set_status(rec, "installing")
    save(rec)
    canister_index_map.insert(canister_id.to_str(), dep_id)
    routing_map.insert(rec["routing_key"], canister_id.to_str())
    return ""


def run_deployment(dep_id: str) -> Async[UserCanisterResult]:
    """Create (if needed) and install; the record is locked (busy) by the caller."""
    rec = deployments_map.get(dep_id)
    if rec["canister_id"] is None:
        err = yield create_step(dep_id)
        if err != "":
            if get_count(PAID + dep_id) == 1:  # the payment was not spent: a credit for the retry
                set_count(PAID + dep_id, 0)
                refund_deploy_payment(rec["owner"].to_str())
            return fail(dep_id, err)
    rec = deployments_map.get(dep_id)
    if "installing" not in rec["status"]:
        set_status(rec, "installing")
        save(rec)
    arg, err = encode_merchant_init([rec["owner"].to_str()], rec["routing_key"], rec["merchant"])
    if err is not None:
        return fail(dep_id, err)
    mode = {"install": None} if rec["attempts"] <= 1 else {"reinstall": None}
    err = yield install_version(rec["canister_id"], rec["target_version"], mode, arg)
    if err != "":
        return fail(dep_id, "install_failed: " + err)
    rec = deployments_map.get(dep_id)
    rec["version"] = rec["target_version"]
    rec["error"] = None
    rec["busy"] = False
    set_status(rec, "active")
    save(rec)
    note_version_use(rec["version"], 1)
    yield assign_new_merchant(rec["canister_id"])
    return {"Ok": deployments_map.get(dep_id)}


@update
def deploy_user_payment_canister(config: UserCanisterConfig) -> Async[UserCanisterResult]:
    err = require_authenticated()
    if err is not None:
        return {"Err": err}
    caller = ic.caller()
    owner = caller
    if config["owner"] is not None and config["owner"].to_str() != caller.to_str():
        if not is_admin_text(caller.to_str()):
            return {"Err": "unauthorized: only admins may deploy for another owner"}
        owner = config["owner"]
    owner_text = owner.to_str()
    if owner_text == ANONYMOUS_TEXT:
        return {"Err": "invalid_argument: the owner cannot be anonymous"}
    if is_blocked(owner_text) or is_blocked(caller.to_str()):
        return {"Err": "blocked: this principal is on the global blocklist"}
    err = check_merchant_config(config["merchant"])
    if err is not None:
        return {"Err": err}
    version = config["version"] if config["version"] is not None else default_version()
    if version is None:
        return {"Err": "failed_precondition: no wasm version is uploaded yet"}
    _, err = get_ready_version(version)
    if err is not None:
        return {"Err": err}
    settings = get_settings()
    if get_count("owner_slots:" + owner_text) >= settings["max_canisters_per_owner"]:
        return {
            "Err": "quota_exceeded: "
            + owner_text
            + " already has "
            + str(settings["max_canisters_per_owner"])
            + " merchant canisters"
        }
    if (
        cycles_available(settings) < settings["deploy_cycles"]
        and ic.msg_cycles_available128() < settings["deploy_cycles"]
    ):
        return {"Err": "insufficient_cycles: the factory cannot fund a new canister now"}
    # Everything below up to the first yield runs atomically: take the payment, reserve the slot.
    paid_by, err = take_deploy_payment(owner_text)
    if err is not None:
        return {"Err": err}
    add_count("owner_slots:" + owner_text, 1)
    seq = next_seq("deployments")
    owner_seq = next_seq("owner:" + owner_text)
    dep_id = "dep_" + str(seq)
    now = ic.time()
    rec = {
        "deployment_id": dep_id,
        "canister_id": None,
        "owner": owner,
        "routing_key": routing_key_for(seq),
        "status": {"creating": None},
        "version": None,
        "previous_version": None,
        "target_version": version,
        "merchant": config["merchant"],
        "error": None,
        "attempts": 1,
        "busy": True,
        "one_click": False,
        "created_at": now,
        "updated_at": now,
        "cycles": None,
        "cycles_checked_at": None,
        "seq": seq,
        "owner_seq": owner_seq,
    }
    add_count("status:creating", 1)
    set_count(PAID + dep_id, 0 if paid_by == "admin" else 1)
    deployments_map.insert(dep_id, rec)
    deployment_seq_map.insert(seq, dep_id)
    owner_index_map.insert(owner_key(owner_text, owner_seq), dep_id)
    result = yield run_deployment(dep_id)
    return result


def load_failed_for_change(deployment_id: str, action: str) -> "tuple":
    """(record, None) when the caller is signed in and may manage this failed, unlocked
    deployment; `action` names what is refused for a deployment that has not failed."""
    err = require_authenticated()
    if err is not None:
        return (None, err)
    if not isinstance(deployment_id, str) or len(deployment_id) > 30 or not deployment_id.startswith("dep_"):
        return (None, "invalid_argument: deployment_id must look like dep_<n>")
    rec = deployments_map.get(deployment_id)
    if rec is None:
        return (None, "not_found: deployment " + deployment_id + " does not exist")
    if not can_manage(rec):
        return (None, "unauthorized: only the owner or an admin may change this deployment")
    if rec["busy"]:
        return (None, "busy: another operation on " + deployment_id + " is in progress")
    if "failed" not in rec["status"]:
        return (None, "failed_precondition: only failed deployments can be " + action)
    return (rec, None)


@update
def retry_deployment(deployment_id: text, version: Opt[text]) -> Async[UserCanisterResult]:
    """Retries a failed deployment, optionally with another (e.g. fixed) version."""
    rec, err = load_failed_for_change(deployment_id, "retried")
    if err is not None:
        return {"Err": err}
    if is_blocked(rec["owner"].to_str()):
        return {"Err": "blocked: the owner is on the global blocklist"}
    target = rec["target_version"] if version is None else version
    _, err = get_ready_version(target)
    if err is not None:
        return {"Err": err}
    rec["target_version"] = target
    if rec["canister_id"] is None:  # the canister is created again: paid again (a failed create left a credit)
        if cycles_available(get_settings()) < get_settings()["deploy_cycles"]:
            return {"Err": "insufficient_cycles: the factory cannot fund a new canister now"}
        paid_by, err = take_deploy_payment(rec["owner"].to_str())
        if err is not None:
            return {"Err": err}
        set_count(PAID + deployment_id, 0 if paid_by == "admin" else 1)
    rec["busy"] = True
    rec["attempts"] = rec["attempts"] + 1
    rec["error"] = None
    set_status(rec, "creating" if rec["canister_id"] is None else "installing")
    save(rec)
    result = yield run_deployment(deployment_id)
    return result


@update
def cleanup_failed_deployment(deployment_id: text) -> Async[FactoryUnitResult]:
    rec, err = load_failed_for_change(deployment_id, "cleaned up")
    if err is not None:
        return {"Err": err}
    canister_id = rec["canister_id"]
    if canister_id is not None:
        rec["busy"] = True
        save(rec)
        stopped: CallResult[void] = yield management_canister.stop_canister({"canister_id": canister_id})
        deleted = stopped
        if stopped.Err is None:
            deleted = yield management_canister.delete_canister({"canister_id": canister_id})
        rec = deployments_map.get(deployment_id)
        rec["busy"] = False
        if deleted.Err is not None:
            rec["error"] = clip("cleanup_failed: " + deleted.Err)
            save(rec)
            return {"Err": "cleanup_failed: " + deleted.Err}
        canister_index_map.remove(canister_id.to_str())
        routing_map.remove(rec["routing_key"])
    set_status(rec, "deleted")
    rec["error"] = None
    save(rec)
    add_count("owner_slots:" + rec["owner"].to_str(), -1)
    return {"Ok": None}
