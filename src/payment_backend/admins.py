"""Factory admins and settings: who may manage the factory, and the policy knobs.

Admins come from the init argument (or the installer when none is given). Every mutating
method checks its caller with one of the `require_*` helpers below and returns their error
text as `Err`; anonymous callers are refused everywhere a change is made.
"""

from kybra import (
    Opt,
    Principal,
    Record,
    StableBTreeMap,
    Variant,
    Vec,
    ic,
    nat8,
    nat32,
    nat64,
    query,
    text,
    update,
)

from src.common.factory_api import FactoryUnitResult
from src.common.validation import HOST_RE, check_text, first_error, invalid

ANONYMOUS_TEXT = "2vxsx-fae"
MAX_ADMINS = 20
MAX_CYCLES_SETTING = 1_000_000_000_000_000
# create_canister burns this from the attached cycles on a 13-node application subnet
# (dfinity/ic rs/config/src/subnet_config.rs application_subnet() @ 002d5530)
CANISTER_CREATION_FEE = 500_000_000_000


class FactorySettings(Record):
    deploy_cycles: nat64
    min_factory_cycles: nat64
    max_canisters_per_owner: nat32
    topup_threshold: nat64
    topup_amount: nat64
    monitor_interval_seconds: nat64
    base_domain: text
    xrc_canister: Opt[Principal]
    xrc_cycles: nat64
    rate_refresh_seconds: nat64
    daily_cross_merchant_limit: nat64


class FactoryInitArgs(Record):
    admins: Vec[Principal]
    settings: Opt[FactorySettings]


class FactorySettingsResult(Variant, total=False):
    Ok: FactorySettings
    Err: text


settings_map = StableBTreeMap[nat8, FactorySettings](memory_id=0, max_key_size=8, max_value_size=1024)
admins_map = StableBTreeMap[text, nat64](memory_id=1, max_key_size=100, max_value_size=24)


def default_settings() -> dict:
    """Policy used when init gives none: 2T cycles per new merchant canister (1.5T after the
    creation fee, above the top-up threshold), 5 per owner."""
    return {
        "deploy_cycles": 2_000_000_000_000,
        "min_factory_cycles": 2_000_000_000_000,
        "max_canisters_per_owner": 5,
        "topup_threshold": 500_000_000_000,
        "topup_amount": 500_000_000_000,
        "monitor_interval_seconds": 3600,
        "base_domain": "checkout.ckpayment.io",
        "xrc_canister": None,
        "xrc_cycles": 1_000_000_000,
        "rate_refresh_seconds": 600,
        "daily_cross_merchant_limit": 1_000_000,
    }


def check_settings(s: dict) -> "str | None":
    """Bounds that keep the policy meaningful (and the timers from firing absurdly often)."""
    if s["deploy_cycles"] <= CANISTER_CREATION_FEE or s["deploy_cycles"] > MAX_CYCLES_SETTING:
        return invalid("deploy_cycles", "must be above the 5e11 canister creation fee and at most 1e15")
    if s["min_factory_cycles"] > MAX_CYCLES_SETTING:
        return invalid("min_factory_cycles", "must be at most 1e15")
    if s["max_canisters_per_owner"] < 1 or s["max_canisters_per_owner"] > 1000:
        return invalid("max_canisters_per_owner", "must be between 1 and 1000")
    if s["topup_amount"] > MAX_CYCLES_SETTING or s["topup_threshold"] > MAX_CYCLES_SETTING:
        return invalid("topup_amount", "and topup_threshold must be at most 1e15")
    if s["monitor_interval_seconds"] < 60 or s["monitor_interval_seconds"] > 604800:
        return invalid("monitor_interval_seconds", "must be between 60 and 604800")
    if s["rate_refresh_seconds"] < 60 or s["rate_refresh_seconds"] > 86400:
        return invalid("rate_refresh_seconds", "must be between 60 and 86400")
    if s["xrc_cycles"] > 10_000_000_000:
        return invalid("xrc_cycles", "must be at most 1e10")
    err = check_text("base_domain", s["base_domain"], 253, 3)
    if err is not None:
        return err
    if HOST_RE.match(s["base_domain"]) is None or "." not in s["base_domain"]:
        return invalid("base_domain", "must be a host name like checkout.example.com")
    return None


