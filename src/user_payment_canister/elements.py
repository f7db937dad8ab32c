"""Crypto Elements (seed feature 3): the merchant's embeddable component configurations,
their usage metrics (rate limited per caller) and their embed snippets."""

from kybra import Async, Opt, ic, nat32, query, text, update

from src.common.ids import check_id, random_hex
from src.common.pagination import page_by_key
from src.common.validation import check_choice, check_color, check_font, check_pairs, check_size, first_error, invalid
from src.user_payment_canister.access_control import require_staff
from src.user_payment_canister.embed_snippets import element_snippet
from src.user_payment_canister.factory_link import script_url
from src.user_payment_canister.merchant_store import bump, copy_record, element_metrics_map, elements_map
from src.user_payment_canister.merchant_types import (
    ElementConfiguration,
    ElementConfigurationResult,
    ElementPageResult,
    ElementUsageMetricsResult,
    MerchantTextResult,
    MerchantUnitResult,
)
from src.user_payment_canister.modals import check_branding
from src.user_payment_canister.rate_limits import take

MAX_ELEMENTS = 100
# A page is at most 20 x elements_map's max_value_size (70,000 B) = 1.4 MB, under the IC's
# 2 MiB reply limit (docs/kybra.md "Message limits"); all 100 at once could be 7 MB.
MAX_ELEMENT_PAGE = 20
MAX_PAIRS = 30
COMPONENT_TYPES = ("PaymentButton", "TokenSelector", "PriceDisplay", "CheckoutForm", "WalletConnect")
COMPONENT_IDS = {
    "PaymentButton": "payment-button",
    "TokenSelector": "token-selector",
    "PriceDisplay": "price-display",
    "CheckoutForm": "checkout-form",
    "WalletConnect": "wallet-connect",
}
INTERACTIONS = ("render", "click", "success", "error")
RULE_KEYS = ("min_amount", "max_amount", "require_email", "allowed_tokens", "max_quantity")
UNSAFE_CHARS = "<>{};\"'`\\"


def check_theme_value(key: str, value: str) -> "str | None":
    """Overrides are CSS values: colours for *color keys, sizes for size-like keys, fonts
    for *font keys, and otherwise short words without characters that could break CSS."""
    field = "theme_overrides." + key
    if key.endswith("color"):
        return check_color(field, value)
    if (
        key.endswith("radius")
        or key.endswith("size")
        or key.endswith("padding")
        or key.endswith("width")
        or key.endswith("height")
    ):
        return check_size(field, value)
    if key.endswith("font") or key.endswith("font_family"):
        return check_font(field, value)
    for ch in value:
        if ch in UNSAFE_CHARS:
            return invalid(field, "contains a character not allowed in a CSS value")
    return None


def check_element(config: dict) -> "str | None":
    errors = [
        check_choice("component_type", config["component_type"], COMPONENT_TYPES),
        check_pairs("theme_overrides", config["theme_overrides"], MAX_PAIRS, 40, 100),
        check_pairs("validation_rules", config["validation_rules"], MAX_PAIRS, 40, 200),
        check_branding(config["merchant_branding"], "merchant_branding"),
    ]
    err = first_error(errors)
    if err is not None:
        return err
    for pair in config["theme_overrides"]:
        err = check_theme_value(pair["key"], pair["value"])
        if err is not None:
            return err
    for pair in config["validation_rules"]:
        err = check_choice("validation_rules key", pair["key"], RULE_KEYS)
        if err is not None:
            return err
        if pair["key"] in ("min_amount", "max_amount", "max_quantity") and not (
            pair["value"].isdigit() and len(pair["value"]) <= 20
        ):
            return invalid("validation_rules." + pair["key"], "must be a whole number")
    return None


