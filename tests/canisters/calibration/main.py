"""The function bodies of the basilisk project's RustPython benchmark canister
(smart-social-contracts/basilisk, benchmarks/counter/src/main.py at dcd58eef), measured
the same way: ic.performance_counter(0) before and after the body. The published PocketIC
counts of these bodies calibrate localnet's meter (tests/runtime/test_metering_calibration.py)."""
from kybra import GuardResult, StableBTreeMap, Vec, ic, nat64, query, update

entries = StableBTreeMap[str, str](memory_id=0, max_key_size=32, max_value_size=64)


@query
def noop() -> nat64:
    start = ic.performance_counter(0)
    end = ic.performance_counter(0)
    return end - start


@query
def method_overhead() -> nat64:
    return ic.performance_counter(1)


@query
def fibonacci_recursive() -> nat64:
    def fib(n: int) -> int:
        if n <= 1:
            return n
        return fib(n - 1) + fib(n - 2)

    start = ic.performance_counter(0)
    result = fib(20)
    end = ic.performance_counter(0)
    return end - start + 0 * result


@query
def string_ops() -> nat64:
    start = ic.performance_counter(0)
    s = ""
    for i in range(100):
        s += str(i)
    result = s[:50]
    end = ic.performance_counter(0)
    return end - start + 0 * len(result)


@query
def list_ops() -> nat64:
    start = ic.performance_counter(0)
    lst = []
    for i in range(500):
        lst.append(500 - i)
    lst.sort()
    end = ic.performance_counter(0)
    return end - start + 0 * lst[0]


@query
def dict_ops() -> nat64:
    start = ic.performance_counter(0)
    d = {}
    for i in range(500):
        d[str(i)] = i * i
    total = 0
    for i in range(500):
        total += d[str(i)]
    end = ic.performance_counter(0)
    return end - start + 0 * total


@update
def fill(n: nat64) -> nat64:
    for i in range(entries.len(), entries.len() + n):
        entries.insert(f"key-{i:08d}", "value")
    return entries.len()


@query
def map_get(key: str) -> Vec[nat64]:
    start = ic.performance_counter(0)
    entries.get(key)
    end = ic.performance_counter(0)
    return [start, end]


@query
def json_roundtrip(n: nat64) -> nat64:
    import json
    doc = {"items": [{"id": f"item_{i}", "amount": i, "ok": True} for i in range(n)]}
    start = ic.performance_counter(0)
    text = json.dumps(doc)
    json.loads(text)
    end = ic.performance_counter(0)
    return end - start


@update
def read_time(n: nat64) -> nat64:
    last = 0
    for _ in range(n):
        last = ic.time()
    return last


def heavy_guard() -> GuardResult:
    total = 0
    for i in range(20_000):
        total += i
    return {"Ok": None}


@query(guard=heavy_guard)
def after_guard() -> nat64:
    return ic.performance_counter(0)