def get_settings() -> dict:
    """The current settings (defaults before init stored any)."""
    stored = settings_map.get(0)
    return default_settings() if stored is None else stored


limit_memo = {}  # heap: the daily cross-merchant limit, cleared by every settings write


def daily_cross_merchant_limit() -> int:
    """get_settings()["daily_cross_merchant_limit"], read from the map once per heap (every
    one-click reservation needs it; only put_settings changes it)."""
    limit = limit_memo.get(0)
    if limit is None:
        limit = get_settings()["daily_cross_merchant_limit"]
        limit_memo[0] = limit
    return limit


def put_settings(settings: dict) -> None:
    settings_map.insert(0, settings)
    limit_memo.clear()


MAX_TEXT_MEMO = 4096
principal_texts = {}  # heap memo: principal bytes -> text (a pure function, lost on upgrade)


def principal_text_of(principal) -> str:
    """`principal.to_str()`, remembered: Kybra's to_str is a pure-Python CRC-32 and base-32
    (about 1.5M instructions), and the same callers (merchant canisters) come back."""
    key = principal.bytes
    found = principal_texts.get(key)
    if found is None:
        if len(principal_texts) >= MAX_TEXT_MEMO:
            principal_texts.clear()
        found = principal.to_str()
        principal_texts[key] = found
    return found


def caller_text() -> str:
    return principal_text_of(ic.caller())


def is_admin_text(principal_text: str) -> bool:
    return admins_map.contains_key(principal_text)


def require_authenticated() -> "str | None":
    """Error text for the anonymous principal, else None."""
    if caller_text() == ANONYMOUS_TEXT:
        return "unauthorized: anonymous callers cannot change the factory"
    return None


def require_admin() -> "str | None":
    """Error text unless the caller is a factory admin."""
    err = require_authenticated()
    if err is not None:
        return err
    if not is_admin_text(caller_text()):
        return "unauthorized: only factory admins may call this method"
    return None


def install_admins(args: dict) -> None:
    """Init: store admins (the installer if none) and settings; traps on invalid settings
    because a factory installed with a broken policy must not start."""
    settings = args["settings"]
    if settings is not None:
        err = check_settings(settings)
        if err is not None:
            ic.trap(err)
        put_settings(settings)
    admins = args["admins"]
    if len(admins) > MAX_ADMINS:
        ic.trap("invalid_argument: at most " + str(MAX_ADMINS) + " admins")
    if len(admins) == 0:
        admins = [ic.caller()]
    for admin in admins:
        if admin.to_str() != ANONYMOUS_TEXT:
            admins_map.insert(admin.to_str(), ic.time())
    if admins_map.len() == 0:
        ic.trap("invalid_argument: the factory needs at least one non-anonymous admin")


@update
def add_admin(principal: Principal) -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if principal.to_str() == ANONYMOUS_TEXT:
        return {"Err": "invalid_argument: the anonymous principal cannot be an admin"}
    if admins_map.contains_key(principal.to_str()):
        return {"Err": "already_exists: " + principal.to_str() + " is already an admin"}
    if admins_map.len() >= MAX_ADMINS:
        return {"Err": "limit_exceeded: at most " + str(MAX_ADMINS) + " admins"}
    admins_map.insert(principal.to_str(), ic.time())
    return {"Ok": None}


@update
def remove_admin(principal: Principal) -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if not admins_map.contains_key(principal.to_str()):
        return {"Err": "not_found: " + principal.to_str() + " is not an admin"}
    if admins_map.len() <= 1:
        return {"Err": "failed_precondition: the last admin cannot be removed"}
    admins_map.remove(principal.to_str())
    return {"Ok": None}


@query
def list_admins() -> Vec[Principal]:
    # Bounded by MAX_ADMINS, so walking the map is fine.
    return [Principal.from_str(key) for key in admins_map.keys()]


@query
def is_factory_admin(principal: Principal) -> bool:
    return admins_map.contains_key(principal.to_str())


@query
def get_factory_settings() -> FactorySettings:
    return get_settings()


@update
def update_factory_settings(settings: FactorySettings) -> FactorySettingsResult:
    err = first_error([require_admin(), check_settings(settings)])
    if err is not None:
        return {"Err": err}
    put_settings(settings)
    return {"Ok": settings}