@update
def configure_payment_element(config: ElementConfiguration) -> MerchantTextResult:
    """Creates an element when `element_id` is empty, else replaces that element."""
    err = require_staff("configure elements") or check_element(config)
    if err is not None:
        return {"Err": err}
    element_id = config["element_id"]
    stored = copy_record(config)
    if element_id == "":
        if elements_map.len() >= MAX_ELEMENTS:
            return {"Err": "limit_exceeded: at most " + str(MAX_ELEMENTS) + " elements"}
        element_id = "el_" + random_hex(ic.id().bytes, "element:" + str(bump("element_seq")))
        element_metrics_map.insert(
            element_id,
            {
                "element_id": element_id,
                "total_renders": 0,
                "successful_interactions": 0,
                "error_rate": 0.0,
                "clicks": 0,
                "errors": 0,
            },
        )
    else:
        err = check_id("element_id", element_id, "el")
        if err is not None:
            return {"Err": err}
        if not elements_map.contains_key(element_id):
            return {"Err": "not_found: element " + element_id + " does not exist"}
    stored["element_id"] = element_id
    elements_map.insert(element_id, stored)
    return {"Ok": element_id}


@query
def get_element_configuration(element_id: text) -> ElementConfigurationResult:
    err = check_id("element_id", element_id, "el")
    if err is not None:
        return {"Err": err}
    element = elements_map.get(element_id)
    if element is None:
        return {"Err": "not_found: element " + element_id + " does not exist"}
    return {"Ok": element}


@query
def list_merchant_elements(cursor: Opt[text], limit: Opt[nat32]) -> ElementPageResult:
    """Elements by id, at most MAX_ELEMENT_PAGE a page; next_cursor continues the list."""
    err = require_staff("list elements")
    if err is not None:
        return {"Err": err}
    elements, next_cursor, err = page_by_key(
        elements_map.keys(), elements_map.get, cursor, limit, MAX_ELEMENT_PAGE, 100
    )
    if err is not None:
        return {"Err": err}
    return {"Ok": {"elements": elements, "next_cursor": next_cursor}}


@update
def track_element_usage(element_id: text, interaction_type: text) -> MerchantUnitResult:
    err = check_id("element_id", element_id, "el") or check_choice("interaction_type", interaction_type, INTERACTIONS)
    if err is not None:
        return {"Err": err}
    element = elements_map.get(element_id)
    if element is None:
        return {"Err": "not_found: element " + element_id + " does not exist"}
    if not element["is_active"]:
        return {"Err": "conflict: element " + element_id + " is not active"}
    err = take("element_" + interaction_type, element_id)
    if err is not None:
        return {"Err": err}
    metrics = element_metrics_map.get(element_id)
    updated = copy_record(metrics)
    if interaction_type == "render":
        updated["total_renders"] = metrics["total_renders"] + 1
    elif interaction_type == "click":
        updated["clicks"] = metrics["clicks"] + 1
    elif interaction_type == "success":
        updated["successful_interactions"] = metrics["successful_interactions"] + 1
    else:
        updated["errors"] = metrics["errors"] + 1
    attempts = updated["successful_interactions"] + updated["errors"]
    updated["error_rate"] = 0.0 if attempts == 0 else updated["errors"] / attempts
    element_metrics_map.insert(element_id, updated)
    return {"Ok": None}


@query
def get_element_metrics(element_id: text) -> ElementUsageMetricsResult:
    err = require_staff("read element metrics") or check_id("element_id", element_id, "el")
    if err is not None:
        return {"Err": err}
    metrics = element_metrics_map.get(element_id)
    if metrics is None:
        return {"Err": "not_found: element " + element_id + " does not exist"}
    return {"Ok": metrics}


@update
def generate_element_embed_code(element_id: text) -> Async[MerchantTextResult]:
    err = require_staff("generate embed code") or check_id("element_id", element_id, "el")
    if err is not None:
        return {"Err": err}
    element = elements_map.get(element_id)
    if element is None:
        return {"Err": "not_found: element " + element_id + " does not exist"}
    url, err = yield script_url(COMPONENT_IDS[element["component_type"]])
    if err is not None:
        return {"Err": err}
    return {"Ok": element_snippet(url, ic.id().to_str(), element_id, element["component_type"])}
