"""Global modal templates (seed feature 1): admins publish, merchant canisters use them.

Usage is counted when a merchant canister calls `update_template_usage`; views and
conversions per template come from the merchants' metric reports (system_analytics.py calls
`note_template_conversions`). The ten most used templates are kept as a small ranked list
updated per use, so stats never walk all templates.
"""

from kybra import Opt, Record, StableBTreeMap, Variant, Vec, ic, nat8, nat32, nat64, query, text, update

from src.common.factory_api import (
    FactoryTextResult,
    FactoryUnitResult,
    GlobalModalTemplate,
    GlobalModalTemplateResult,
    GlobalRateEntry,
)
from src.common.pagination import page_desc
from src.common.validation import check_color, check_font, check_slug, check_text, check_url, first_error
from src.payment_backend.admins import caller_text, is_admin_text, require_admin
from src.payment_backend.factory_counters import add_count, get_count, next_seq, top_seq
from src.payment_backend.index_pages import via_index
from src.payment_backend.merchant_callers import require_merchant_canister

TOP_N = 10


class GlobalModalStats(Record):
    total_modals_created: nat64
    popular_templates: Vec[text]
    conversion_rates_by_template: Vec[GlobalRateEntry]


class TemplateConversionTotals(Record):
    views: nat64
    conversions: nat64


class GlobalModalTemplatePage(Record):
    items: Vec[GlobalModalTemplate]
    next_cursor: Opt[text]


class GlobalModalTemplatePageResult(Variant, total=False):
    Ok: GlobalModalTemplatePage
    Err: text


class TemplateRanking(Record):
    template_ids: Vec[text]


templates_map = StableBTreeMap[text, GlobalModalTemplate](memory_id=40, max_key_size=40, max_value_size=4096)
public_template_seq_map = StableBTreeMap[nat64, text](memory_id=41, max_key_size=24, max_value_size=40)
template_conversions_map = StableBTreeMap[text, TemplateConversionTotals](
    memory_id=42, max_key_size=40, max_value_size=64
)
template_ranking_map = StableBTreeMap[nat8, TemplateRanking](memory_id=43, max_key_size=8, max_value_size=1024)


def check_theme(theme: dict) -> "str | None":
    return first_error(
        [
            check_color("base_theme.primary_color", theme["primary_color"]),
            check_color("base_theme.background_color", theme["background_color"]),
            check_color("base_theme.text_color", theme["text_color"]),
            check_font("base_theme.font_family", theme["font_family"]),
            None if theme["border_radius"] <= 64 else "invalid_argument: base_theme.border_radius must be at most 64",
        ]
    )


def ranking() -> list:
    stored = template_ranking_map.get(0)
    return [] if stored is None else stored["template_ids"]


def rerank(template_id: str, usage: int) -> None:
    """Keeps the TOP_N most used template ids ordered by usage (O(TOP_N))."""
    ids = [t for t in ranking() if t != template_id]
    ids.append(template_id)
    counts = {}
    for t in ids:
        rec = templates_map.get(t)
        counts[t] = 0 if rec is None else rec["usage_count"]
    counts[template_id] = usage
    ids.sort(key=lambda t: -counts[t])
    template_ranking_map.insert(0, {"template_ids": ids[:TOP_N]})


def visible(rec: "dict | None") -> bool:
    return rec is not None and (rec["is_public"] or is_admin_text(caller_text()))


def conversion_rate(template_id: str) -> float:
    totals = template_conversions_map.get(template_id)
    if totals is None or totals["views"] == 0:
        return 0.0
    return totals["conversions"] / totals["views"]


def note_template_conversions(template_id: str, views_delta: int, conversions_delta: int) -> None:
    """Applies the change of one merchant's cumulative per-template counts."""
    if not templates_map.contains_key(template_id):
        return
    totals = template_conversions_map.get(template_id)
    if totals is None:
        totals = {"views": 0, "conversions": 0}
    totals["views"] = max(0, totals["views"] + views_delta)
    totals["conversions"] = max(0, totals["conversions"] + conversions_delta)
    template_conversions_map.insert(template_id, totals)


@update
def create_global_modal_template(template: GlobalModalTemplate) -> FactoryTextResult:
    err = first_error(
        [
            require_admin(),
            check_text("template_name", template["template_name"], 100, 1),
            check_slug("category", template["category"]),
            check_url("preview_url", template["preview_url"]),
            check_theme(template["base_theme"]),
        ]
    )
    if err is not None:
        return {"Err": err}
    seq = next_seq("templates")
    template_id = "tpl_" + str(seq)
    rec = {
        "template_id": template_id,
        "template_name": template["template_name"],
        "category": template["category"],
        "preview_url": template["preview_url"],
        "is_public": template["is_public"],
        "created_by": ic.caller(),
        "usage_count": 0,
        "base_theme": template["base_theme"],
    }
    templates_map.insert(template_id, rec)
    if template["is_public"]:
        public_template_seq_map.insert(seq, template_id)
    return {"Ok": template_id}


@update
def publish_global_modal_template(template_id: text, is_public: bool) -> FactoryUnitResult:
    err = require_admin()
    if err is not None:
        return {"Err": err}
    rec = templates_map.get(template_id) if len(template_id) <= 40 else None
    if rec is None:
        return {"Err": "not_found: template " + template_id + " does not exist"}
    rec["is_public"] = is_public
    templates_map.insert(template_id, rec)
    seq = int(template_id[4:])
    if is_public:
        public_template_seq_map.insert(seq, template_id)
    else:
        public_template_seq_map.remove(seq)
    return {"Ok": None}


def public_page(cursor: "str | None", limit: int) -> "tuple":
    return page_desc(via_index(public_template_seq_map, templates_map), top_seq("templates"), cursor, limit)


@query
def list_public_modal_templates() -> Vec[GlobalModalTemplate]:
    items, _, _ = public_page(None, 100)
    return items


@query
def list_public_modal_templates_page(cursor: Opt[text], limit: nat32) -> GlobalModalTemplatePageResult:
    items, next_cursor, err = public_page(cursor, limit)
    if err is not None:
        return {"Err": err}
    return {"Ok": {"items": items, "next_cursor": next_cursor}}


@query
def get_global_modal_template(template_id: text) -> GlobalModalTemplateResult:
    rec = templates_map.get(template_id) if len(template_id) <= 40 else None
    if not visible(rec):
        return {"Err": "not_found: template " + template_id + " does not exist"}
    return {"Ok": rec}


@update
def update_template_usage(template_id: text) -> FactoryUnitResult:
    err = require_merchant_canister()
    if err is not None:
        return {"Err": err}
    rec = templates_map.get(template_id) if len(template_id) <= 40 else None
    if rec is None or not rec["is_public"]:
        return {"Err": "not_found: template " + template_id + " does not exist"}
    rec["usage_count"] = rec["usage_count"] + 1
    templates_map.insert(template_id, rec)
    add_count("template_uses", 1)
    rerank(template_id, rec["usage_count"])
    return {"Ok": None}


def modal_stats(ids: list) -> dict:
    return {
        "total_modals_created": get_count("template_uses"),
        "popular_templates": ranking(),
        "conversion_rates_by_template": [{"key": t, "value": conversion_rate(t)} for t in ids],
    }


@query
def get_modal_template_stats() -> GlobalModalStats:
    return modal_stats(ranking())


@query
def get_system_modal_analytics() -> GlobalModalStats:
    """Like the template stats, with conversion rates of the 100 newest public templates."""
    items, _, _ = public_page(None, 100)
    return modal_stats([t["template_id"] for t in items])
