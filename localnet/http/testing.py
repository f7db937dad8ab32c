"""`LocalnetServer`: the IC HTTP interface on 127.0.0.1 around an in-process Network,
for tests (the suite's `server` fixture) and benchmarks."""
from __future__ import annotations

from .ic_api import IcApi
from .keys import ReplicaKeys
from .server import serve


class LocalnetServer:
    """Serve `network` (a fresh `localnet.runtime.Network` if None) on a free port."""

    def __init__(self, network=None, host: str = "127.0.0.1", port: int = 0,
                 keys: ReplicaKeys | None = None, verbose: bool = False):
        if network is None:
            from localnet.runtime.network import Network
            network = Network()
        self.network = network
        self.api = IcApi(network, keys=keys)
        self._server, self._thread = serve(self.api, host, port, verbose=verbose)
        self.host = host
        self.port = self._server.port
        self.url = f"http://{host}:{self.port}"

    @property
    def root_key(self) -> bytes:
        return self.api.keys.root_der

    @property
    def lock(self):
        """Hold this to use `network` directly while the server runs."""
        return self.api.lock

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.api.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class RemoteReplica:
    """The same surface for a replica that is already running (`dfx start`,
    `localnet start`): `.url`, `.root_key` (from /api/v2/status) and the ids of canisters
    deployed there (`canister_id(name)` from `.dfx/local/canister_ids.json`).
    There is no in-process `network`: canisters are deployed with `dfx deploy`."""

    network = None

    def __init__(self, url: str, project_root: str = "."):
        import cbor2
        import httpx
        self.url = url.rstrip("/")
        self.project_root = project_root
        r = httpx.get(self.url + "/api/v2/status", timeout=30)
        r.raise_for_status()
        self.root_key = cbor2.loads(r.content)["root_key"]

    def canister_id(self, name: str) -> str:
        from .project import load_ids
        ids = load_ids(self.project_root)
        if name not in ids:
            raise KeyError(f"canister {name!r} is not in {self.project_root}/.dfx/local/"
                           "canister_ids.json (run `dfx deploy` first)")
        return ids[name]

    def stop(self) -> None:
        """Nothing to stop: the replica is not ours."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def icpy_agent(url: str, identity, root_key: bytes | None = None):
    """An ic-py `Agent` suited to tests: one keep-alive HTTP connection (ic-py's own client
    opens a new one, about 40 ms, per request) and nanosecond ingress expiries, so two
    identical calls are two messages instead of one deduplicated message (ic-py sends no
    nonce and rounds expiries to seconds)."""
    import time

    import httpx
    from ic.agent import Agent
    from ic.client import Client

    class KeepAliveClient(Client):
        def __init__(self, base):
            super().__init__(base)
            self.http = httpx.Client(timeout=120)

        def _post(self, canister_id, kind, data):
            return self.http.post(f"{self.url}/api/v2/canister/{canister_id}/{kind}",
                                  content=data,
                                  headers={"Content-Type": "application/cbor"}).content

        def query(self, canister_id, data):
            return self._post(canister_id, "query", data)

        def call(self, canister_id, req_id, data):
            self._post(canister_id, "call", data)
            return req_id

        def read_state(self, canister_id, data):
            return self._post(canister_id, "read_state", data)

        def status(self):
            return self.http.get(f"{self.url}/api/v2/status").content

    class DistinctAgent(Agent):
        def get_expiry_date(self):
            return time.time_ns() + self.ingress_expiry * 10**9

    agent = DistinctAgent(identity, KeepAliveClient(url.rstrip("/")))
    if root_key is not None:
        agent.root_key = root_key
    return agent
