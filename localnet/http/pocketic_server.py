"""A PocketIC-compatible REST server over localnet `Network`s (console script
`localnet-pocket-ic`).

Implements the REST subset DFINITY's `pocket-ic` Python library (3.1.2) uses, with its JSON
shapes: instances, topology, time, tick, cycles, stable memory, ingress messages, queries,
the blob store, auto progress, and the IC HTTP interface under `/instances/<n>/api/...`.
Started like the PocketIC binary: `localnet-pocket-ic --port-file PATH [--ttl SECONDS]`.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time

from .errors import HttpError
from .ic_api import IcApi, network_time, principal_obj
from .keys import CANISTER_RANGE, ReplicaKeys
from .principal import to_text
from .server import Server, route, write_port_file

JSON = "application/json"
_KINDS = [
    ("nns", "NNS"),
    ("sns", "SNS"),
    ("ii", "II"),
    ("fiduciary", "Fiduciary"),
    ("bitcoin", "Bitcoin"),
    ("system", "System"),
    ("application", "Application"),
    ("verified_application", "VerifiedApplication"),
]


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def _unb64(value, what: str) -> bytes:
    if not isinstance(value, str):
        raise HttpError(400, f"`{what}` must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except Exception:
        raise HttpError(400, f"`{what}` is not valid base64") from None


def _field(body: dict, name: str):
    if not isinstance(body, dict) or name not in body:
        raise HttpError(400, f"missing field `{name}`")
    return body[name]


def _reject(rej) -> dict:
    return {"Err": {"reject_code": int(rej.code), "reject_message": rej.message, "error_code": rej.error_code or ""}}


class Instance:
    """One PocketIC instance: a Network, its IC HTTP interface and the subnet kind."""

    def __init__(self, kind: str, network_factory):
        self.network = network_factory()
        self.kind = kind
        self.api = IcApi(self.network, keys=ReplicaKeys(), auto_progress=False, sync_call_timeout=2.0)
        self.submitted: dict[bytes, bytes] = {}  # message id -> sender
        self.state_dir: str | None = None

    @property
    def lock(self):
        return self.api.lock

    def topology(self) -> dict:
        sid = self.api.keys.subnet_id
        return {
            "subnet_configs": {
                to_text(sid): {
                    "subnet_kind": self.kind,
                    "subnet_seed": list(hashlib.sha256(sid).digest()),
                    "size": 1,
                    "node_ids": [{"node_id": _b64(self.api.keys.node_id)}],
                    "canister_ranges": [
                        {
                            "start": {"canister_id": _b64(CANISTER_RANGE[0])},
                            "end": {"canister_id": _b64(CANISTER_RANGE[1])},
                        }
                    ],
                }
            },
            "default_effective_canister_id": {"canister_id": _b64(CANISTER_RANGE[0])},
        }


class PocketIcService:
    """Transport-free request handling: `handle(method, path, headers, body)`."""

    def __init__(self, network_factory=None):
        if network_factory is None:
            from localnet.runtime.network import Network

            network_factory = Network
        self.network_factory = network_factory
        self.instances: dict[int, Instance | None] = {}
        self.blobs: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.last_activity = time.monotonic()

    # ---- transport ----
    def handle(self, method: str, path: str, headers, body: bytes):
        self.last_activity = time.monotonic()
        path = path.split("?", 1)[0]
        try:
            m = re.match(r"^/instances/(\d+)(/api/.*)$", path)
            if m:
                inst = self._instance(int(m.group(1)))
                return route(inst.api, method, m.group(2), body)
            result = self._dispatch(method, path, headers, body)
            if isinstance(result, tuple):
                return result
            return 200, JSON, json.dumps(result).encode()
        except HttpError as err:
            return err.status, JSON, json.dumps({"message": err.message}).encode()
        except Exception as exc:
            from localnet.runtime.errors import LocalnetError

            if isinstance(exc, LocalnetError):  # misuse of the network, e.g. time going back
                return 400, JSON, json.dumps({"message": str(exc)}).encode()
            return 500, JSON, json.dumps({"message": f"localnet internal error: {exc!r}"}).encode()

    def _json(self, body: bytes):
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            raise HttpError(400, "request body is not valid JSON") from None

    def _instance(self, n: int) -> Instance:
        inst = self.instances.get(n)
        if inst is None:
            raise HttpError(404, f"Instance {n} not found")
        return inst

    def _dispatch(self, method, path, headers, body):
        if path == "/status" and method == "GET":
            return 200, "text/plain", b""
        if path == "/instances":
            if method == "GET":
                return ["Available" if i else "Deleted" for _, i in sorted(self.instances.items())]
            if method == "POST":
                return self._create(self._json(body) or {})
        if path == "/blobstore" and method == "POST":
            data = body
            if (headers.get("Content-Encoding") or "").lower() == "gzip":
                try:
                    data = gzip.decompress(body)
                except OSError:
                    raise HttpError(400, "blob is not valid gzip") from None
            key = hashlib.sha256(data).hexdigest()
            self.blobs[key] = data
            return 200, "text/plain", key.encode()
        m = re.match(r"^/blobstore/([0-9a-f]{64})$", path)
        if m and method == "GET":
            if m.group(1) not in self.blobs:
                raise HttpError(404, f"blob {m.group(1)} not found")
            return 200, "application/octet-stream", self.blobs[m.group(1)]
        m = re.match(r"^/instances/(\d+)$", path)
        if m and method == "DELETE":
            n = int(m.group(1))
            inst = self.instances.get(n)
            if inst is not None:
                inst.api.stop()
                if inst.state_dir:  # like PocketIC: the state is written out on deletion
                    with inst.lock:
                        inst.network.save(inst.state_dir)
                self.instances[n] = None
            return 200, JSON, b"null"
        m = re.match(r"^/instances/(\d+)/(.+)$", path)
        if m:
            inst = self._instance(int(m.group(1)))
            return self._instance_op(inst, method, m.group(2), self._json(body))
        raise HttpError(404, f"Not found: {method} {path}")

    def _create(self, config: dict):
        if not isinstance(config, dict):
            raise HttpError(400, "the instance configuration must be a JSON object")
        subnets = config.get("subnet_config_set", config)
        kind = "Application"
        for key, name in _KINDS:
            if isinstance(subnets, dict) and subnets.get(key):
                kind = name
                break
        state_dir = config.get("state_dir")
        factory = self.network_factory
        if state_dir and os.path.isdir(state_dir) and os.listdir(state_dir):
            from localnet.runtime.network import Network

            factory = lambda: Network.load(state_dir)  # noqa: E731
        with self.lock:
            n = len(self.instances)
            inst = Instance(kind, factory)
            inst.state_dir = state_dir
            self.instances[n] = inst
        return {"Created": {"instance_id": n, "topology": inst.topology()}}

    # ---- per-instance operations ----
    def _instance_op(self, inst: Instance, method: str, op: str, body):
        from localnet.runtime.errors import CallRejected

        net = inst.network
        with inst.lock:
            if op == "read/topology" and method == "GET":
                return inst.topology()
            if op == "read/get_time" and method == "GET":
                return {"nanos_since_epoch": network_time(net)}
            if op == "read/localnet/faults" and method == "GET":
                return [rule.describe() for rule in net.faults.rules]
            if method != "POST":
                raise HttpError(405, f"use POST for /instances/<n>/{op}")
            if op == "update/set_time":
                ns = _field(body, "nanos_since_epoch")
                if not isinstance(ns, int) or ns < 0:
                    raise HttpError(400, "`nanos_since_epoch` must be a natural number")
                net.set_time(ns)
                return None
            if op == "update/localnet/inject_fault":
                return self._inject_fault(net, body)
            if op == "update/localnet/clear_faults":
                cid = body.get("canister_id") if isinstance(body, dict) else None
                target = None if cid is None else principal_obj(_unb64(cid, "canister_id"))
                return {"removed": net.faults.clear(target)}
            if op == "update/tick":
                net.tick()
                return None
            if op == "read/pub_key":
                sid = _unb64(_field(body, "subnet_id"), "subnet_id")
                if sid != inst.api.keys.subnet_id:
                    raise HttpError(404, f"subnet {to_text(sid)} not found")
                return list(inst.api.keys.root_der)
            if op == "read/get_subnet":
                cid = _unb64(_field(body, "canister_id"), "canister_id")
                if self._canister_info(net, cid) is None:
                    return None
                return {"subnet_id": _b64(inst.api.keys.subnet_id)}
            if op == "read/get_cycles":
                cid = _unb64(_field(body, "canister_id"), "canister_id")
                return {"cycles": int(self._require_canister(net, cid)["cycles"])}
            if op == "update/add_cycles":
                cid = _unb64(_field(body, "canister_id"), "canister_id")
                amount = _field(body, "amount")
                if not isinstance(amount, int) or amount < 0:
                    raise HttpError(400, "`amount` must be a natural number")
                self._require_canister(net, cid)
                self._top_up(net, cid, amount)
                return {"cycles": int(self._require_canister(net, cid)["cycles"])}
            if op == "read/get_stable_memory":
                cid = _unb64(_field(body, "canister_id"), "canister_id")
                self._require_canister(net, cid)
                return {"blob": _b64(self._stable(net, "get_stable_memory")(principal_obj(cid)))}
            if op == "update/set_stable_memory":
                cid = _unb64(_field(body, "canister_id"), "canister_id")
                key = _unb64(_field(body, "blob_id"), "blob_id").hex()
                if key not in self.blobs:
                    raise HttpError(404, f"blob {key} not found in the blob store")
                self._require_canister(net, cid)
                self._stable(net, "set_stable_memory")(principal_obj(cid), self.blobs[key])
                return None
            if op == "read/query":
                sender, cid, meth, payload = self._call_fields(body)
                try:
                    return {"Ok": _b64(net.query_call(principal_obj(sender), principal_obj(cid), meth, payload))}
                except CallRejected as rej:
                    return _reject(rej)
            if op in ("update/submit_ingress_message", "update/execute_ingress_message"):
                sender, cid, meth, payload = self._call_fields(body)
                effective = self._effective(body.get("effective_principal"))
                mid = hashlib.sha256(os.urandom(32)).digest()
                try:
                    net.submit(
                        principal_obj(sender),
                        principal_obj(cid),
                        meth,
                        payload,
                        message_id=mid,
                        effective_canister_id=principal_obj(effective) if effective is not None else None,
                    )
                except CallRejected as rej:
                    return _reject(rej)
                inst.submitted[mid] = sender
                raw = {"effective_principal": body.get("effective_principal", "None"), "message_id": _b64(mid)}
                if op == "update/submit_ingress_message":
                    return {"Ok": raw}
                net.await_ingress(mid)
                return self._outcome(net.status(mid))
            if op in ("read/ingress_status", "update/await_ingress_message"):
                raw = body.get("raw_message_id", body) if isinstance(body, dict) else None
                mid = _unb64(_field(raw, "message_id"), "message_id")
                if mid not in inst.submitted:
                    raise HttpError(404, "unknown message id")
                caller = body.get("raw_caller") if isinstance(body, dict) else None
                if caller is not None and _unb64(caller, "raw_caller") != inst.submitted[mid]:
                    raise HttpError(403, "the caller is not the sender of this message")
                if op == "update/await_ingress_message":
                    net.await_ingress(mid)
                return self._outcome(net.status(mid))
            if op == "auto_progress":
                inst.api.start_driver()
                return None
            if op == "stop_progress":
                inst.api.stop()
                return None
        raise HttpError(404, f"Not found: {method} /instances/<n>/{op}")

    @staticmethod
    def _inject_fault(net, body) -> dict:
        """A localnet extension (not in PocketIC): a trap at a call boundary, as
        `Network.faults.add` (localnet/runtime/faults.py); answers the rule."""
        from localnet.runtime.errors import LocalnetError

        cid = _unb64(_field(body, "canister_id"), "canister_id")
        callee = body.get("callee")
        try:
            rule = net.faults.add(
                _field(body, "boundary"),
                principal_obj(cid),
                _field(body, "method"),
                callee=None if callee is None else principal_obj(_unb64(callee, "callee")),
                origin=body.get("origin"),
                times=body.get("times", 1),
            )
        except LocalnetError as e:
            raise HttpError(400, str(e)) from None
        return rule.describe()

    @staticmethod
    def _stable(net, name: str):
        fn = getattr(net, name, None)
        if fn is None:
            raise HttpError(501, f"this localnet runtime has no Network.{name} (stable memory export/import)")
        return fn

    @staticmethod
    def _outcome(status):
        if status.state == "replied":
            return {"Ok": _b64(status.reply or b"")}
        if status.state == "rejected":
            return {
                "Err": {
                    "reject_code": int(status.reject_code),
                    "reject_message": status.reject_message or "",
                    "error_code": status.error_code or "",
                }
            }
        return None

    @staticmethod
    def _call_fields(body):
        sender = _unb64(_field(body, "sender"), "sender")
        cid = _unb64(_field(body, "canister_id"), "canister_id")
        meth = _field(body, "method")
        if not isinstance(meth, str):
            raise HttpError(400, "`method` must be a string")
        payload = _unb64(_field(body, "payload"), "payload")
        return sender, cid, meth, payload

    @staticmethod
    def _effective(value):
        if value in (None, "None"):
            return None
        if isinstance(value, dict) and len(value) == 1:
            ((kind, raw),) = value.items()
            if kind == "CanisterId":
                return _unb64(raw, "effective_principal")
            if kind == "SubnetId":
                _unb64(raw, "effective_principal")
                return None
        raise HttpError(400, '`effective_principal` must be "None", {"CanisterId": ...} or {"SubnetId": ...}')

    @staticmethod
    def _canister_info(net, cid: bytes):
        try:
            return net.canister(principal_obj(cid))
        except Exception:
            return None

    def _require_canister(self, net, cid: bytes):
        info = self._canister_info(net, cid)
        if info is None:
            raise HttpError(400, f"Canister {to_text(cid)} not found")
        return info

    @staticmethod
    def _top_up(net, cid: bytes, amount: int):
        """Mint cycles as PocketIC does: the management canister's provisional top-up."""
        from localnet.candid.binary import encode
        from localnet.candid.did import parse_type
        from localnet.runtime.errors import CallRejected

        arg = encode(
            [parse_type("record { canister_id : principal; amount : nat }")],
            [{"canister_id": principal_obj(cid), "amount": amount}],
        )
        try:
            net.update_call(principal_obj(b"\x04"), principal_obj(b""), "provisional_top_up_canister", arg)
        except CallRejected as rej:
            raise HttpError(400, f"add_cycles failed: {rej.message}") from None


