"""Point 8: the management canister aaaaa-aa from users (ingress) and from canisters
(kybra's management Service and project-declared Services), with controller checks."""

import hashlib
import http.server
import threading

import pytest
from helpers import ALICE, BOB, ROOT, deploy, entry
from kybra import Principal

from localnet.candid import binary
from localnet.candid import types as T
from localnet.runtime import CallRejected
from localnet.runtime.management import ic_did

AAAAA = Principal.from_str("aaaaa-aa")


def mgmt(network, sender, method, value, effective=None):
    """Call aaaaa-aa by ingress with ic.did's types."""
    func = dict(ic_did().service.methods)[method]
    func = ic_did().env.resolve(func)
    arg = binary.encode(list(func.args), [value][: len(func.args)], ic_did().env)
    mid = network.submit(sender, AAAAA, method, arg, effective_canister_id=effective)
    st = network.await_ingress(mid)
    if st.state != "replied":
        raise CallRejected(st.reject_code, st.reject_message, st.error_code)
    out = binary.decode(st.reply, list(func.rets), ic_did().env)
    return out[0] if out else None


def test_ingress_lifecycle_with_controller_checks(network):
    created = mgmt(
        network,
        ALICE,
        "provisional_create_canister_with_cycles",
        {"amount": 10**13, "settings": None, "specified_id": None, "sender_canister_version": None},
    )
    cid = created["canister_id"]
    module = network.build_module(entry("counter"), ROOT)
    arg = binary.encode([T.PRINCIPAL], [ALICE])
    install = {
        "mode": {"install": None},
        "canister_id": cid,
        "wasm_module": module,
        "arg": arg,
        "sender_canister_version": None,
    }
    with pytest.raises(CallRejected) as e:
        mgmt(network, BOB, "install_code", install)
    assert e.value.error_code == "IC0512" and "Only controllers" in e.value.message
    mgmt(network, ALICE, "install_code", install)
    assert network.call(ALICE, cid, "increment", "a") == 1
    status = mgmt(network, ALICE, "canister_status", {"canister_id": cid})
    assert status["module_hash"] == hashlib.sha256(module).digest()
    assert status["status"] == {"running": None}
    assert [p.to_str() for p in status["settings"]["controllers"]] == [ALICE.to_str()]
    assert status["cycles"] <= 10**13
    with pytest.raises(CallRejected):
        mgmt(network, BOB, "canister_status", {"canister_id": cid})
    # the new `upgrade : opt record` form and the old `upgrade : null` one both work
    install["mode"] = {"upgrade": {"skip_pre_upgrade": None, "wasm_memory_persistence": None}}
    mgmt(network, ALICE, "install_code", install)
    old_form = T.Record(
        (
            T.Field.named("mode", T.Variant((T.Field.named("upgrade", T.NULL),))),
            T.Field.named("canister_id", T.PRINCIPAL),
            T.Field.named("wasm_module", T.BLOB),
            T.Field.named("arg", T.BLOB),
        )
    )
    raw = binary.encode(
        [old_form], [{"mode": {"upgrade": None}, "canister_id": cid, "wasm_module": module, "arg": arg}]
    )
    network.await_ingress(network.submit(ALICE, AAAAA, "install_code", raw))
    assert network.call(ALICE, cid, "get", "a") == 1  # upgrades kept the data
    mgmt(
        network,
        ALICE,
        "update_settings",
        {
            "canister_id": cid,
            "settings": {
                "controllers": [ALICE, BOB],
                "compute_allocation": None,
                "memory_allocation": None,
                "freezing_threshold": None,
                "reserved_cycles_limit": None,
                "log_visibility": None,
                "wasm_memory_limit": None,
            },
            "sender_canister_version": None,
        },
    )
    mgmt(network, BOB, "stop_canister", {"canister_id": cid})
    with pytest.raises(CallRejected) as e:
        network.call(ALICE, cid, "increment", "a")
    assert e.value.error_code == "IC0508"
    mgmt(network, BOB, "start_canister", {"canister_id": cid})
    assert network.call(ALICE, cid, "increment", "a") == 2
    mgmt(network, BOB, "uninstall_code", {"canister_id": cid, "sender_canister_version": None})
    with pytest.raises(CallRejected) as e:
        network.query_call(ALICE, cid, "get", binary.encode([T.TEXT], ["a"]))
    assert e.value.error_code == "IC0537"
    with pytest.raises(CallRejected) as e:
        mgmt(network, ALICE, "delete_canister", {"canister_id": cid})
    assert e.value.error_code == "IC0510"  # must be stopped first
    mgmt(network, ALICE, "stop_canister", {"canister_id": cid})
    mgmt(network, ALICE, "delete_canister", {"canister_id": cid})
    assert cid.bytes not in network.canisters


