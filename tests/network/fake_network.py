"""A test double of `localnet.runtime.Network` (the ARCHITECTURE.md contract) for testing the
HTTP layer on its own: one counter canister whose methods are Python functions."""

import hashlib
from dataclasses import dataclass, field

from ic.candid import Types, encode
from kybra import Principal

from localnet.runtime.errors import CallRejected

COUNTER_ID = bytes(7) + b"\x01\x01\x01"
COUNTER_DID = "service : { inc : () -> (nat); get : () -> (nat) query; fail : () -> (); }"


@dataclass
class Status:
    state: str
    reply: bytes = None
    reject_code: int = None
    reject_message: str = None
    error_code: str = None


@dataclass
class Info:
    module_hash: bytes
    controllers: list
    certified_data: bytes = b""
    candid: str = COUNTER_DID
    cycles: int = 10**12
    logs: list = field(default_factory=list)


class FakeNetwork:
    def __init__(self, time_ns=1_700_000_000 * 10**9):
        self.time_ns = time_ns
        self.count = 0
        self.queue = []
        self.statuses = {}
        self.certificate_hook = None
        self.info = Info(hashlib.sha256(b"counter").digest(), [Principal(b"\x04")])

    def advance_time(self, seconds):
        self.time_ns += int(seconds * 1e9)

    def canister(self, cid):
        if cid.bytes != COUNTER_ID:
            raise KeyError(cid)
        return dict(vars(self.info))

    def submit(self, sender, canister_id, method, arg, message_id=None, effective_canister_id=None):
        if canister_id.bytes != COUNTER_ID:
            raise CallRejected(3, f"Canister {canister_id.to_str()} not found", "IC0301")
        self.statuses[message_id] = Status("received")
        self.queue.append((message_id, method, sender))
        return message_id

    def status(self, message_id):
        return self.statuses.get(message_id)

    def forget_ingress(self, message_id):
        st = self.statuses.get(message_id)
        if st is None or st.state not in ("replied", "rejected", "done"):
            return False
        del self.statuses[message_id]
        return True

    def tick(self):
        queue, self.queue = self.queue, []
        for mid, method, sender in queue:
            if method == "inc":
                self.count += 1
                self.statuses[mid] = Status("replied", encode([{"type": Types.Nat, "value": self.count}]))
            elif method == "whoami":
                self.statuses[mid] = Status("replied", encode([{"type": Types.Text, "value": sender.to_str()}]))
            elif method == "fail":
                self.statuses[mid] = Status("rejected", reject_code=5, reject_message="boom", error_code="IC0503")
            else:
                self.statuses[mid] = Status(
                    "rejected", reject_code=3, reject_message=f"no method {method}", error_code="IC0302"
                )

    def run_until_idle(self):
        while self.queue:
            self.tick()

    def query_call(self, sender, canister_id, method, arg):
        if canister_id.bytes != COUNTER_ID:
            raise CallRejected(3, "not found", "IC0301")
        if method == "get":
            return encode([{"type": Types.Nat, "value": self.count}])
        if method == "fail":
            raise CallRejected(5, "query boom", "IC0503")
        raise CallRejected(3, f"Canister has no query method '{method}'", "IC0302")