def _port_in_use(port_file: str) -> bool:
    """True when a server recorded in `port_file` is alive (PocketIC's one-server rule)."""
    try:
        with open(port_file, encoding="utf-8") as f:
            port = int(f.readline().strip())
    except (OSError, ValueError):
        return False
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="localnet-pocket-ic", description="PocketIC-compatible server backed by localnet"
    )
    parser.add_argument("--port-file", help="write the bound port (plus newline) here")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0 = any free port)")
    parser.add_argument("--ip-addr", default="127.0.0.1", help="address to bind")
    parser.add_argument("--ttl", type=float, default=60.0, help="exit after this many seconds without requests")
    args = parser.parse_args(argv)
    if args.port_file and _port_in_use(args.port_file):
        return 0  # a server for this port file already runs; clients will use it
    service = PocketIcService()
    try:
        server = Server((args.ip_addr, args.port), lambda m, p, b, h: service.handle(m, p, h, b))
    except OSError as exc:
        print(f"localnet-pocket-ic: cannot bind {args.ip_addr}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    if args.port_file:
        write_port_file(args.port_file, server.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        while time.monotonic() - service.last_activity < args.ttl:
            time.sleep(min(1.0, args.ttl))
    except KeyboardInterrupt:
        pass
    server.shutdown()
    if args.port_file:
        try:
            os.remove(args.port_file)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
