"""Valid configuration records the merchant canister accepts (Python values, opt = None),
for the plans of the modal, element, webhook, one-click and report methods."""

from __future__ import annotations

from benchmarks.costs.world import SYMBOL

HOOK_URL = "https://hooks.example.com/ckpay"


def branding() -> dict:
    return {
        "company_name": "Bench Shop",
        "logo_url": "https://shop.example.com/logo.png",
        "accent_color": "#3355ff",
        "button_text": "Pay now",
        "support_url": None,
    }


def modal_config(name: str = "Main checkout") -> dict:
    return {
        "modal_id": "",
        "name": name,
        "description": "The modal on the product page",
        "theme": {
            "primary_color": "#112233",
            "background_color": "#ffffff",
            "text_color": "#000",
            "font_family": "Inter, sans-serif",
            "border_radius": 8,
            "dark_mode": False,
        },
        "payment_options": {
            "accepted_tokens": [SYMBOL],
            "allow_token_selection": True,
            "show_fiat_equivalent": True,
            "collect_email": True,
        },
        "branding": branding(),
        "redirect_urls": {
            "success_url": "https://shop.example.com/thanks/{CHECKOUT_SESSION_ID}",
            "cancel_url": "https://shop.example.com/cart",
        },
        "template_id": None,
        "created_at": 0,
        "updated_at": 0,
        "is_active": True,
    }


def element_config(element_id: str = "") -> dict:
    return {
        "element_id": element_id,
        "component_type": "PaymentButton",
        "theme_overrides": [{"key": "button_color", "value": "#ff8800"}],
        "validation_rules": [{"key": "min_amount", "value": "100000"}],
        "merchant_branding": branding(),
        "is_active": True,
    }


def webhook_config(url: str = HOOK_URL) -> dict:
    return {
        "webhook_id": "",
        "url": url,
        "events": ["*"],
        "secret": "",
        "active": True,
        "delivery_stats": {
            "total_deliveries": 0,
            "successful_deliveries": 0,
            "failed_deliveries": 0,
            "pending_deliveries": 0,
            "total_attempts": 0,
            "failed_attempts": 0,
            "last_attempt_at": None,
            "last_success_at": None,
            "last_status_code": None,
        },
        "previous_secret": None,
        "previous_secret_expires_at": None,
        "created_at": 0,
        "updated_at": 0,
    }


def pre_auth_args(customer, max_amount: int, uses: int = 1000) -> dict:
    return {
        "customer": customer,
        "max_amount": max_amount,
        "token": SYMBOL,
        "duration": 30 * 24 * 3600,
        "uses": uses,
        "metadata": [],
    }


def report_schedule() -> dict:
    return {
        "name": "weekly",
        "metrics": ["payments", "volume"],
        "tokens": [],
        "frequency": "weekly",
        "lookback_days": 7,
    }
