"""Component registry (seed feature 3): versioned embeddable components and their CDN URLs.

Versions are immutable once deployed; the latest version of each component is kept in its
own map so listings read one record per component. Usage is reported by merchant canisters
(`track_component_usage`) and counted per component.
"""

import re

from kybra import Opt, Principal, Record, StableBTreeMap, Variant, Vec, ic, nat32, nat64, query, text, update

from src.common.factory_api import (
    FactoryTextResult,
    FactoryUnitResult,
    GlobalNat64Entry,
)
from src.common.pagination import page_desc
from src.common.validation import check_slug, check_text, check_url, first_error
from src.payment_backend.admins import require_admin
from src.payment_backend.factory_counters import add_count, get_count, next_seq, top_seq
from src.payment_backend.merchant_callers import require_merchant_canister

SEMVER_RE = re.compile(
    r"^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(?:-[A-Za-z0-9.]{1,20})?\Z"
)  # \Z: `$` matches before a final newline
MAX_FRAMEWORKS = 10


class ComponentDefinition(Record):
    component_id: text
    name: text
    version: text
    cdn_url: text
    documentation_url: text
    compatibility: Vec[text]


class ComponentStats(Record):
    component_id: text
    latest_version: text
    versions: nat64
    usage: nat64


class ComponentDefinitionPage(Record):
    items: Vec[ComponentDefinition]
    next_cursor: Opt[text]


class ComponentDefinitionPageResult(Variant, total=False):
    Ok: ComponentDefinitionPage
    Err: text


component_versions_map = StableBTreeMap[text, ComponentDefinition](memory_id=70, max_key_size=160, max_value_size=8192)
component_latest_map = StableBTreeMap[text, text](memory_id=71, max_key_size=80, max_value_size=60)
component_seq_map = StableBTreeMap[nat64, text](memory_id=72, max_key_size=24, max_value_size=80)
component_version_idx_map = StableBTreeMap[text, text](memory_id=73, max_key_size=120, max_value_size=60)


def version_key(component_id: str, version: str) -> str:
    return component_id + "@" + version


def check_component(c: dict) -> "str | None":
    err = first_error(
        [
            check_slug("component_id", c["component_id"]),
            check_text("name", c["name"], 100, 1),
            check_url("cdn_url", c["cdn_url"]),  # http only for localhost: localnet's asset canisters
            check_url("documentation_url", c["documentation_url"], False),
        ]
    )
    if err is not None:
        return err
    if SEMVER_RE.match(c["version"]) is None:
        return "invalid_argument: version must be semantic like 1.2.3 or 1.2.3-beta.1"
    if len(c["compatibility"]) > MAX_FRAMEWORKS:
        return "invalid_argument: compatibility lists at most " + str(MAX_FRAMEWORKS) + " frameworks"
    for framework in c["compatibility"]:
        err = check_slug("compatibility entry", framework)
        if err is not None:
            return err
    return None


def semver_tuple(version: str) -> tuple:
    core = version.split("-")[0].split(".")
    return (int(core[0]), int(core[1]), int(core[2]), 0 if "-" in version else 1)


@update
def deploy_component_version(component: ComponentDefinition) -> FactoryUnitResult:
    err = first_error([require_admin(), check_component(component)])
    if err is not None:
        return {"Err": err}
    cid = component["component_id"]
    key = version_key(cid, component["version"])
    if component_versions_map.contains_key(key):
        return {"Err": "already_exists: " + key + " is deployed; versions are immutable"}
    component_versions_map.insert(key, component)
    latest = component_latest_map.get(cid)
    if latest is None:
        component_seq_map.insert(next_seq("components"), cid)
    if latest is None or semver_tuple(component["version"]) > semver_tuple(latest):
        component_latest_map.insert(cid, component["version"])
    n = next_seq("component_versions:" + cid)
    component_version_idx_map.insert(cid + "#" + str(n).zfill(6), component["version"])
    return {"Ok": None}


def latest_page(cursor: "str | None", limit: int) -> "tuple":
    def lookup(seq: int):
        cid = component_seq_map.get(seq)
        version = None if cid is None else component_latest_map.get(cid)
        return None if version is None else component_versions_map.get(version_key(cid, version))

    return page_desc(lookup, top_seq("components"), cursor, limit)


@query
def get_available_components() -> Vec[ComponentDefinition]:
    items, _, _ = latest_page(None, 100)
    return items


@query
def get_available_components_page(cursor: Opt[text], limit: nat32) -> ComponentDefinitionPageResult:
    items, next_cursor, err = latest_page(cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"items": items, "next_cursor": next_cursor}}


@query
def list_component_versions(component_id: text) -> Vec[text]:
    if check_slug("component_id", component_id) is not None:
        return []
    out = []
    n = top_seq("component_versions:" + component_id)
    while n >= 1 and len(out) < 100:
        version = component_version_idx_map.get(component_id + "#" + str(n).zfill(6))
        if version is not None:
            out.append(version)
        n -= 1
    return out


@query
def get_component_cdn_url(component_id: text, version: text) -> FactoryTextResult:
    err = check_slug("component_id", component_id)
    if err is not None:
        return {"Err": err}
    wanted = version
    if version == "latest":
        wanted = component_latest_map.get(component_id)
        if wanted is None:
            return {"Err": "not_found: component " + component_id + " does not exist"}
    if len(wanted) > 40:
        return {"Err": "invalid_argument: version is too long"}
    component = component_versions_map.get(version_key(component_id, wanted))
    if component is None:
        return {"Err": "not_found: " + version_key(component_id, wanted) + " is not deployed"}
    return {"Ok": component["cdn_url"]}


@update
def track_component_usage(component_id: text, canister_id: Principal) -> FactoryUnitResult:
    err = require_merchant_canister()
    if err is not None:
        return {"Err": err}
    if ic.caller().to_str() != canister_id.to_str():
        return {"Err": "unauthorized: a merchant canister can only report its own usage"}
    err = check_slug("component_id", component_id)
    if err is not None:
        return {"Err": err}
    if not component_latest_map.contains_key(component_id):
        return {"Err": "not_found: component " + component_id + " does not exist"}
    add_count("component_usage:" + component_id, 1)
    add_count("component_usage_total", 1)
    return {"Ok": None}


@query
def get_component_usage_stats() -> Vec[GlobalNat64Entry]:
    out = []
    seq = top_seq("components")
    while seq >= 1 and len(out) < 100:
        cid = component_seq_map.get(seq)
        if cid is not None:
            out.append({"key": cid, "value": get_count("component_usage:" + cid)})
        seq -= 1
    return out


@query
def get_component_stats(component_id: text) -> Opt[ComponentStats]:
    latest = component_latest_map.get(component_id) if len(component_id) <= 64 else None
    if latest is None:
        return None
    return {
        "component_id": component_id,
        "latest_version": latest,
        "versions": top_seq("component_versions:" + component_id),
        "usage": get_count("component_usage:" + component_id),
    }
