"""Network state: in-memory snapshot/revert for tests, and save/load to a directory.

`snapshot()` captures every canister (code, heap globals, stable memory, cycles, timers,
logs, chunks, settings), the time and the id counter; `revert()` puts it all back (the same
snapshot can be reverted to repeatedly). Both need an idle network: a suspended generator
cannot be copied.

`save(dir)` writes `state.cbor`: canisters with their module bytes, stable maps (encoded
entries), raw stable memory, cycles, controllers, settings, certified data, logs, chunk
stores, heap globals and timers (pickled, canister functions and classes by reference),
the deterministic randomness state, plus time and counters. `Network.load(dir)` runs each
module's top level again, then puts the saved heap globals and timers back, so a restart
keeps the heap as a replica restart does on the IC. A canister whose heap cannot be
pickled (a lambda or closure in a global, an open generator) is saved without heap and
timers: on load its heap is what the top level builds (as after an upgrade without hooks)
and a `[localnet]` line in its log says so.
"""

from __future__ import annotations

import copy
import hashlib
import os
from typing import Any, Dict

import cbor2

from localnet.runtime.errors import LocalnetError

FORMAT = "localnet-state/1"


def _require_idle(net) -> None:
    if net.queue or any(c.open_calls for c in net.canisters.values()):
        raise LocalnetError(
            "snapshot/save need an idle network (no queued steps or calls "
            "awaiting responses); run run_until_idle() first"
        )


def _stable_copy(store):
    from localnet.runtime.stable import StableStore

    new = StableStore()
    for mid, m in store.maps.items():
        nm = copy.copy(m)
        nm.entries = dict(m.entries)
        nm._sort = list(m._sort)
        new.maps[mid] = nm
    new.raw = bytearray(store.raw)
    return new


class NetworkSnapshot:
    def __init__(self, net):
        _require_idle(net)
        self.time_ns = net.time_ns
        self.next_canister_index = net.next_canister_index
        self.canisters = {}
        for cid, c in net.canisters.items():
            heap = c.namespace.heap_snapshot() if c.namespace is not None else None
            fields = copy.copy(c.__dict__)
            fields["stable"] = _stable_copy(c.stable)
            fields["timers"] = {k: copy.copy(t) for k, t in c.timers.items()}
            fields["logs"] = list(c.logs)
            fields["chunks"] = dict(c.chunks)
            fields["controllers"] = list(c.controllers)
            self.canisters[cid] = (c, fields, heap)
        self.ingress = {k: copy.copy(v) for k, v in net.ingress.items()}


def take_snapshot(net) -> NetworkSnapshot:
    return NetworkSnapshot(net)


def restore_snapshot(net, snap: NetworkSnapshot) -> None:
    if not isinstance(snap, NetworkSnapshot):
        raise LocalnetError("revert() needs an object returned by snapshot()")
    net.queue = []
    net.time_ns = snap.time_ns
    net.next_canister_index = snap.next_canister_index
    net.canisters = {}
    for cid, (c, fields, heap) in snap.canisters.items():
        c.__dict__.update(fields)
        c.stable = _stable_copy(fields["stable"])
        c.timers = {k: copy.copy(t) for k, t in fields["timers"].items()}
        c.logs = list(fields["logs"])
        c.chunks = dict(fields["chunks"])
        c.controllers = list(fields["controllers"])
        if heap is not None:
            heap.restore(reusable=True)
        net.canisters[cid] = c
    net.ingress = {k: copy.copy(v) for k, v in snap.ingress.items()}
    net.rebuild_wakeups()


# -- directories ------------------------------------------------------------------------------
def _heap_doc(c) -> Dict[str, Any]:
    from localnet.runtime.heap import dump_globals, dump_objects

    ns = c.namespace
    if ns is None:
        return {"heap": None, "timers": None}
    try:
        heap = dump_globals(ns.modules)
        timers = dump_objects([(t.id, t.due_ns, t.interval_ns, t.func, t.seq) for t in c.timers.values()], ns.modules)
    except Exception as e:
        return {"heap": None, "timers": None, "heap_error": f"{type(e).__name__}: {e}"}
    return {
        "heap": heap,
        "timers": timers,
        "heap_modules": sorted(ns.modules),
        "next_timer_id": c.next_timer_id,
        "timer_seq": c.timer_seq,
        "urandom_counter": ns.urandom.counter,
        "random_state": dump_objects(ns.random_state, {}),
    }


def _canister_doc(c) -> Dict[str, Any]:
    return {
        **_heap_doc(c),
        "id": c.id,
        "controllers": c.controllers,
        "cycles": c.cycles,
        "seed": c.seed,
        "status": c.status,
        "module": c.module,
        "certified_data": c.certified_data,
        "logs": [[r.idx, r.timestamp_nanos, r.content] for r in c.logs],
        "chunks": list(c.chunks.values()),
        "freezing_threshold": c.freezing_threshold,
        "memory_allocation": c.memory_allocation,
        "compute_allocation": c.compute_allocation,
        "reserved_cycles_limit": c.reserved_cycles_limit,
        "log_visibility": c.log_visibility,
        "reserved_cycles": c.reserved_cycles,
        "wasm_memory_limit": c.wasm_memory_limit,
        "install_count": c.install_count,
        "raw_stable": bytes(c.stable.raw),
        "maps": {str(mid): _map_doc(m) for mid, m in c.stable.maps.items()},
    }


