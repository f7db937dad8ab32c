"""Modal builder (seed feature 1): the merchant's checkout modal configurations, their
funnel counters (views -> sessions -> payments, updated incrementally) and the embed code.
A modal may name a factory template; its use is reported to the factory best effort."""

from kybra import Async, Opt, ic, nat32, query, text, update

from src.common.ids import check_id, random_hex
from src.common.pagination import page_by_key
from src.common.validation import (
    check_color,
    check_font,
    check_opt_text,
    check_range,
    check_slug,
    check_symbol,
    check_text,
    check_url,
    first_error,
)
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.embed_snippets import modal_snippet
from src.user_payment_canister.factory_link import fetch_template, report_template_usage, script_url
from src.user_payment_canister.merchant_analytics import on_modal_view  # services hook
from src.user_payment_canister.merchant_store import bump, copy_record, merchant_state, modal_counters_map, modals_map
from src.user_payment_canister.merchant_types import (
    MerchantTextResult,
    MerchantUnitResult,
    ModalAnalyticsResult,
    ModalConfig,
    ModalConfigResult,
    ModalPageResult,
    RedirectUrls,
)
from src.user_payment_canister.rate_limits import take

MAX_MODALS = 100
# A page of modals is at most 20 x modals_map's max_value_size (48,000 B) = 960 kB, under the
# IC's 2 MiB reply limit (docs/kybra.md "Message limits"); all 100 at once could be 4.8 MB.
MAX_MODAL_PAGE = 20
MAX_ACCEPTED_TOKENS = 20
MODAL_COMPONENT = "ckpay-modal"
NAT64_MAX = 2**64 - 1


def check_branding(branding: dict, field: str) -> "str | None":
    return first_error(
        [
            check_text(field + ".company_name", branding["company_name"], 100, 1),
            None if branding["logo_url"] is None else check_url(field + ".logo_url", branding["logo_url"]),
            check_color(field + ".accent_color", branding["accent_color"]),
            check_text(field + ".button_text", branding["button_text"], 40, 1),
            None if branding["support_url"] is None else check_url(field + ".support_url", branding["support_url"]),
        ]
    )


def check_modal(config: dict) -> "str | None":
    """Every field of a modal configuration, with the limits in docs/merchant.md."""
    theme = config["theme"]
    options = config["payment_options"]
    errors = [
        check_text("name", config["name"], 100, 1),
        check_opt_text("description", config["description"], 500),
        check_color("theme.primary_color", theme["primary_color"]),
        check_color("theme.background_color", theme["background_color"]),
        check_color("theme.text_color", theme["text_color"]),
        check_font("theme.font_family", theme["font_family"]),
        check_range("theme.border_radius", theme["border_radius"], 0, 64),
        None
        if len(options["accepted_tokens"]) <= MAX_ACCEPTED_TOKENS
        else "invalid_argument: payment_options.accepted_tokens has more than " + str(MAX_ACCEPTED_TOKENS) + " entries",
        check_branding(config["branding"], "branding"),
        check_url("redirect_urls.success_url", config["redirect_urls"]["success_url"]),
        check_url("redirect_urls.cancel_url", config["redirect_urls"]["cancel_url"]),
        None if config["template_id"] is None else check_slug("template_id", config["template_id"]),
    ]
    if len(options["accepted_tokens"]) <= MAX_ACCEPTED_TOKENS:
        for symbol in options["accepted_tokens"]:
            errors.append(check_symbol("payment_options.accepted_tokens", symbol))
    return first_error(errors)


def store_new_modal(config: dict) -> "tuple":
    """(modal_id, None) after validating and storing a new modal, or (None, error)."""
    err = check_modal(config)
    if err is not None:
        return (None, err)
    if modals_map.len() >= MAX_MODALS:
        return (None, "limit_exceeded: at most " + str(MAX_MODALS) + " modals")
    seq = bump("modal_seq")
    modal_id = "modal_" + random_hex(ic.id().bytes, "modal:" + str(seq))
    now = ic.time()
    stored = copy_record(config)
    stored["modal_id"] = modal_id
    stored["created_at"] = now
    stored["updated_at"] = now
    modals_map.insert(modal_id, stored)
    modal_counters_map.insert(modal_id, {"views": 0, "sessions": 0, "payments": 0, "revenue": 0})
    return (modal_id, None)


@update
def create_modal_config(config: ModalConfig) -> Async[MerchantTextResult]:
    err = require_staff("create modals")
    if err is not None:
        return {"Err": err}
    modal_id, err = store_new_modal(config)
    if err is not None:
        return {"Err": err}
    if config["template_id"] is not None:
        yield report_template_usage(config["template_id"])
    return {"Ok": modal_id}


