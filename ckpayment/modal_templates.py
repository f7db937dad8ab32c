"""The platform's default modal templates, seeded into a factory through its admin API.

Templates are the operator's content, not code: a factory starts with none and an admin
publishes them (`create_global_modal_template`), so they can be changed or withdrawn
without an upgrade. A new deployment seeds this curated set once (`scripts/run.sh` does);
seeding again adds only the names the factory does not list yet.

    ckpay --identity ADMIN --factory ID templates seed
"""

from __future__ import annotations

from .factory import FactoryClient

PREVIEWS = "https://ckpayment.io/templates/"  # the builder draws its own live preview

DEFAULT_TEMPLATES = [
    (
        "Classic",
        "light",
        {
            "primary_color": "#4f46e5",
            "background_color": "#ffffff",
            "text_color": "#111827",
            "font_family": "Inter, system-ui, sans-serif",
            "border_radius": 12,
            "dark_mode": False,
        },
    ),
    (
        "Midnight",
        "dark",
        {
            "primary_color": "#f59e0b",
            "background_color": "#111827",
            "text_color": "#f9fafb",
            "font_family": "Georgia, serif",
            "border_radius": 20,
            "dark_mode": True,
        },
    ),
    (
        "Minimal",
        "minimal",
        {
            "primary_color": "#111827",
            "background_color": "#ffffff",
            "text_color": "#111827",
            "font_family": "system-ui, sans-serif",
            "border_radius": 4,
            "dark_mode": False,
        },
    ),
    (
        "Mint",
        "bold",
        {
            "primary_color": "#0f766e",
            "background_color": "#f0fdfa",
            "text_color": "#134e4a",
            "font_family": "Inter, system-ui, sans-serif",
            "border_radius": 16,
            "dark_mode": False,
        },
    ),
]


def seed_default_templates(factory: FactoryClient) -> list[str]:
    """Publishes every default template whose name the factory does not list yet (admins
    only); returns the ids of those created."""
    listed = {t["template_name"] for t in factory.call("list_public_modal_templates")}
    admin = factory.agent.identity.sender().to_str()
    created = []
    for name, category, theme in DEFAULT_TEMPLATES:
        if name in listed:
            continue
        created.append(
            factory.result(
                "create_global_modal_template",
                {
                    "template_id": "",
                    "template_name": name,
                    "category": category,
                    "preview_url": PREVIEWS + category + ".png",
                    "is_public": True,
                    "created_by": admin,
                    "usage_count": 0,
                    "base_theme": theme,
                },
            )
        )
    return created
