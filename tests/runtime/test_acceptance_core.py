"""Acceptance checks for issue 2 (localnet core) that the per-point tests did not pin down:
the 2 MiB ingress limit on install_code next to a working chunked install of the same
module, outcalls refused without any network traffic, max_response_bytes at its boundary,
and the query/install instruction limits (docs/localnet_acceptance.md)."""

import hashlib
import http.server
import os
import socket
import threading

import pytest
from helpers import ALICE, BOB, ROOT, deploy, entry
from test_management import AAAAA, mgmt

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected, Network, metering
from localnet.runtime import module as wasm
from localnet.runtime.management import ic_did

MiB = 1024 * 1024


def big_counter_module(network) -> bytes:
    """The counter module padded past 2 MiB with an extra (valid, ignored) custom section."""
    module = network.build_module(entry("counter"), ROOT)
    module += wasm.custom_section("icp:private padding", os.urandom(2 * MiB + 512 * 1024))
    assert len(module) > 2 * MiB
    return module


def test_install_code_over_2mib_by_ingress_is_rejected_but_chunked_install_works(network):
    module = big_counter_module(network)
    cid = network.create_canister(controllers=[ALICE])
    arg = binary.encode([T.PRINCIPAL], [ALICE])
    install = {
        "mode": {"install": None},
        "canister_id": cid,
        "wasm_module": module,
        "arg": arg,
        "sender_canister_version": None,
    }
    with pytest.raises(CallRejected) as e:
        mgmt(network, ALICE, "install_code", install)
    assert "2097152 bytes limit" in e.value.message
    assert network.canister(cid)["module_hash"] is None  # nothing was installed
    with pytest.raises(CallRejected) as e:  # a chunk may be at most 1 MiB
        mgmt(network, ALICE, "upload_chunk", {"canister_id": cid, "chunk": bytes(MiB + 1)})
    assert "chunk" in e.value.message
    hashes = []
    for i in range(0, len(module), MiB):
        hashes.append(mgmt(network, ALICE, "upload_chunk", {"canister_id": cid, "chunk": module[i : i + MiB]}))
    assert len(hashes) == 3
    chunked = {
        "mode": {"install": None},
        "target_canister": cid,
        "store_canister": None,
        "chunk_hashes_list": hashes,
        "wasm_module_hash": hashlib.sha256(module).digest(),
        "arg": arg,
        "sender_canister_version": None,
    }
    with pytest.raises(CallRejected):  # only controllers of the target may install
        mgmt(network, BOB, "install_chunked_code", chunked)
    mgmt(network, ALICE, "install_chunked_code", chunked)
    assert network.canister(cid)["module_hash"] == hashlib.sha256(module).digest()
    assert network.call(ALICE, cid, "increment", "a") == 1
    assert network.call(ALICE, cid, "owner") == ALICE.to_str()


