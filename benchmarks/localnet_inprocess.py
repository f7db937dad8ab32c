"""Throughput of localnet's in-process API and the metered cost of the example calls.

Prints update and query calls per second on the counter example canister (metering off,
the default), the cost of the heap snapshots behind trap rollback, then, with metering on,
the bytecodes and estimated IC instructions of one call of each example canister
(tests/canisters/). Run: python benchmarks/localnet_inprocess.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from kybra import Principal  # noqa: E402

from localnet.runtime import Network  # noqa: E402
from localnet.runtime.typed import encode_call  # noqa: E402

CANISTERS = os.path.join(ROOT, "tests", "canisters")
USER = Principal.self_authenticating(b"benchmark-user")


def deploy(net: Network, name: str, arg: str = "()") -> Principal:
    return net.deploy(os.path.join(CANISTERS, name, "main.py"), arg, controllers=[USER], project_root=ROOT)


def rate(fn, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def throughput(seconds: float) -> dict:
    net = Network()
    cid = deploy(net, "counter", f'(principal "{USER.to_str()}")')
    net.run_until_idle()
    inc = encode_call(net, cid, "increment", ["bench"])
    get = encode_call(net, cid, "get", ["bench"])
    updates = rate(lambda: net.update_call(USER, cid, "increment", inc), seconds)
    queries = rate(lambda: net.query_call(USER, cid, "get", get), seconds)
    print(f"update calls/s (counter.increment): {updates:10.0f}")
    print(f"query  calls/s (counter.get):       {queries:10.0f}")
    return {"update_calls_per_second": updates, "query_calls_per_second": queries}


def heap_snapshot_cost() -> None:
    """Trap rollback copies module globals at every commit point: its cost by heap size."""
    import types

    from localnet.runtime.heap import HeapSnapshot

    print()
    for n in (100, 10_000, 100_000):
        mod = types.ModuleType("bench_heap")
        mod.table = {f"key-{i}": {"amount": i, "owner": "x" * 20} for i in range(n)}
        start = time.perf_counter()
        snap = HeapSnapshot({"bench_heap": mod})
        taken = time.perf_counter() - start
        start = time.perf_counter()
        snap.restore()  # nothing changed (a typical query): only a comparison
        unchanged = time.perf_counter() - start
        mod.table["key-0"]["amount"] = -1
        start = time.perf_counter()
        snap.restore()  # after a change (a trap, or a query that wrote)
        restored = time.perf_counter() - start
        print(
            f"heap snapshot of a {n:>7}-entry dict: take {taken * 1e3:8.2f} ms, "
            f"check unchanged {unchanged * 1e3:8.2f} ms, restore {restored * 1e3:8.2f} ms"
        )


def metered() -> None:
    net = Network(metering=True)
    counter = deploy(net, "counter", f'(principal "{USER.to_str()}")')
    a, b = deploy(net, "pingpong"), deploy(net, "pingpong")
    trapper = deploy(net, "trapper")
    timers = deploy(net, "timers")
    ordering = deploy(net, "ordering")
    ledger = deploy(net, "payout_ledger")
    bank = deploy(net, "bank_locked", f'(principal "{ledger.to_str()}")')
    net.run_until_idle()
    calls = [
        ("counter", counter, "increment", ["a"]),
        ("counter", counter, "get", ["a"]),
        ("pingpong", a, "ping", [b, 3]),
        ("pingpong", a, "sum_hits", [b]),
        ("trapper", trapper, "write_then_trap", ["k", 1]),
        ("trapper", trapper, "spin", [1000]),
        ("timers", timers, "schedule", [1]),
        ("ordering", ordering, "put_texts", [["x", "y", "z"]]),
        ("bank_locked", bank, "deposit", [100]),
        ("bank_locked", bank, "withdraw", [40]),
    ]
    print(f"\n{'canister':12} {'method':16} {'bytecodes':>10} {'~IC instructions':>18}")
    for label, cid, method, args in calls:
        sig = net.canisters[cid.bytes].interface.methods[method]
        arg = encode_call(net, cid, method, args)
        if sig.kind == "query":
            before = len(net.stats)
            net.query(USER, cid, method, arg)
            stats = list(net.stats)[before:]
            bytecodes = sum(s.bytecodes for s in stats if s.canister_id == cid.bytes)
            instructions = sum(s.instructions for s in stats if s.canister_id == cid.bytes)
        else:
            st = net.await_ingress(net.submit(USER, cid, method, arg))
            bytecodes, instructions = st.bytecodes, st.instructions
        print(f"{label:12} {method:16} {bytecodes:10d} {instructions:18,d}")
    net.advance_time(1)
    timer_stats = [s for s in net.stats if s.mode == "timer" and s.canister_id == timers.bytes]
    print(f"{'timers':12} {'<timer fired>':16} {timer_stats[-1].bytecodes:10d} {timer_stats[-1].instructions:18,d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput test")
    args = parser.parse_args()
    throughput(args.seconds)
    heap_snapshot_cost()
    metered()


if __name__ == "__main__":
    main()