@update
def create_modal_from_template(template_id: text, name: text, redirect_urls: RedirectUrls) -> Async[MerchantTextResult]:
    """A new modal whose theme is the factory template's `base_theme` (this one needs the
    factory: `factory_unavailable` when it cannot be reached)."""
    err = require_staff("create modals") or check_slug("template_id", template_id) or check_text("name", name, 100, 1)
    if err is not None:
        return {"Err": err}
    template, err = yield fetch_template(template_id)
    if err is not None:
        return {"Err": err}
    theme = template["base_theme"]
    config = {
        "modal_id": "",
        "name": name,
        "description": template["template_name"][:500],
        "theme": theme,
        "payment_options": {
            "accepted_tokens": [],
            "allow_token_selection": True,
            "show_fiat_equivalent": True,
            "collect_email": False,
        },
        "branding": {
            "company_name": merchant_state()["name"],
            "logo_url": None,
            "accent_color": theme["primary_color"],
            "button_text": "Pay",
            "support_url": None,
        },
        "redirect_urls": redirect_urls,
        "template_id": template_id,
        "created_at": 0,
        "updated_at": 0,
        "is_active": True,
    }
    modal_id, err = store_new_modal(config)
    if err is not None:
        return {"Err": err}
    yield report_template_usage(template_id)
    return {"Ok": modal_id}


@update
def update_modal_config(modal_id: text, config: ModalConfig) -> Async[MerchantUnitResult]:
    err = require_staff("update modals") or check_id("modal_id", modal_id, "modal") or check_modal(config)
    if err is not None:
        return {"Err": err}
    existing = modals_map.get(modal_id)
    if existing is None:
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    stored = copy_record(config)
    stored["modal_id"] = modal_id
    stored["created_at"] = existing["created_at"]
    stored["updated_at"] = ic.time()
    modals_map.insert(modal_id, stored)
    if config["template_id"] is not None and config["template_id"] != existing["template_id"]:
        yield report_template_usage(config["template_id"])
    return {"Ok": None}


@query
def get_modal_config(modal_id: text) -> ModalConfigResult:
    err = check_id("modal_id", modal_id, "modal")
    if err is not None:
        return {"Err": err}
    modal = modals_map.get(modal_id)
    if modal is None:
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    return {"Ok": modal}


@query
def list_my_modals(cursor: Opt[text], limit: Opt[nat32]) -> ModalPageResult:
    """Modals by id, at most MAX_MODAL_PAGE a page; next_cursor continues the list."""
    err = require_staff("list modals")
    if err is not None:
        return {"Err": err}
    modals, next_cursor, err = page_by_key(modals_map.keys(), modals_map.get, cursor, limit, MAX_MODAL_PAGE, 100)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"modals": modals, "next_cursor": next_cursor}}


@update
def delete_modal_config(modal_id: text) -> MerchantUnitResult:
    err = require_staff("delete modals") or check_id("modal_id", modal_id, "modal")
    if err is not None:
        return {"Err": err}
    if modals_map.remove(modal_id) is None:
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    modal_counters_map.remove(modal_id)
    return {"Ok": None}


@update
def track_modal_view(modal_id: text) -> MerchantUnitResult:
    err = check_id("modal_id", modal_id, "modal")
    if err is not None:
        return {"Err": err}
    modal = modals_map.get(modal_id)
    if modal is None:
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    if not modal["is_active"]:
        return {"Err": "conflict: modal " + modal_id + " is not active"}
    err = take("modal_view", modal_id)
    if err is not None:
        return {"Err": err}
    counters = modal_counters_map.get(modal_id)
    updated = copy_record(counters)
    updated["views"] = counters["views"] + 1
    modal_counters_map.insert(modal_id, updated)
    bump("modal_views")
    on_modal_view(modal_id)  # services hook
    return {"Ok": None}


def ratio(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else part / whole


@query
def get_modal_analytics(modal_id: text) -> ModalAnalyticsResult:
    err = require_staff("read modal analytics") or check_id("modal_id", modal_id, "modal")
    if err is not None:
        return {"Err": err}
    counters = modal_counters_map.get(modal_id)
    if counters is None:
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    return {
        "Ok": {
            "modal_id": modal_id,
            "total_views": counters["views"],
            "successful_payments": counters["payments"],
            "conversion_rate": ratio(counters["payments"], counters["views"]),
            "revenue_generated": min(counters["revenue"], NAT64_MAX),
            "sessions_created": counters["sessions"],
            "view_to_session_rate": ratio(counters["sessions"], counters["views"]),
            "session_to_payment_rate": ratio(counters["payments"], counters["sessions"]),
        }
    }


@update
def generate_modal_embed_code(modal_id: text) -> Async[MerchantTextResult]:
    err = require_staff("generate embed code") or check_id("modal_id", modal_id, "modal")
    if err is not None:
        return {"Err": err}
    if not modals_map.contains_key(modal_id):
        return {"Err": "not_found: modal " + modal_id + " does not exist"}
    url, err = yield script_url(MODAL_COMPONENT)
    if err is not None:
        return {"Err": err}
    return {"Ok": modal_snippet(url, ic.id().to_str(), modal_id)}