class _SizedHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"y" * int(self.path.rsplit("/", 1)[1])
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_max_response_bytes_boundary(network):
    """The factory asks for max_response_bytes = 10000: a 9000-byte body arrives, 10001 do not."""
    srv = http.server.HTTPServer(("127.0.0.1", 0), _SizedHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        factory = deploy(network, "factory")
        base = f"http://127.0.0.1:{srv.server_port}/n/"
        ok = network.call(ALICE, factory, "fetch", base + "9000", False)
        assert ok == "200 " + "y" * 9000
        too_big = network.call(ALICE, factory, "fetch", base + "10001", False)
        assert too_big.startswith("Err: Rejection code 1,")
        assert "exceeds size limit of 10000 bytes" in too_big
    finally:
        srv.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "http://10.0.0.1/",
        "http://192.168.1.1:8080/x",
        "http://127.0.0.1.nip.io/",
        "http://localhost.example.com/",
        "http://2130706433/",  # 127.0.0.1 as an integer: resolvers accept it, localnet must not
        "http://127.0.0.1@example.com/",
        "ftp://127.0.0.1/",
    ],
)
def test_non_loopback_outcall_is_refused_without_any_traffic(network, monkeypatch, url):
    factory = deploy(network, "factory")
    attempts = []

    def forbidden(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network traffic attempted")

    monkeypatch.setattr(socket, "getaddrinfo", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)
    before = network.canister(factory)["cycles"]
    refused = network.call(ALICE, factory, "fetch", url, False)
    assert refused.startswith("Err: Rejection code 1,") and "loopback" in refused
    assert attempts == []
    # nothing was sent, so only the call's own costs are charged, not the outcall fee
    fee = network.policy.http_request_fee(len(url), 10000)
    assert before - network.canister(factory)["cycles"] < fee


QUERY_SPIN = """from kybra import init, nat64, query, void

state = {"n": 0}


@init
def init_(n: nat64) -> void:
    total = 0
    for i in range(n):
        total += i
    state["n"] = total


@query
def spin(n: nat64) -> nat64:
    total = 0
    for i in range(n):
        total += i
    return total
"""


@pytest.fixture
def spinner(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "main.py").write_text(QUERY_SPIN)
    return str(tmp_path / "main.py"), str(tmp_path)


def test_documented_limits_are_the_ics():
    assert metering.LIMITS == {"update": 40 * 10**9, "query": 5 * 10**9, "install": 300 * 10**9}


def test_query_instruction_limit_traps_with_ic0522(monkeypatch, spinner):
    monkeypatch.setitem(metering.LIMITS, "query", 50_000 * metering.INSTRUCTIONS_PER_BYTECODE)
    net = Network(metering=True)
    path, root = spinner
    cid = net.deploy(path, "(0)", controllers=[ALICE], project_root=root)
    assert net.call(ALICE, cid, "spin", 100) == 4950
    with pytest.raises(CallRejected) as e:
        net.call(ALICE, cid, "spin", 10**6)
    assert e.value.code == 5 and e.value.error_code == "IC0522"
    assert "exceeded the instruction limit for single message execution" in e.value.message


def test_install_instruction_limit_rejects_the_install(monkeypatch, spinner):
    monkeypatch.setitem(metering.LIMITS, "install", 50_000 * metering.INSTRUCTIONS_PER_BYTECODE)
    net = Network(metering=True)
    path, root = spinner
    net.deploy(path, "(100)", controllers=[ALICE], project_root=root)  # under the limit
    with pytest.raises(CallRejected) as e:
        net.deploy(path, "(1000000)", controllers=[ALICE], project_root=root)
    assert e.value.error_code == "IC0522"
    assert "instruction limit" in e.value.message


def test_start_canister_cancels_a_pending_stop(network):
    """Interface spec, start_canister: stop_canister calls still processing are rejected."""
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    mid = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.step()  # a now waits for b
    func = ic_did().env.resolve(dict(ic_did().service.methods)["stop_canister"])
    stop = network.submit(
        ALICE, AAAAA, "stop_canister", binary.encode(list(func.args), [{"canister_id": a}], ic_did().env)
    )
    network.step(1)
    assert network.status(stop).state == "processing"
    assert network.canister(a)["status"] == "stopping"
    mgmt(network, ALICE, "start_canister", {"canister_id": a})
    st = network.status(stop)
    assert st.state == "rejected" and st.error_code == "IC0511"
    assert network.await_ingress(mid).state == "replied"
    assert network.canister(a)["status"] == "running"  # the cancelled stop has no effect
    # stopping an idle canister answers at once; stopping it again is a no-op
    mgmt(network, ALICE, "stop_canister", {"canister_id": a})
    mgmt(network, ALICE, "stop_canister", {"canister_id": a})
    assert network.canister(a)["status"] == "stopped"


DEPOSITOR = """from kybra import Async, CallResult, Principal, nat64, update, void
from kybra.canisters.management import management_canister


@update
def deposit(target: Principal, amount: nat64) -> Async[str]:
    result: CallResult[void] = yield management_canister.deposit_cycles(
        {"canister_id": target}).with_cycles(amount)
    return result.Err or "ok"
"""


def test_deposit_cycles_moves_the_attached_cycles(network, tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "main.py").write_text(DEPOSITOR)
    depositor = network.deploy(str(tmp_path / "main.py"), controllers=[ALICE], project_root=str(tmp_path))
    target = network.create_canister(controllers=[BOB], cycles=1_000)
    before = network.canister(depositor)["cycles"]
    assert network.call(ALICE, depositor, "deposit", target, 5 * 10**9) == "ok"
    assert network.canister(target)["cycles"] == 1_000 + 5 * 10**9  # no controller needed
    spent = before - network.canister(depositor)["cycles"]
    assert 5 * 10**9 <= spent < 5 * 10**9 + 10**8  # the deposit plus small fees
    missing = network.create_canister(controllers=[ALICE])
    mgmt(network, ALICE, "stop_canister", {"canister_id": missing})
    mgmt(network, ALICE, "delete_canister", {"canister_id": missing})
    before = network.canister(depositor)["cycles"]
    err = network.call(ALICE, depositor, "deposit", missing, 5 * 10**9)
    assert err.startswith("Rejection code 3,") and "not found" in err
    assert before - network.canister(depositor)["cycles"] < 10**8  # refunded
    with pytest.raises(CallRejected) as e:  # only canisters may call it
        mgmt(network, ALICE, "deposit_cycles", {"canister_id": target})
    assert "Only canisters" in e.value.message
