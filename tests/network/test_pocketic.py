"""DFINITY's `pocket-ic` Python library, unchanged, against `localnet-pocket-ic`."""

import base64
import os
import stat
import sys
import time

import pytest
import requests

HERE = os.path.dirname(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
COUNTER = os.path.join(HERE, "canisters", "counter", "main.py")


@pytest.fixture(scope="module")
def pocket_ic_bin(tmp_path_factory):
    """An executable that starts localnet's PocketIC server, as POCKET_IC_BIN expects."""
    path = tmp_path_factory.mktemp("bin") / "pocket-ic"
    path.write_text(f'#!/bin/sh\ncd {ROOT} && exec {sys.executable} -m localnet.http.pocketic_server --ttl 30 "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    old = os.environ.get("POCKET_IC_BIN")
    os.environ["POCKET_IC_BIN"] = str(path)
    yield str(path)
    if old is None:
        os.environ.pop("POCKET_IC_BIN")
    else:
        os.environ["POCKET_IC_BIN"] = old


@pytest.fixture(scope="module")
def module():
    from localnet.runtime import Network

    return Network().build_module(COUNTER, os.path.dirname(COUNTER))


@pytest.fixture
def pic(pocket_ic_bin):
    from pocket_ic import PocketIC

    return PocketIC()


def did_of(module):
    from localnet.runtime.module import unpack

    return unpack(module)[1]


def test_install_and_call_through_candid(pic, module):
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    assert canister.inc() == [1]
    assert canister.add(41) == [42]
    assert canister.get() == [42]
    from ic.candid import encode

    with pytest.raises(ValueError, match="counter failure requested"):
        pic.update_call(canister.canister_id, "fail", encode([]))


def test_topology_time_travel_and_ticks(pic, module):
    topology = pic.topology()
    assert len(topology) == 1 and list(topology.values())[0].value == "Application"
    t0 = pic.get_time()["nanos_since_epoch"]
    pic.set_time(t0 + 3600 * 10**9)
    assert pic.get_time()["nanos_since_epoch"] == t0 + 3600 * 10**9
    pic.advance_time(10**9)
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    assert canister.now() == [t0 + 3601 * 10**9]
    with pytest.raises(ConnectionError, match="backwards"):
        pic.set_time(t0)  # time never goes backwards


def test_cycles_get_and_add(pic, module):
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    cid = canister.canister_id
    before = pic.get_cycles_balance(cid)
    assert before > 0
    after = pic.add_cycles(cid, 10**12)
    # the top-up runs as one round, in which the canister also pays its resource fees
    assert before + 10**12 - 10**7 < after <= before + 10**12
    assert pic.get_cycles_balance(cid) == after
    assert pic.check_canister_exists(cid)


def test_submitted_messages_progress_on_tick(pic, module):
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    cid = base64.b64encode(canister.canister_id.bytes).decode()
    url = f"{pic.server.url}/instances/{pic.instance_id}"
    empty = base64.b64encode(b"DIDL\x00\x00").decode()
    body = {
        "sender": base64.b64encode(b"\x04").decode(),
        "effective_principal": "None",
        "canister_id": cid,
        "method": "inc",
        "payload": empty,
    }
    ids = [requests.post(f"{url}/update/submit_ingress_message", json=body).json()["Ok"] for _ in range(2)]
    status = [
        requests.post(f"{url}/read/ingress_status", json={"raw_message_id": i, "raw_caller": None}).json() for i in ids
    ]
    assert status == [None, None]  # nothing runs before a tick
    pic.tick()
    replies = [
        requests.post(f"{url}/read/ingress_status", json={"raw_message_id": i, "raw_caller": None}).json() for i in ids
    ]
    from ic.candid import Types, decode

    values = sorted(decode(base64.b64decode(r["Ok"]), Types.Nat)[0]["value"] for r in replies)
    assert values == [1, 2]


def test_rest_errors_are_json(pic):
    url = f"{pic.server.url}/instances/{pic.instance_id}"
    r = requests.post(f"{url}/read/get_cycles", json={"canister_id": "!!"})
    assert r.status_code == 400 and "base64" in r.json()["message"]
    r = requests.get(f"{pic.server.url}/instances/999/read/get_time")
    assert r.status_code == 404
    r = requests.post(f"{url}/update/set_time", json={})
    assert r.status_code == 400 and "nanos_since_epoch" in r.json()["message"]


def test_ic_http_interface_under_instance(pic, module):
    from ic.agent import Agent
    from ic.candid import encode
    from ic.client import Client
    from ic.identity import Identity

    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    requests.post(f"{pic.server.url}/instances/{pic.instance_id}/auto_progress", json={})
    agent = Agent(Identity(), Client(f"{pic.server.url}/instances/{pic.instance_id}"))
    cid = canister.canister_id.to_str()
    assert agent.update_raw(cid, "inc", encode([]))[0]["value"] == 1
    assert agent.query_raw(cid, "get", encode([]))[0]["value"] == 1
    requests.post(f"{pic.server.url}/instances/{pic.instance_id}/stop_progress", json={})


def test_blobstore_roundtrip(pic):
    key = pic.server.set_blob_store_entry(b"hello blob", None)
    r = requests.get(f"{pic.server.url}/blobstore/{key}")
    assert r.content == b"hello blob"
    import gzip

    key2 = pic.server.set_blob_store_entry(gzip.compress(b"zipped"), "gzip")
    assert requests.get(f"{pic.server.url}/blobstore/{key2}").content == b"zipped"


def test_await_ingress_and_delete_instance(pic, module):
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    url = f"{pic.server.url}/instances/{pic.instance_id}"
    body = {
        "sender": base64.b64encode(b"\x04").decode(),
        "effective_principal": "None",
        "canister_id": base64.b64encode(canister.canister_id.bytes).decode(),
        "method": "fail",
        "payload": base64.b64encode(b"DIDL\x00\x00").decode(),
    }
    mid = requests.post(f"{url}/update/submit_ingress_message", json=body).json()["Ok"]
    out = requests.post(f"{url}/update/await_ingress_message", json=mid).json()
    assert out["Err"]["reject_code"] == 5 and out["Err"]["error_code"] == "IC0503"
    other = requests.post(f"{pic.server.url}/instances", json={"application": [{}]}).json()
    n = other["Created"]["instance_id"]
    assert requests.delete(f"{pic.server.url}/instances/{n}").status_code == 200
    assert requests.get(f"{pic.server.url}/instances/{n}/read/get_time").status_code == 404
    assert requests.get(f"{pic.server.url}/instances").json()[n] == "Deleted"


def test_second_server_for_the_same_port_file_exits(pic, pocket_ic_bin, tmp_path):
    import subprocess
    import tempfile

    port_file = f"{tempfile.gettempdir()}/pocket_ic_{os.getpid()}.port"
    assert os.path.exists(port_file)
    started = time.monotonic()
    proc = subprocess.run([pocket_ic_bin, "--port-file", port_file], timeout=60)
    assert proc.returncode == 0 and time.monotonic() - started < 30
    assert requests.get(f"{pic.server.url}/instances").status_code == 200


def test_subnet_kind_and_state_dir(pocket_ic_bin, module, tmp_path):
    from pocket_ic import PocketIC
    from pocket_ic.subnet_config import SubnetConfig

    nns = PocketIC(SubnetConfig(nns=True))
    assert [k.value for k in nns.topology().values()] == ["NNS"]
    assert len(nns.get_root_key()) == 133
    state = tmp_path / "state"
    state.mkdir()
    first = PocketIC(SubnetConfig(application=1, state_dir=str(state)))
    canister = first.create_and_install_canister_with_candid(did_of(module), module)
    assert canister.add(7) == [7]
    first.server.delete_instance(first.instance_id)
    assert os.listdir(state)
    second = PocketIC(SubnetConfig(state_dir=str(state)))
    from ic.canister import Canister

    again = Canister(second, canister.canister_id, did_of(module))
    assert again.get() == [7]


def test_stable_memory_set_and_get(pic, module):
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    from ic.principal import Principal

    cid = Principal.from_str(canister.canister_id) if isinstance(canister.canister_id, str) else canister.canister_id
    data = bytes(range(256)) * 300  # 76,800 bytes: two 64 KiB pages
    pic.set_stable_memory(cid, data)
    got = pic.get_stable_memory(cid)
    assert got[: len(data)] == data
    assert len(got) % 65536 == 0 and len(got) >= len(data)
    assert set(got[len(data) :]) <= {0}


def test_localnet_fault_injection_endpoints(pic, module):
    """localnet's own extension: a trap at a call boundary through the instance's REST API."""
    canister = pic.create_and_install_canister_with_candid(did_of(module), module)
    cid = base64.b64encode(canister.canister_id.bytes).decode()
    url = f"{pic.server.url}/instances/{pic.instance_id}"
    rule = requests.post(
        f"{url}/update/localnet/inject_fault",
        json={"canister_id": cid, "boundary": "message", "method": "inc", "times": 2},
    ).json()
    assert rule["boundary"] == "message" and rule["times"] == 2 and rule["fired"] == 0
    from ic.candid import encode

    for _ in range(2):
        with pytest.raises(ValueError, match="localnet fault injection"):
            pic.update_call(canister.canister_id, "inc", encode([]))
    assert requests.get(f"{url}/read/localnet/faults").json() == []  # used up
    assert canister.inc() == [1]  # the trapped calls changed nothing
    requests.post(
        f"{url}/update/localnet/inject_fault",
        json={"canister_id": cid, "boundary": "message", "method": "inc", "times": None},
    )
    (listed,) = requests.get(f"{url}/read/localnet/faults").json()
    assert listed["times"] is None and listed["method"] == "inc"
    assert requests.post(f"{url}/update/localnet/clear_faults", json={}).json() == {"removed": 1}
    assert canister.inc() == [2]
    bad = requests.post(
        f"{url}/update/localnet/inject_fault", json={"canister_id": cid, "boundary": "later", "method": "inc"}
    )
    assert bad.status_code == 400 and "unknown fault boundary" in bad.text