def test_install_rejects_bad_modules_and_bad_source(network, tmp_path):
    cid = network.create_canister(controllers=[ALICE])
    with pytest.raises(CallRejected) as e:
        network.install_code(cid, b"not wasm", sender=ALICE)
    assert e.value.error_code == "IC0505" and "bad magic" in e.value.message
    bad = tmp_path / "main.py"
    bad.write_text("from kybra import query\n\n@query\ndef f(x) -> str:\n    print(x)\n    return x\n")
    (tmp_path / "pyproject.toml").write_text("")
    from localnet.kybra_source.bundle import SourceBundle
    from localnet.runtime import module as wasm

    bundle = SourceBundle.from_entry(str(bad), str(tmp_path))
    with pytest.raises(CallRejected) as e:
        network.install_code(cid, wasm.pack(bundle.to_bytes()), sender=ALICE)
    assert e.value.error_code == "IC0505" and "main.py:4" in e.value.message


def test_canister_creates_installs_and_inspects_a_child(network):
    factory = deploy(network, "factory")
    fee = network.policy.canister_creation_fee
    # 1 T: install_code is prepaid at its 300 B instruction limit (0.3 T above the freezing
    # limit); the IC refuses to install a child of 0.1 T (test_prepayments.py)
    child = network.call(ALICE, factory, "create_child", fee + 10**12)
    info = network.canister(child)
    assert [p.to_str() for p in info["controllers"]] == [factory.to_str()]
    assert info["cycles"] == 10**12  # attached minus the creation fee
    module = network.build_module(entry("counter"), ROOT, gzipped=True)
    arg = binary.encode([T.PRINCIPAL], [ALICE])
    # kybra's declaration: InstallCodeMode with `upgrade: null`
    assert network.call(ALICE, factory, "install_child", child, module, arg, "install") == "ok"
    assert network.call(ALICE, child, "owner") == ALICE.to_str()
    assert network.call(ALICE, factory, "install_child", child, module, arg, "upgrade") == "ok"
    status = network.call(ALICE, factory, "child_status", child)
    assert status["module_hash"] == hashlib.sha256(module).digest()
    # ALICE is not a controller of the child
    with pytest.raises(CallRejected):
        network.install_code(child, module, arg, mode="reinstall", sender=ALICE)
    err = network.call(ALICE, factory, "install_child", factory, module, arg, "upgrade")
    assert err.startswith("Rejection code 5,") and "Only controllers" in err


def test_chunked_install_checks_hashes(network):
    factory = deploy(network, "factory")
    # 1 T: enough for install_code's 300 B instruction prepayment (0.1 T is not)
    child = network.call(ALICE, factory, "create_child", network.policy.canister_creation_fee + 10**12)
    module = network.build_module(entry("counter"), ROOT)
    arg = binary.encode([T.PRINCIPAL], [BOB])
    parts = [module[i : i + 1000] for i in range(0, len(module), 1000)]
    hashes = [network.call(ALICE, factory, "upload", p) for p in parts]
    assert hashes == [hashlib.sha256(p).digest() for p in parts]
    wrong = network.call(ALICE, factory, "install_chunked", child, hashes, b"\x00" * 32, arg)
    assert "does not match" in wrong
    ok = network.call(ALICE, factory, "install_chunked", child, hashes, hashlib.sha256(module).digest(), arg)
    assert ok == "ok"
    assert network.call(ALICE, child, "owner") == BOB.to_str()
    with pytest.raises(CallRejected) as e:  # chunks are at most 1 MiB
        network.call(ALICE, factory, "upload", b"\x00" * (1024 * 1024 + 1))
    assert "exceeds the maximum chunk size" in e.value.message


def test_raw_rand_only_from_canisters(network):
    factory = deploy(network, "factory")
    a = network.call(ALICE, factory, "random_bytes")
    b = network.call(ALICE, factory, "random_bytes")
    assert len(a) == 32 and a != b
    with pytest.raises(CallRejected):
        mgmt(network, ALICE, "raw_rand", None)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"x" * 20_000 if self.path == "/big" else b"hello from " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_outcall_fee_is_the_ics_for_the_whole_request(network):
    """The IC prices an outcall by url + headers + body + transform method name and context
    (rs/types canister_http `variable_parts_size`) at the current fee table; one cycle less
    than that is rejected before anything is sent."""
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        factory = deploy(network, "factory")
        url = f"http://127.0.0.1:{srv.server_port}/price"
        size = len(url) + len("Accept") + len("text/plain") + len("strip") + len("ctx")
        fee = (3_000_000 + 60_000 * 13 + 400 * size + 800 * 10000) * 13
        assert network.policy.http_request_fee(size, 10000) == fee
        short = network.call(ALICE, factory, "fetch_paying", url, fee - 1)
        assert short.startswith("Err: ") and f"but {fee} cycles are required" in short
        assert network.call(ALICE, factory, "fetch_paying", url, fee) == "200 hello from /price transformed ctx"
    finally:
        srv.shutdown()


