"""What one accepted metrics report changes in the platform's totals, summed in memory over
a message (a merchant's own report, or a batch of them): system counters, conversion-rate
buckets, per region and industry group, per token (base units) and region|token, per
template. Groups are keyed by the merchant's own region/industry name (None: none given)
and tokens are all kept: the factory maps the names to its capped groups and drops tokens
past its cap when it writes the sums (system_analytics.apply_totals), so the sums can be
made wherever a merchant's last report is held (docs/scaling.md, option (b))."""

from src.common.report_checks import TOTAL_FIELDS

METRIC_KEYS = tuple((field, "metric:" + field) for field in TOTAL_FIELDS)  # field, its system counter
REGION_FIELDS = (("volume_usd_cents", "volume_usd_cents"),)
INDUSTRY_FIELDS = (
    ("sessions_created", "sessions_created"),
    ("sessions_completed", "sessions_completed"),
    ("transactions", "transaction_count"),
    ("successful", "successful_payments"),
    ("volume_usd_cents", "volume_usd_cents"),
)


def new_deltas() -> dict:
    """Empty sums: `regions`/`industries` {name: field deltas incl. merchants},
    `tokens` {token: base units}, `region_tokens` {(region name, token): base units},
    `templates` {template id: [views, conversions]}, `counts` {system counter: delta}."""
    return {"counts": {}, "regions": {}, "industries": {}, "tokens": {}, "region_tokens": {}, "templates": {}}


