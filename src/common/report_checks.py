"""The plausibility checks of a merchant's cumulative metrics report against its last
accepted one, and the USD valuation of its new base units: one implementation for every
place that holds a merchant's last report (the factory today; a report aggregator shard
under docs/scaling.md's option (b)). `market` is a lookup `symbol -> tracked token record or
None` (fields `rate_usd`, `decimals`, `total_supply`), so the caller decides where the
rates and supplies come from."""

from src.common.validation import check_symbol, check_text

TOTAL_FIELDS = (
    "transaction_count",
    "successful_payments",
    "failed_payments",
    "refunded_payments",
    "sessions_created",
    "sessions_completed",
    "modal_views",
    "hosted_page_views",
    "volume_usd_cents",
)
COUNT_FIELDS = TOTAL_FIELDS[:-1]  # the merchant's own counts (volume_usd_cents is valued by the holder)
MAX_STEP = 1_000_000  # most a count may grow by in one report (reports are rate limited)


def empty_report() -> dict:
    report = {field: 0 for field in TOTAL_FIELDS}
    report["volume_by_token"] = []
    report["template_conversions"] = []
    report["region"] = None
    report["industry"] = None
    return report


def token_amounts(report: dict) -> dict:
    amounts = {}
    for entry in report["volume_by_token"]:
        amounts[entry["token"]] = entry["amount"]
    return amounts


def usd_cents_of(token: "dict | None", amount: int) -> int:
    """Base units of a tracked token in USD cents at its rate (0 when unknown)."""
    if token is None or token["rate_usd"] <= 0:
        return 0
    return int(amount * token["rate_usd"] * 100 / (10 ** token["decimals"]))


def supply_of(token: "dict | None") -> int:
    return 0 if token is None else token["total_supply"]


def check_report_shape(report: dict) -> "str | None":
    """Why the report cannot be stored at all (its sizes and names), else None: checked by
    whoever receives it, before it is kept."""
    if len(report["volume_by_token"]) > 20:
        return "invalid_argument: volume_by_token has more than 20 entries"
    if len(report["template_conversions"]) > 50:
        return "invalid_argument: template_conversions has more than 50 entries"
    for entry in report["volume_by_token"]:
        err = check_symbol("volume_by_token token", entry["token"])
        if err is not None:
            return err
    for entry in report["template_conversions"]:
        if len(entry["template_id"]) > 40:
            return "invalid_argument: template_id is too long"
    for field in ("region", "industry"):
        if report[field] is not None:
            err = check_text(field, report[field], 40, 1)
            if err is not None:
                return err
    return None


def check_report(report: dict, old: dict, amounts: tuple, market) -> "str | None":
    """Why the report cannot follow `old`, else None (`amounts`: the old and new volumes
    by token)."""
    err = check_report_shape(report)
    if err is not None:
        return err
    for field in COUNT_FIELDS:
        grown = report[field] - old[field]
        if grown < 0:
            return "invalid_argument: " + field + " is cumulative and cannot decrease"
        if grown > MAX_STEP:
            return "implausible_report: " + field + " grew by more than " + str(MAX_STEP) + " since the last report"
    if report["sessions_completed"] > report["sessions_created"]:
        return "invalid_argument: sessions_completed exceeds sessions_created"
    return check_plausible(report, old, amounts, market)


def check_plausible(report: dict, old: dict, amounts: tuple, market) -> "str | None":
    """Why the difference to the last report cannot be true, else None (the counts' steps
    are checked by check_report)."""
    if report["successful_payments"] + report["failed_payments"] > report["transaction_count"]:
        return "implausible_report: successful and failed payments exceed transaction_count"
    old_amounts, new_amounts = amounts
    grew = False
    for token, amount in new_amounts.items():
        delta = amount - old_amounts.get(token, 0)
        if delta < 0:
            return "invalid_argument: the volume of " + token + " is cumulative (base units) and cannot decrease"
        supply = supply_of(market(token))
        if supply > 0 and delta > supply:
            return "implausible_report: the volume of " + token + " grew by more than its total supply"
        grew = grew or delta > 0
    if grew and report["successful_payments"] == old["successful_payments"]:
        return "implausible_report: token volume grew without a successful payment"
    return None


def value_report(report: dict, old: dict, amounts: tuple, market) -> None:
    """Sets the report's `volume_usd_cents` to the last value plus the new base units at the
    holder's rates (the merchant's own figure is not believed)."""
    old_amounts, new_amounts = amounts
    cents = old["volume_usd_cents"]
    for token, amount in new_amounts.items():
        delta = amount - old_amounts.get(token, 0)
        if delta != 0:
            cents += usd_cents_of(market(token), delta)
    report["volume_usd_cents"] = cents