def test_fees_are_the_ics_application_subnet_table(network):
    """dfinity/ic rs/config/src/subnet_config.rs application_subnet() @ 002d5530."""
    p = network.policy
    assert p.canister_creation_fee == 500_000_000_000
    assert p.execution_fee(0) == 5_000_000 and p.execution_fee(1_000) == 5_001_000
    assert p.ingress_fee("ab", b"xyz") == 1_200_000 + 2_000 * 5
    assert p.call_fee("ab", b"xyz") == 260_000 + 1_000 * 5
    assert p.freezing_limit(1024**3, 2_592_000) == 127_000 * 2_592_000


def test_http_outcall_is_real_loopback_only_and_transformed(network):
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        factory = deploy(network, "factory")
        url = f"http://127.0.0.1:{srv.server_port}/price"
        before = network.canister(factory)["cycles"]
        assert network.call(ALICE, factory, "fetch", url, False) == "200 hello from /price"
        fee = network.policy.http_request_fee(len(url), 10000)
        assert before - network.canister(factory)["cycles"] >= fee
        assert network.call(ALICE, factory, "fetch", url, True) == "200 hello from /price transformed ctx"
        too_big = network.call(ALICE, factory, "fetch", url.replace("/price", "/big"), False)
        assert "exceeds size limit of 10000 bytes" in too_big
        refused = network.call(ALICE, factory, "fetch", "https://example.com/", False)
        assert refused.startswith("Err: Rejection code 1,") and "loopback" in refused
    finally:
        srv.shutdown()


def test_top_up_and_ingress_only_rules(network):
    cid = network.create_canister(controllers=[ALICE], cycles=1_000)
    mgmt(network, BOB, "provisional_top_up_canister", {"canister_id": cid, "amount": 5_000})
    assert network.canister(cid)["cycles"] == 6_000
    with pytest.raises(CallRejected) as e:
        mgmt(network, ALICE, "create_canister", {"settings": None, "sender_canister_version": None})
    assert "Only canisters" in e.value.message
    with pytest.raises(CallRejected) as e:
        network.submit(ALICE, AAAAA, "no_such_method", binary.encode([], []))
    assert e.value.error_code == "IC0407"
    other = network.create_canister(controllers=[ALICE])
    with pytest.raises(CallRejected) as e:  # the effective canister id must be the target
        mgmt(network, ALICE, "canister_status", {"canister_id": cid}, effective=other)
    assert "effective canister id" in e.value.message
    assert mgmt(network, ALICE, "canister_status", {"canister_id": cid}, effective=cid)["cycles"] == 6_000


def test_stopping_waits_for_open_calls(network):
    a = deploy(network, "pingpong")
    b = deploy(network, "pingpong")
    mid = network.submit(ALICE, a, "ping", binary.encode([T.PRINCIPAL, T.NAT64], [b, 1]))
    network.step()  # a waits for b
    func = ic_did().env.resolve(dict(ic_did().service.methods)["stop_canister"])
    stop = network.submit(
        ALICE, AAAAA, "stop_canister", binary.encode(list(func.args), [{"canister_id": a}], ic_did().env)
    )
    network.step(1)  # only the stop request (b's call stays queued)
    assert network.status(stop).state == "processing"  # answered once a is stopped
    assert network.canister(a)["status"] == "stopping"
    late = network.submit(ALICE, a, "hits", binary.encode([], []))
    network.step(1)
    assert network.status(late).error_code == "IC0509"
    assert network.await_ingress(mid).state == "replied"  # responses are still delivered
    assert network.canister(a)["status"] == "stopped"
    assert network.await_ingress(stop).state == "replied"


def test_chunk_store_by_ingress(network):
    cid = network.create_canister(controllers=[ALICE])
    first = mgmt(network, ALICE, "upload_chunk", {"canister_id": cid, "chunk": b"one"})
    mgmt(network, ALICE, "upload_chunk", {"canister_id": cid, "chunk": b"two"})
    assert first == {"hash": hashlib.sha256(b"one").digest()}
    stored = mgmt(network, ALICE, "stored_chunks", {"canister_id": cid})
    assert sorted(h["hash"] for h in stored) == sorted(hashlib.sha256(c).digest() for c in (b"one", b"two"))
    with pytest.raises(CallRejected):
        mgmt(network, BOB, "stored_chunks", {"canister_id": cid})
    mgmt(network, ALICE, "clear_chunk_store", {"canister_id": cid})
    assert mgmt(network, ALICE, "stored_chunks", {"canister_id": cid}) == []