def _map_doc(m) -> list:
    """[header key size, header value size, entries in stored order, node slot sizes]."""
    entries = (
        [[k, m.entries[k]] for _, k in m._sort]
        if len(m._sort) == len(m.entries)
        else [[k, v] for k, v in m.entries.items()]
    )
    return [*m.header_sizes, entries, list(m.node_sizes)]


def save(net, directory: str) -> None:
    _require_idle(net)
    os.makedirs(directory, exist_ok=True)
    doc = {
        "format": FORMAT,
        "time_ns": net.time_ns,
        "seed": net.seed,
        "next_canister_index": net.next_canister_index,
        "canisters": [_canister_doc(c) for c in net.canisters.values()],
    }
    tmp = os.path.join(directory, "state.cbor.tmp")
    with open(tmp, "wb") as f:
        cbor2.dump(doc, f)
    os.replace(tmp, os.path.join(directory, "state.cbor"))


def load(cls, directory: str, **kwargs):
    path = os.path.join(directory, "state.cbor")
    try:
        with open(path, "rb") as f:
            doc = cbor2.load(f)
    except (OSError, cbor2.CBORDecodeError) as e:
        raise LocalnetError(f"cannot read localnet state {path}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LocalnetError(f"{path} is not a {FORMAT} file")
    kwargs.setdefault("seed", doc["seed"])
    kwargs.setdefault("time_ns", doc["time_ns"])
    net = cls(**kwargs)
    net.next_canister_index = doc["next_canister_index"]
    for cd in doc["canisters"]:
        c = net._new_canister(cd["controllers"], cd["cycles"], specified_id=cd["id"])
        c.seed = cd["seed"]
        for k in (
            "status",
            "certified_data",
            "freezing_threshold",
            "memory_allocation",
            "compute_allocation",
            "reserved_cycles_limit",
            "log_visibility",
            "wasm_memory_limit",
        ):
            setattr(c, k, cd[k])
        c.reserved_cycles = cd.get("reserved_cycles", 0)
        c.chunks = {hashlib.sha256(ch).digest(): ch for ch in cd["chunks"]}
        if cd["module"] is not None:
            net.management.restore_code(c, cd["module"], cd["maps"], cd["raw_stable"], cd)
        c.install_count = cd["install_count"]
        from localnet.runtime.canister import LogRecord

        c.logs = [LogRecord(*r) for r in cd["logs"]]
    net.rebuild_wakeups()
    return net


# -- stable memory images (PocketIC get/set_stable_memory) -----------------------------------
IMAGE_MAGIC = b"LOCALNET-STABLE\x00"


def stable_image(canister) -> bytes:
    """One image of the canister's whole stable memory: raw pages and maps. A canister
    whose maps are all empty gets its raw pages as they are, as PocketIC returns them."""
    st = canister.stable
    if all(not m.entries for m in st.maps.values()):
        return bytes(st.raw)
    doc = {"raw": bytes(st.raw), "maps": {str(mid): _map_doc(m) for mid, m in st.maps.items()}}
    return IMAGE_MAGIC + cbor2.dumps(doc)


def load_stable_image(canister, data: bytes) -> None:
    """Replace the canister's stable memory by an image from `stable_image` (maps are typed
    with this canister's declarations) or, for any other bytes, by raw pages holding them."""
    from localnet.runtime.stable import WASM_PAGE, StableStore

    store = StableStore()
    if data.startswith(IMAGE_MAGIC):
        try:
            doc = cbor2.loads(data[len(IMAGE_MAGIC) :])
            raw, maps = doc["raw"], doc["maps"]
        except Exception as e:
            raise LocalnetError(f"corrupt stable memory image: {e}") from None
        if canister.interface is not None:
            store.configure(canister.interface.stable_maps, canister.interface.env)
        for mid_text, (mk, mv, entries, *nodes) in maps.items():
            m = store.maps.get(int(mid_text))
            if m is None:
                raise LocalnetError(f"the image has StableBTreeMap {mid_text}, which canister code does not declare")
            m.restore_layout((mk, mv), nodes[0] if nodes else (mk, mv))
            m.load_entries(entries)
        store.raw = bytearray(raw)
    else:
        pages = -(-len(data) // WASM_PAGE)
        store.raw = bytearray(data) + bytearray(pages * WASM_PAGE - len(data))
        if canister.interface is not None:
            store.configure(canister.interface.stable_maps, canister.interface.env)
    canister.stable = store