def ratio(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else part / whole


def conversion_of(report: "dict | None") -> float:
    return 0.0 if report is None else ratio(report["sessions_completed"], report["sessions_created"])


def bucket_of(rate: float) -> int:
    return min(99, max(0, int(rate * 100)))


def bump_total(table: dict, key, delta: int) -> None:
    table[key] = table.get(key, 0) + delta


def group_delta(pending: dict, group, fields: tuple) -> dict:
    delta = pending.get(group)
    if delta is None:
        delta = {"merchants": 0}
        for dst, _ in fields:
            delta[dst] = 0
        pending[group] = delta
    return delta


def move_group(pending: dict, old: "dict | None", new: dict, field: str, fields: tuple) -> None:
    """Takes one merchant's old report out of its old group's sums (old None: it was in
    none) and adds its new report to its new group's; `fields` pairs each total with its
    report field."""
    if old is not None and old[field] == new[field]:
        delta = group_delta(pending, new[field], fields)
        for dst, src in fields:
            delta[dst] += new[src] - old[src]
        return
    if old is not None:
        delta = group_delta(pending, old[field], fields)
        delta["merchants"] -= 1
        for dst, src in fields:
            delta[dst] -= old[src]
    delta = group_delta(pending, new[field], fields)
    delta["merchants"] += 1
    for dst, src in fields:
        delta[dst] += new[src]


def add_tokens(totals: dict, old: "dict | None", new: dict, amounts: tuple) -> None:
    old_amounts, new_amounts = amounts
    for token in set(old_amounts.keys()) | set(new_amounts.keys()):
        bump_total(totals["tokens"], token, new_amounts.get(token, 0) - old_amounts.get(token, 0))
        if old is not None and token in old_amounts:
            bump_total(totals["region_tokens"], (old["region"], token), -old_amounts[token])
        if token in new_amounts:
            bump_total(totals["region_tokens"], (new["region"], token), new_amounts[token])


def add_templates(totals: dict, old: dict, new: dict) -> None:
    old_by_id = {}
    for entry in old["template_conversions"]:
        old_by_id[entry["template_id"]] = entry
    for entry in new["template_conversions"]:
        prev = old_by_id.get(entry["template_id"])
        delta = totals["templates"].get(entry["template_id"])
        if delta is None:
            delta = [0, 0]
            totals["templates"][entry["template_id"]] = delta
        delta[0] += entry["views"] - (0 if prev is None else prev["views"])
        delta[1] += entry["conversions"] - (0 if prev is None else prev["conversions"])


def add_report_delta(totals: dict, old: dict, new: dict, first: bool, amounts: tuple) -> None:
    """Adds the difference between a merchant's checked and valued report `new` and its last
    one `old` (first: it had none; `amounts`: both reports' volumes by token)."""
    counts = totals["counts"]
    for field, name in METRIC_KEYS:
        delta = new[field] - old[field]
        if delta != 0:
            counts[name] = counts.get(name, 0) + delta
    if old["successful_payments"] == 0 and new["successful_payments"] > 0:
        bump_total(counts, "active_merchants", 1)
    old_bucket = None if first else bucket_of(conversion_of(old))
    new_bucket = bucket_of(conversion_of(new))
    if first:
        bump_total(counts, "reporting_merchants", 1)
    if old_bucket != new_bucket:
        if old_bucket is not None:
            bump_total(counts, "conv_bucket:" + str(old_bucket), -1)
        bump_total(counts, "conv_bucket:" + str(new_bucket), 1)
    prior = None if first else old
    move_group(totals["regions"], prior, new, "region", REGION_FIELDS)
    move_group(totals["industries"], prior, new, "industry", INDUSTRY_FIELDS)
    add_tokens(totals, prior, new, amounts)
    add_templates(totals, old, new)
    bump_total(counts, "reports_received", 1)


MAX_REFUSALS = 50  # refused reports listed per batch of sums (all are counted)
MAX_BATCH_NAMES = 100  # most distinct names per table in one batch of sums (the factory's work per batch)


def delta_rows(table: dict, key_field: str) -> list:
    rows = []
    for key, delta in table.items():
        row = {key_field: key}
        for field in delta:
            row[field] = delta[field]
        rows.append(row)
    return rows


def totals_record(totals: dict, seq: int, refused: list, refused_count: int) -> dict:
    """The sums of a batch as the ReportTotals record a shard sends the factory."""
    return {
        "seq": seq,
        "reports": totals["counts"].get("reports_received", 0),
        "counts": [{"key": key, "delta": delta} for key, delta in totals["counts"].items() if delta != 0],
        "regions": delta_rows(totals["regions"], "name"),
        "industries": delta_rows(totals["industries"], "name"),
        "tokens": [{"token": token, "amount": amount} for token, amount in totals["tokens"].items()],
        "region_tokens": [
            {"region": key[0], "token": key[1], "amount": amount} for key, amount in totals["region_tokens"].items()
        ],
        "templates": [
            {"template_id": tid, "views": delta[0], "conversions": delta[1]}
            for tid, delta in totals["templates"].items()
        ],
        "refused": refused[:MAX_REFUSALS],
        "refused_count": refused_count,
    }


def group_rows(rows: list, fields: tuple) -> dict:
    out = {}
    for row in rows:
        delta = group_delta(out, row["name"], fields)
        delta["merchants"] += row["merchants"]
        for dst, _ in fields:
            delta[dst] += row[dst]
    return out


def totals_of_record(record: dict) -> dict:
    """The sums of a ReportTotals record, as new_deltas() holds them (the inverse of
    totals_record)."""
    totals = new_deltas()
    for row in record["counts"]:
        bump_total(totals["counts"], row["key"], row["delta"])
    totals["regions"] = group_rows(record["regions"], REGION_FIELDS)
    totals["industries"] = group_rows(record["industries"], INDUSTRY_FIELDS)
    for row in record["tokens"]:
        bump_total(totals["tokens"], row["token"], row["amount"])
    for row in record["region_tokens"]:
        bump_total(totals["region_tokens"], (row["region"], row["token"]), row["amount"])
    for row in record["templates"]:
        delta = totals["templates"].get(row["template_id"])
        if delta is None:
            delta = [0, 0]
            totals["templates"][row["template_id"]] = delta
        delta[0] += row["views"]
        delta[1] += row["conversions"]
    return totals


def names_added(totals: dict, old: "dict | None", new: dict, amounts: tuple) -> dict:
    """How many new keys per table adding this report would create (so a batch stops before
    it holds more than MAX_BATCH_NAMES of any)."""
    added = {"regions": 0, "industries": 0, "tokens": 0, "region_tokens": 0, "templates": 0}
    for table, field in (("regions", "region"), ("industries", "industry")):
        names = {new[field]}
        if old is not None:
            names.add(old[field])
        added[table] = len([name for name in names if name not in totals[table]])
    old_amounts, new_amounts = amounts
    tokens = set(old_amounts.keys()) | set(new_amounts.keys())
    added["tokens"] = len([token for token in tokens if token not in totals["tokens"]])
    keys = set()
    for token in new_amounts:
        keys.add((new["region"], token))
    if old is not None:
        for token in old_amounts:
            keys.add((old["region"], token))
    added["region_tokens"] = len([key for key in keys if key not in totals["region_tokens"]])
    ids = [entry["template_id"] for entry in new["template_conversions"]]
    added["templates"] = len([tid for tid in set(ids) if tid not in totals["templates"]])
    return added


def fits_batch(totals: dict, old: "dict | None", new: dict, amounts: tuple) -> bool:
    """True when adding this report keeps every table of the batch within MAX_BATCH_NAMES."""
    added = names_added(totals, old, new, amounts)
    for table, count in added.items():
        if len(totals[table]) + count > MAX_BATCH_NAMES:
            return False
    return True
