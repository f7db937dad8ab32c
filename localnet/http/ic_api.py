"""The IC HTTP interface (status, call, query, read_state) over a runtime `Network`.

Transport-free: each endpoint takes the URL id and the request body and returns
`(http_status, content_type, body)`, so the plain server and the PocketIC server's
`/instances/<n>/api/...` share it. All `Network` access is serialized by one lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from localnet.runtime import limits

from . import envelope
from .certify import Certifier, tagged
from .errors import HttpError
from .keys import ReplicaKeys
from .principal import from_text, to_text

CBOR = "application/cbor"
TEXT = "text/plain; charset=utf-8"
TERMINAL = ("replied", "rejected", "done")
MANAGEMENT = b""
IMPL_VERSION = "localnet-0.1.0"
PRUNE_AT = 10_000  # index size at which expired requests are swept
RETENTION_NS = 5 * 60 * 10**9


@dataclass
class LocalStatus:
    """A status the HTTP layer decided itself (a submit that failed before execution)."""

    state: str
    reply: bytes | None = None
    reject_code: int | None = None
    reject_message: str | None = None
    error_code: str | None = None


@dataclass
class Ingress:
    sender: bytes
    effective: bytes
    expiry: int
    message_id: bytes | None
    local: LocalStatus | None = None


def principal_obj(raw: bytes):
    """A kybra Principal (the runtime's principal type) from raw bytes."""
    from kybra import Principal

    return Principal(bytes(raw))


def network_time(network) -> int:
    t = network.time_ns
    return int(t() if callable(t) else t)


class IcApi:
    def __init__(
        self,
        network,
        keys: ReplicaKeys | None = None,
        lock=None,
        auto_progress: bool = True,
        sync_call_timeout: float = 30.0,
        async_settle_timeout: float = 2.0,
        wall_clock=time.time_ns,
    ):
        self.network = network
        self.keys = keys or ReplicaKeys()
        self.certifier = Certifier(self.keys)
        self.lock = lock or threading.RLock()
        self.auto_progress = auto_progress
        self.sync_call_timeout = sync_call_timeout
        self.async_settle_timeout = async_settle_timeout
        self.wall_clock = wall_clock
        self.ingress: dict[bytes, Ingress] = {}
        self._prune_at = PRUNE_AT
        self._progress = threading.Condition()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._driver = None
        # canisters' ic.data_certificate() gets real certificates from this layer
        network.certificate_hook = self.data_certificate
        if auto_progress:
            self.start_driver()

    def start_driver(self):
        """Execute submitted messages and follow wall-clock time in the background."""
        if self._driver is not None and self._driver.is_alive():
            return
        self._stopped.clear()
        self.auto_progress = True
        self._driver = threading.Thread(target=self._drive, name="localnet-driver", daemon=True)
        self._driver.start()

    # ---- execution driver (auto-progress mode: behaves like a live replica) ----
    def _drive(self):
        while not self._stopped.is_set():
            self._wake.wait(0.25)
            self._wake.clear()
            if self._stopped.is_set():
                break
            with self.lock:
                try:
                    self._follow_wall_clock()
                    self.network.run_until_idle()
                except Exception as exc:  # a broken message must not stop the replica
                    print(f"localnet: execution error: {exc!r}", flush=True)
                    self._fail_pending(exc)
            with self._progress:
                self._progress.notify_all()

    def _fail_pending(self, exc: Exception):
        """After an execution error, reject every call still in flight, so no client polls
        forever for a message the runtime may have dropped."""
        for entry in self.ingress.values():
            if entry.local is None:
                status = self.network.status(entry.message_id)
                if status is None or status.state not in TERMINAL:
                    entry.local = LocalStatus(
                        "rejected",
                        reject_code=1,
                        reject_message=f"localnet execution error: {exc}",
                        error_code="IC0504",
                    )

    def _follow_wall_clock(self):
        delta = self.wall_clock() - network_time(self.network)
        if delta > 0:
            self.network.advance_time(delta / 1e9)

    def progress(self):
        """Run pending messages now (auto mode) or do nothing (ticked mode)."""
        self._wake.set()

    def stop(self):
        """Stop the background driver (messages then only progress on `network.tick()`)."""
        self._stopped.set()
        self._wake.set()
        if self._driver is not None:
            self._driver.join(timeout=5)
            self._driver = None
        self.auto_progress = False

    # ---- status ----
    def status(self):
        body = {
            "root_key": self.keys.root_der,
            "impl_version": IMPL_VERSION,
            "impl_hash": "",
            "replica_health_status": "healthy",
        }
        return 200, CBOR, tagged(body)

    # ---- helpers ----
    def _now(self) -> int:
        return self.wall_clock()

    def _cert_time(self) -> int:
        return network_time(self.network)

    def _status_of(self, rid: bytes):
        entry = self.ingress.get(rid)
        if entry is None:
            return None
        if entry.local is not None:
            return entry.local
        try:
            status = self.network.status(entry.message_id)
            if status is None:
                raise LookupError("the runtime does not know the message")
            return status
        except Exception as exc:
            entry.local = LocalStatus(
                "rejected",
                reject_code=1,
                reject_message=f"localnet could not read the status: {exc}",
                error_code="IC0504",
            )
            return entry.local

    def _decode_for(self, effective_text: str, body: bytes, kind: str):
        """(request, effective canister id) for a call or query envelope; the request must
        target the canister in the URL (or the management canister), as on the IC. A call
        over the ingress size limit is refused with 413 (docs/kybra.md "Message limits")."""
        effective = from_text(effective_text)
        req = envelope.decode(
            body, kind, self._now(), max_bytes=(limits.MAX_INGRESS_BYTES_PER_MESSAGE if kind == "call" else None)
        )
        if req.canister_id != MANAGEMENT and req.canister_id != effective:
            raise HttpError(
                400,
                f"Specified CanisterId {to_text(req.canister_id)} does not "
                f"match effective canister id in URL {effective_text}",
            )
        return req, effective

    # ---- call ----
    def call(self, effective_text: str, body: bytes, sync: bool):
        req, effective = self._decode_for(effective_text, body, "call")
        with self.lock:
            self._prune()
            entry = self.ingress.get(req.request_id)
            if entry is None:
                entry = Ingress(req.sender, effective, req.content["ingress_expiry"], None)
                self.ingress[req.request_id] = entry
                self._submit(entry, req, effective)
        self.progress()
        if not sync:
            # Answer 202 once the call has settled (bounded): the spec leaves the timing open,
            # and a client's first read_state poll then finds the outcome (ic-py would
            # otherwise sleep a whole second before polling again).
            if self.auto_progress:
                self._wait_terminal(req.request_id, self.async_settle_timeout)
            return 202, TEXT, b""
        if not self._wait_terminal(req.request_id, self.sync_call_timeout):
            return 202, TEXT, b""
        with self.lock:
            cert = self._certificate(
                [[b"request_status", req.request_id]], {req.request_id: self._status_of(req.request_id)}, {}
            )
        return 200, CBOR, tagged({"status": "replied", "certificate": cert})

    def _prune(self):
        """Forget requests whose expiry passed more than a retention period ago (the IC
        prunes them after expiry too), here and in the runtime, so neither the index nor the
        network's statuses (nor its saved state) grow without bound."""
        if len(self.ingress) < self._prune_at:
            return
        cutoff = self._now() - RETENTION_NS
        for rid in [r for r, e in self.ingress.items() if e.expiry < cutoff]:
            entry = self.ingress[rid]
            if entry.message_id is not None and entry.local is None:
                if not self.network.forget_ingress(entry.message_id):
                    continue  # still running: its status is needed when it finishes
            del self.ingress[rid]
        self._prune_at = max(PRUNE_AT, 2 * len(self.ingress))

    def _submit(self, entry: Ingress, req, effective: bytes):
        from localnet.runtime.errors import CallRejected

        try:
            entry.message_id = self.network.submit(
                principal_obj(req.sender),
                principal_obj(req.canister_id),
                req.method_name,
                req.arg,
                message_id=req.request_id,
                effective_canister_id=principal_obj(effective),
            )
        except CallRejected as rej:
            entry.local = LocalStatus(
                "rejected", reject_code=rej.code, reject_message=rej.message, error_code=rej.error_code
            )
        except Exception as exc:
            entry.local = LocalStatus(
                "rejected",
                reject_code=1,
                reject_message=f"localnet failed to accept the call: {exc}",
                error_code="IC0504",
            )

    def _wait_terminal(self, rid: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                status = self._status_of(rid)
                if status is not None and status.state in TERMINAL:
                    return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._progress:
                self._progress.wait(min(remaining, 0.05))

    # ---- query ----
    def query(self, effective_text: str, body: bytes):
        from localnet.runtime.errors import CallRejected

        req, effective = self._decode_for(effective_text, body, "query")
        with self.lock:
            try:
                if req.canister_id == MANAGEMENT and req.method_name == "fetch_canister_logs":
                    reply = self._fetch_logs(req, effective)
                else:
                    reply = self.network.query_call(
                        principal_obj(req.sender), principal_obj(req.canister_id), req.method_name, req.arg
                    )
                response = {"status": "replied", "reply": {"arg": bytes(reply)}}
            except CallRejected as rej:
                reply = self._candid_hack(req, rej)
                if reply is not None:
                    response = {"status": "replied", "reply": {"arg": reply}}
                else:
                    response = {
                        "status": "rejected",
                        "reject_code": int(rej.code),
                        "reject_message": rej.message,
                        "error_code": rej.error_code or "",
                    }
            stamp = self._cert_time()
        response["signatures"] = self.certifier.sign_query_response(response, req.request_id, stamp)
        return 200, CBOR, tagged(response)

    def _fetch_logs(self, req, effective: bytes) -> bytes:
        """The management canister's `fetch_canister_logs` query (a non-replicated query the
        replica answers itself): the canister's log, for its controllers."""
        from localnet.candid.binary import decode, encode
        from localnet.candid.did import parse_type
        from localnet.candid.errors import CandidError
        from localnet.runtime.errors import CallRejected

        try:
            arg = decode(req.arg, [parse_type("record { canister_id : principal }")])[0]
        except CandidError as exc:
            raise CallRejected(5, f"fetch_canister_logs: invalid argument: {exc}", "IC0503") from None
        from localnet.candid.principals import principal_bytes

        cid = principal_bytes(arg["canister_id"])
        if cid != effective:
            raise CallRejected(
                5,
                "fetch_canister_logs: the effective canister id must be the canister whose logs are fetched",
                "IC0504",
            )
        info = self._canister_info(cid)
        if info is None:
            raise CallRejected(3, f"Canister {to_text(cid)} not found", "IC0301")
        controllers = [principal_bytes(c) for c in info.get("controllers") or []]
        if req.sender not in controllers:
            raise CallRejected(
                5, f"Caller {to_text(req.sender)} is not allowed to query ic00 method fetch_canister_logs", "IC0406"
            )
        records = [
            {"idx": r.idx, "timestamp_nanos": r.timestamp_nanos, "content": r.content.encode("utf-8")}
            for r in info.get("logs") or []
        ]
        ret = parse_type(
            "record { canister_log_records : vec record { idx : nat64; timestamp_nanos : nat64; content : blob } }"
        )
        return encode([ret], [{"canister_log_records": records}])

    def _candid_hack(self, req, rej):
        """Serve `__get_candid_interface_tmp_hack` from the canister's .did when the
        canister itself does not export it (Kybra canisters never do)."""
        if req.method_name != "__get_candid_interface_tmp_hack" or rej.error_code != "IC0302":
            return None
        info = self._canister_info(req.canister_id)
        candid = info.get("candid") if info is not None else None
        if not candid:
            return None
        from localnet.candid.binary import encode
        from localnet.candid.types import TEXT as CANDID_TEXT

        return encode([CANDID_TEXT], [candid])

    def _canister_info(self, cid: bytes):
        try:
            return self.network.canister(principal_obj(cid))
        except Exception:
            return None

    # ---- read_state ----
    def read_state_canister(self, effective_text: str, body: bytes):
        effective = from_text(effective_text)
        req = envelope.decode(body, "read_state", self._now(), target_hint=effective)
        return self._read_state(req, effective, subnet=None)

    def read_state_subnet(self, subnet_text: str, body: bytes):
        subnet = from_text(subnet_text)
        if subnet != self.keys.subnet_id:
            raise HttpError(404, f"Subnet {subnet_text} not found")
        req = envelope.decode(body, "read_state", self._now())
        return self._read_state(req, None, subnet=subnet)

    def _read_state(self, req, effective, subnet):
        request_ids = set()
        canisters = set()
        for path in req.paths:
            self._check_path(path, req, effective, subnet, request_ids, canisters)
        if len(request_ids) > 1:
            raise HttpError(
                400, "Invalid read state request: all request_status paths must refer to the same request id"
            )
        with self.lock:
            statuses = {}
            for rid in request_ids:
                entry = self.ingress.get(rid)
                if entry is None:
                    continue
                if entry.sender != req.sender or entry.effective != effective:
                    raise HttpError(
                        403,
                        f"Invalid read state request: request 0x{rid.hex()} "
                        "was not sent by this sender to this canister",
                    )
                statuses[rid] = self._status_of(rid)
            infos = {}
            for cid in canisters:
                info = self._canister_info(cid)
                if info is not None:
                    infos[cid] = info
            cert = self._certificate(req.paths, statuses, infos)
        return 200, CBOR, tagged({"certificate": cert})

    def _check_path(self, path, req, effective, subnet, request_ids, canisters):
        if not path:
            raise HttpError(404, "Invalid path requested.")
        head = path[0]
        if head in (b"time", b"subnet", b"api_boundary_nodes"):
            if head == b"time" and len(path) > 1:
                raise HttpError(404, "Invalid path requested.")
            if head == b"subnet" and len(path) >= 3 and path[2] == b"metrics" and subnet is None:
                raise HttpError(
                    403,
                    "Invalid read state request: /subnet/<id>/metrics can "
                    "only be read at /api/v2/subnet/<id>/read_state",
                )
            return
        if subnet is not None:
            raise HttpError(
                403, "Invalid read state request: only /time and /subnet paths can be read at the subnet endpoint"
            )
        if head == b"request_status" and len(path) in (2, 3):
            if len(path) == 3 and path[2] not in (
                b"status",
                b"reply",
                b"reject_code",
                b"reject_message",
                b"error_code",
            ):
                raise HttpError(404, "Invalid path requested.")
            request_ids.add(bytes(path[1]))
            return
        if head == b"canister" and len(path) >= 3:
            cid = bytes(path[1])
            if cid != effective:
                raise HttpError(
                    403,
                    f"Invalid read state request: canister {to_text(cid)} is "
                    f"not the effective canister id {to_text(effective)}",
                )
            leaf = path[2]
            if leaf in (b"module_hash", b"controllers") and len(path) == 3:
                canisters.add(cid)
                return
            if leaf == b"metadata" and len(path) == 4:
                try:
                    path[3].decode("utf-8")
                except UnicodeDecodeError:
                    raise HttpError(400, "Invalid read state request: metadata name is not UTF-8") from None
                canisters.add(cid)
                return
        raise HttpError(404, "Invalid path requested.")

    def _certificate(self, paths, statuses, infos) -> bytes:
        state = self.certifier.state(self._cert_time(), statuses, infos)
        return self.certifier.certificate(state, paths)

    def data_certificate(self, canister_id: bytes) -> bytes:
        """A certificate revealing `/canister/<id>/certified_data` (for ic0.data_certificate)."""
        with self.lock:
            info = self._canister_info(canister_id)
            infos = {canister_id: info} if info is not None else {}
            return self._certificate([[b"canister", canister_id, b"certified_data"]], {}, infos)
