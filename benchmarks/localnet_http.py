"""Benchmark of localnet's IC HTTP interface through ic-py (no assertions).

Measures server start time (until /api/v2/status answers), then update and query calls per
second on a Kybra counter canister. Usage: python benchmarks/localnet_http.py [--calls N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
COUNTER = os.path.join(ROOT, "tests", "network", "canisters", "counter", "main.py")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per kind")
    args = parser.parse_args(argv)
    figures = measure(args.calls)
    calls = args.calls
    print(f"server start:   {figures['server_start_ms']:8.1f} ms")
    print(
        f"update calls:   {figures['icpy_update_calls_per_second']:8.1f} /s  ({calls} via ic-py, "
        f"call + read_state polling)"
    )
    print(f"query calls:    {figures['icpy_query_calls_per_second']:8.1f} /s  ({calls} via ic-py)")
    print(
        f"update calls:   {figures['signed_update_calls_per_second']:8.1f} /s  (signed, /api/v3 sync call, keep-alive)"
    )
    print(f"query calls:    {figures['signed_query_calls_per_second']:8.1f} /s  (signed, keep-alive)")
    return 0


def measure(calls: int) -> dict:
    """Server start time and calls per second (`calls` of each kind), as a dict."""
    import httpx
    from ic.agent import Agent
    from ic.candid import Types, encode
    from ic.client import Client
    from ic.identity import Identity

    from localnet.http.testing import LocalnetServer

    t0 = time.perf_counter()
    server = LocalnetServer()
    httpx.get(server.url + "/api/v2/status").raise_for_status()
    start_s = time.perf_counter() - t0
    try:
        with server.lock:
            cid = server.network.deploy(COUNTER, project_root=os.path.dirname(COUNTER)).to_str()
        agent = Agent(Identity(), Client(server.url))
        # distinct arguments make distinct requests (ic-py sends no nonce)
        t0 = time.perf_counter()
        for i in range(calls):
            agent.update_raw(cid, "add", encode([{"type": Types.Nat, "value": i}]))
        update_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(calls):
            agent.query_raw(cid, "get", encode([]))
        query_s = time.perf_counter() - t0
        # the same signed requests over one keep-alive connection (ic-py opens a new httpx
        # client, with its TLS context, for every request; that dominates the numbers above)
        from ic.agent import sign_request
        from ic.principal import Principal

        client = httpx.Client()
        raw_cid = Principal.from_str(cid).bytes

        def content(kind, method, arg):
            return {
                "request_type": kind,
                "sender": agent.identity.sender().bytes,
                "canister_id": raw_cid,
                "method_name": method,
                "arg": arg,
                "ingress_expiry": time.time_ns() + 120 * 10**9,
                "nonce": os.urandom(8),
            }

        t0 = time.perf_counter()
        for i in range(calls):
            body = sign_request(content("call", "add", encode([{"type": Types.Nat, "value": i}])), agent.identity)[1]
            client.post(f"{server.url}/api/v3/canister/{cid}/call", content=body)
        sync_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(calls):
            body = sign_request(content("query", "get", encode([])), agent.identity)[1]
            client.post(f"{server.url}/api/v2/canister/{cid}/query", content=body)
        raw_query_s = time.perf_counter() - t0
        client.close()
    finally:
        server.stop()
    return {
        "server_start_ms": start_s * 1000,
        "icpy_update_calls_per_second": calls / update_s,
        "icpy_query_calls_per_second": calls / query_s,
        "signed_update_calls_per_second": calls / sync_s,
        "signed_query_calls_per_second": calls / raw_query_s,
    }


if __name__ == "__main__":
    sys.exit(main())
