"""`LocalnetServer`: the IC HTTP interface on 127.0.0.1 around an in-process Network,
for tests (the suite's `server` fixture) and benchmarks."""

from __future__ import annotations

from .ic_api import IcApi
from .keys import ReplicaKeys
from .server import serve


class LocalnetServer:
    """Serve `network` (a fresh `localnet.runtime.Network` if None) on a free port."""

    def __init__(
        self,
        network=None,
        host: str = "127.0.0.1",
        port: int = 0,
        keys: ReplicaKeys | None = None,
        verbose: bool = False,
    ):
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
            raise KeyError(
                f"canister {name!r} is not in {self.project_root}/.dfx/local/canister_ids.json (run `dfx deploy` first)"
            )
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
            return self.http.post(
                f"{self.url}/api/v2/canister/{canister_id}/{kind}",
                content=data,
                headers={"Content-Type": "application/cbor"},
            ).content

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


def icpy_types(desc):
    """Convert a parsed `.did` (localnet.candid ServiceDescription) into ic-py's type objects.

    ic-py's own .did parser keeps the quotes of quoted labels (`"principal": principal`
    becomes a field named '"principal"', hashed wrongly) and rejects some valid .did text;
    converting from the project's parser keeps ic-py's value conventions (opt as [] / [x],
    results as a list) without that parser."""
    from ic.candid import Types

    from ..candid import types as ct

    env = desc.env
    named: dict = {}

    def conv(t):
        if isinstance(t, ct.Var):
            if t.name not in named:
                rec = Types.Rec()
                named[t.name] = rec
                rec.fill(conv(env.types[t.name]))
            return named[t.name]
        if isinstance(t, ct.Prim):
            return {
                "null": Types.Null,
                "bool": Types.Bool,
                "nat": Types.Nat,
                "int": Types.Int,
                "nat8": Types.Nat8,
                "nat16": Types.Nat16,
                "nat32": Types.Nat32,
                "nat64": Types.Nat64,
                "int8": Types.Int8,
                "int16": Types.Int16,
                "int32": Types.Int32,
                "int64": Types.Int64,
                "float32": Types.Float32,
                "float64": Types.Float64,
                "text": Types.Text,
                "reserved": Types.Reserved,
                "empty": Types.Empty,
                "principal": Types.Principal,
            }[t.name]
        if isinstance(t, ct.Opt):
            return Types.Opt(conv(t.inner))
        if isinstance(t, ct.Vec):
            return Types.Vec(conv(t.inner))
        if isinstance(t, ct.Record):
            if t.is_tuple:
                return Types.Tuple(*[conv(f.type) for f in t.fields])
            return Types.Record({f.label: conv(f.type) for f in t.declared_fields})
        if isinstance(t, ct.Variant):
            return Types.Variant({f.label: conv(f.type) for f in t.declared_fields})
        if isinstance(t, ct.Func):
            return Types.Func([conv(a) for a in t.args], [conv(r) for r in t.rets], list(t.modes))
        if isinstance(t, ct.Service):
            return Types.Service({n: conv(m) for n, m in t.methods})
        raise TypeError(f"unsupported Candid type {t!r}")

    methods = {}
    for name, ftype in desc.service.methods:
        f = env.resolve(ftype)
        methods[name] = ([conv(a) for a in f.args], [conv(r) for r in f.rets], f.modes)
    return methods


class IcpyActor:
    """An ic-py actor for one canister: each method is ic-py's own `CaniterMethod`, typed
    from the project's .did parser (see `icpy_types`)."""

    def __init__(self, agent, canister_id: str, did_text: str):
        from ic.canister import CaniterMethod

        from ..candid.did import parse_did

        self.agent = agent
        self.canister_id = canister_id
        for name, (args, rets, modes) in icpy_types(parse_did(did_text)).items():
            anno = "query" if ("query" in modes or "composite_query" in modes) else None
            setattr(self, name, CaniterMethod(agent, canister_id, name, args, rets, anno))
