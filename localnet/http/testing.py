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
