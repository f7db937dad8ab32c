"""`ckpay listen`: forwards a merchant's events to a local URL as the canister would deliver
them (same body, headers and `ckpay-signature` scheme, with a secret of the listener's own),
so a webhook handler is developed without a public URL (`--since SEQ` also re-sends past
events to it; `ckpay webhooks resend` has the canister itself deliver again)."""

from __future__ import annotations

import json
import secrets as _secrets
import sys
import time
import urllib.error
import urllib.request

from .webhooks import delivery_headers, event_body

TIMEOUT = 10.0


def post_once(url: str, event: dict, secrets: list[str]) -> tuple[int | None, str | None]:
    """(HTTP status or None, error text or None) of one signed POST."""
    body = event_body(event)
    request = urllib.request.Request(url, data=body, method="POST", headers=delivery_headers(event, body, secrets))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"cannot reach {url}: {reason}"
    return status, None if 200 <= status < 300 else f"receiver answered HTTP {status}"


def deliver(url: str, event: dict, secrets: list[str], retries: int = 3, backoff: float = 0.5) -> dict:
    """POST `event` until a 2xx or `retries` more attempts, waiting `backoff`, 2x, 4x...;
    each attempt is signed afresh (a new `t=`), as the canister's retries are."""
    attempts = 0
    while True:
        attempts += 1
        started = time.monotonic()
        status, error = post_once(url, event, secrets)
        latency_ms = int((time.monotonic() - started) * 1000)
        if error is None or attempts > retries:
            return {
                "ok": error is None,
                "event_id": event["event_id"],
                "event_type": event["event_type"],
                "seq": event["seq"],
                "url": url,
                "status": status,
                "latency_ms": latency_ms,
                "attempts": attempts,
                "error": error,
            }
        time.sleep(backoff * 2 ** (attempts - 1))


def latest_seq(merchant) -> int:
    page = merchant.list_events(None, 1)
    return page["events"][0]["seq"] if page["events"] else 0


def _line(result: dict) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    status = result["status"] if result["status"] is not None else "ERR"
    tail = f"  ({result['error']})" if result["error"] else ""
    tries = f", {result['attempts']} attempts" if result["attempts"] > 1 else ""
    return (
        f"{stamp}  --> {result['event_type']} [{result['event_id']}]  <-- [{status}] "
        f"POST {result['url']} ({result['latency_ms']} ms{tries}){tail}"
    )


def listen(
    merchant,
    url: str,
    events=None,
    since: int | None = None,
    secret: str | None = None,
    retries: int = 3,
    interval: float = 1.0,
    count: int | None = None,
    timeout: float | None = None,
    output: str = "text",
) -> int:
    """Follow the merchant's events after seq `since` (default: from now on), forward each
    of the `events` types (default: all but `webhook.test`) to `url`; one line per
    delivery. Returns the number forwarded."""
    secret = secret or "whsec_" + _secrets.token_hex(32)
    start = latest_seq(merchant) if since is None else since
    wanted = set(events or [])
    if output == "json":
        print(json.dumps({"ready": True, "forward_to": url, "secret": secret, "since": start}), flush=True)
    else:
        print(
            f"Ready! Forwarding events after seq {start} to {url}. Your webhook signing "
            f"secret is {secret} (^C to quit)",
            flush=True,
        )
    deadline = None if timeout is None else time.monotonic() + timeout
    forwarded = 0

    def stop() -> bool:
        return (count is not None and forwarded >= count) or (deadline is not None and time.monotonic() >= deadline)

    for event in merchant.tail_events(None, interval, start, stop):
        if (wanted and event["event_type"] not in wanted) or (not wanted and event["event_type"] == "webhook.test"):
            continue
        result = deliver(url, event, [secret], retries)
        forwarded += 1
        if output == "json":
            print(json.dumps(result), flush=True)
        else:
            print(_line(result), flush=True)
        if count is not None and forwarded >= count:
            break
    sys.stdout.flush()
    return forwarded
