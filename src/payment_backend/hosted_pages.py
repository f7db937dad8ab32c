"""Hosted checkout pages (seed feature 2): domains, page templates and routing.

A session id is `cs_<routing_key>_<random>` (src/common/ids.py) and every merchant canister
gets its routing key at deployment, so `resolve_hosted_page_route` answers with one map
lookup. Custom domains map to one canister each, both ways, so both lookups are O(log n).
Certificates for custom domains are issued by the IC boundary nodes once the merchant has
set the DNS records; the factory tracks each domain's state (pending_dns -> active) as
reported by an admin after the boundary-node registration succeeded.
"""

from kybra import Principal, Record, StableBTreeMap, Variant, Vec, float64, ic, nat8, nat64, query, text, update

from src.common.factory_api import FactoryUnitResult, ModalTheme
from src.common.ids import session_routing_key
from src.common.pagination import page_desc
from src.common.validation import HOST_RE, check_slug, check_text, first_error
from src.payment_backend.admins import get_settings, require_admin
from src.payment_backend.deployments import can_manage, find_merchant_signed_in, routing_map
from src.payment_backend.factory_counters import add_count, get_count, next_seq, top_seq
from src.payment_backend.templates import check_theme

DOMAIN_STATES = ("pending_dns", "active", "failed")


class CustomDomainEntry(Record):
    key: Principal
    value: text


class RoutingRule(Record):
    rule_id: text
    path_prefix: text
    target: text


class SubdomainConfig(Record):
    base_domain: text
    custom_domains: Vec[CustomDomainEntry]
    routing_rules: Vec[RoutingRule]


class SSLCertificate(Record):
    domain: text
    canister_id: Principal
    status: text
    requested_at: nat64
    updated_at: nat64


class PageTemplate(Record):
    template_id: text
    name: text
    description: text
    layout: text
    theme: ModalTheme
    created_at: nat64


class HostedPageMetrics(Record):
    routable_merchants: nat64
    custom_domains: nat64
    active_certificates: nat64
    page_templates: nat64
    hosted_page_views: nat64
    sessions_created: nat64
    sessions_completed: nat64
    completion_rate: float64


class HostedPageInfrastructure(Record):
    subdomain_config: SubdomainConfig
    ssl_certificates: Vec[SSLCertificate]
    global_page_templates: Vec[PageTemplate]
    system_performance: HostedPageMetrics


class PrincipalResult(Variant, total=False):
    Ok: Principal
    Err: text


class RoutingRules(Record):
    rules: Vec[RoutingRule]


domains_map = StableBTreeMap[text, SSLCertificate](memory_id=50, max_key_size=300, max_value_size=1024)
canister_domain_map = StableBTreeMap[text, text](memory_id=51, max_key_size=100, max_value_size=300)
domain_seq_map = StableBTreeMap[nat64, text](memory_id=52, max_key_size=24, max_value_size=300)
page_templates_map = StableBTreeMap[nat64, PageTemplate](memory_id=53, max_key_size=24, max_value_size=2048)
routing_rules_map = StableBTreeMap[nat8, RoutingRules](memory_id=54, max_key_size=8, max_value_size=8192)


def default_rules() -> list:
    return [
        {"rule_id": "session", "path_prefix": "/pay/cs_", "target": "merchant canister of the session's routing key"},
        {"rule_id": "domain", "path_prefix": "/", "target": "merchant canister of the custom domain"},
    ]


def check_domain(domain: str) -> "str | None":
    err = check_text("domain", domain, 253, 4)
    if err is not None:
        return err
    if domain != domain.lower():
        return "invalid_argument: domain must be lower case"
    labels = domain.split(".")
    if len(labels) < 2 or HOST_RE.match(domain) is None or labels[-1].isdigit():
        return "invalid_argument: domain must be a host name like pay.example.com"
    base = get_settings()["base_domain"]
    if domain == base or domain.endswith("." + base):
        return "invalid_argument: domains under " + base + " are assigned by the factory"
    return None


@update
def configure_hosted_infrastructure() -> FactoryUnitResult:
    """Installs the default routing rules and the built-in page templates once."""
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if routing_rules_map.get(0) is None:
        routing_rules_map.insert(0, {"rules": default_rules()})
    if top_seq("page_templates") == 0:
        theme = {
            "primary_color": "#635bff",
            "background_color": "#ffffff",
            "text_color": "#1a1f36",
            "font_family": "Inter, sans-serif",
            "border_radius": 8,
            "dark_mode": False,
        }
        for name, layout in (("Classic", "single_column"), ("Split", "two_column")):
            add_page_template(name, "Built-in " + layout + " checkout page", layout, theme)
    return {"Ok": None}


def add_page_template(name: str, description: str, layout: str, theme: dict) -> str:
    seq = next_seq("page_templates")
    template_id = "pt_" + str(seq)
    page_templates_map.insert(
        seq,
        {
            "template_id": template_id,
            "name": name,
            "description": description,
            "layout": layout,
            "theme": theme,
            "created_at": ic.time(),
        },
    )
    return template_id


@update
def add_hosted_page_template(name: text, description: text, layout: text, theme: ModalTheme) -> FactoryUnitResult:
    err = first_error(
        [
            require_admin(),
            check_text("name", name, 100, 1),
            check_text("description", description, 500),
            check_slug("layout", layout),
            check_theme(theme),
        ]
    )
    if err is not None:
        return {"Err": err}
    add_page_template(name, description, layout, theme)
    return {"Ok": None}


@update
def update_routing_rules(rules: Vec[RoutingRule]) -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if len(rules) > 20:
        return {"Err": "invalid_argument: at most 20 routing rules"}
    for rule in rules:
        err = first_error(
            [
                check_slug("rule_id", rule["rule_id"]),
                check_text("path_prefix", rule["path_prefix"], 100, 1),
                check_text("target", rule["target"], 200, 1),
            ]
        )
        if err is not None:
            return {"Err": err}
        if not rule["path_prefix"].startswith("/"):
            return {"Err": "invalid_argument: path_prefix must start with /"}
    routing_rules_map.insert(0, {"rules": rules})
    return {"Ok": None}


@update
def add_custom_domain(canister_id: Principal, domain: text) -> FactoryUnitResult:
    rec, err = find_merchant_signed_in(canister_id)
    if err is not None:
        return {"Err": err}
    if not can_manage(rec):
        return {"Err": "unauthorized: only the owner or an admin may set this canister's domain"}
    err = check_domain(domain)
    if err is not None:
        return {"Err": err}
    existing = domains_map.get(domain)
    if existing is not None:
        if existing["canister_id"].to_str() == canister_id.to_str():
            return {"Err": "already_exists: " + domain + " already points to this canister"}
        return {"Err": "already_exists: " + domain + " is used by another merchant"}
    old = canister_domain_map.get(canister_id.to_str())
    if old is not None:
        old_entry = domains_map.remove(old)
        if old_entry is not None and old_entry["status"] == "active":
            add_count("active_certificates", -1)
        add_count("custom_domains", -1)
    now = ic.time()
    domains_map.insert(
        domain,
        {
            "domain": domain,
            "canister_id": canister_id,
            "status": "pending_dns",
            "requested_at": now,
            "updated_at": now,
        },
    )
    canister_domain_map.insert(canister_id.to_str(), domain)
    domain_seq_map.insert(next_seq("domains"), domain)
    add_count("custom_domains", 1)
    return {"Ok": None}


@update
def set_custom_domain_status(domain: text, status: text) -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    if status not in DOMAIN_STATES:
        return {"Err": "invalid_argument: status must be one of " + ", ".join(DOMAIN_STATES)}
    entry = domains_map.get(domain) if len(domain) <= 253 else None
    if entry is None:
        return {"Err": "not_found: domain " + domain + " is not registered"}
    if entry["status"] != status:
        if entry["status"] == "active":
            add_count("active_certificates", -1)
        if status == "active":
            add_count("active_certificates", 1)
    entry["status"] = status
    entry["updated_at"] = ic.time()
    domains_map.insert(domain, entry)
    return {"Ok": None}


@query
def resolve_hosted_page_route(session_id: text) -> PrincipalResult:
    key = session_routing_key(session_id)
    if key is None:
        return {"Err": "invalid_argument: session_id must look like cs_<routing_key>_<32 hex>"}
    canister = routing_map.get(key)
    if canister is None:
        return {"Err": "not_found: no merchant canister has routing key " + key}
    return {"Ok": Principal.from_str(canister)}


@query
def resolve_custom_domain(domain: text) -> PrincipalResult:
    entry = domains_map.get(domain) if len(domain) <= 253 else None
    if entry is None:
        return {"Err": "not_found: domain " + domain + " is not registered"}
    return {"Ok": entry["canister_id"]}


def recent_domains(limit: int) -> list:
    def lookup(seq: int):
        domain = domain_seq_map.get(seq)
        entry = None if domain is None else domains_map.get(domain)
        # the index keeps replaced domains; skip entries that moved on
        return entry if entry is not None and entry["domain"] == domain else None

    items, _, _ = page_desc(lookup, top_seq("domains"), None, limit)
    return items


def newest_page_templates() -> list:
    """The newest 100 page templates (admin-made, so few)."""
    out = []
    seq = top_seq("page_templates")
    while seq >= 1 and len(out) < 100:
        entry = page_templates_map.get(seq)
        if entry is not None:
            out.append(entry)
        seq -= 1
    return out


@query
def get_hosted_page_templates() -> Vec[PageTemplate]:
    return newest_page_templates()


def hosted_metrics() -> dict:
    created = get_count("metric:sessions_created")
    completed = get_count("metric:sessions_completed")
    return {
        "routable_merchants": routing_map.len(),
        "custom_domains": get_count("custom_domains"),
        "active_certificates": get_count("active_certificates"),
        "page_templates": top_seq("page_templates"),
        "hosted_page_views": get_count("metric:hosted_page_views"),
        "sessions_created": created,
        "sessions_completed": completed,
        "completion_rate": 0.0 if created == 0 else completed / created,
    }


@query
def get_system_hosted_metrics() -> HostedPageMetrics:
    return hosted_metrics()


@query
def get_hosted_infrastructure() -> HostedPageInfrastructure:
    certs = recent_domains(100)
    stored = routing_rules_map.get(0)
    return {
        "subdomain_config": {
            "base_domain": get_settings()["base_domain"],
            "custom_domains": [{"key": c["canister_id"], "value": c["domain"]} for c in certs],
            "routing_rules": default_rules() if stored is None else stored["rules"],
        },
        "ssl_certificates": certs,
        "global_page_templates": newest_page_templates(),
        "system_performance": hosted_metrics(),
    }
