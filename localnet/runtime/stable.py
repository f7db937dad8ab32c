"""Stable memory: Kybra's StableBTreeMaps and the raw `ic.stable_*` pages.

A map stores Candid-encoded keys and values (exactly what ic-stable-structures 0.5.2 holds
under Kybra 0.7.1: `candid::Encode!` of the key/value), enforces the declared
`max_key_size`/`max_value_size` with a trap, and keeps keys in the order of the Rust type
that Kybra derives `Ord` for: integers numerically, text by UTF-8 bytes, Principal by
(length, bytes), blobs/vecs/tuples lexicographically, opt None first, bools False first,
records field by field and variants by tag, both in declaration order.
Keys live in a sorted list of sort keys (bisect: O(log n) search) next to a dict of encoded
entries, so `len` is O(1).

Every change is journaled; `rollback()` undoes the changes since the last `commit()`, which
the runtime calls at commit points (a trap rolls stable memory back with the heap).

Layouts across upgrades follow ic-stable-structures 0.5.6 (the version Kybra 0.7.1's lock
file resolves; src/btreemap.rs, src/btreemap/node.rs). Kybra opens each map lazily
(a `thread_local!` holding `StableBTreeMap::init`), so nothing happens at the upgrade itself;
at the first access of a map after it (see `StableMap.reload`):
- `BTreeMap::load` asserts the declared max sizes are <= the ones in the map's header: a
  raised size traps on every access, `len()` included;
- a lowered size passes, and `Node::load` then walks the stored nodes with the *new* slot
  sizes: every entry after the first is read from other entries' bytes and its key fails to
  Candid-decode (trap). localnet traps on every node access of such a map (only `len()`
  and `is_empty()`, which read the header, still work); an empty map is not affected;
- a changed key or value type decodes the stored Candid bytes with the new type: a key
  that does not decode traps on every node access, a value traps when it is read, keys that
  decode but sort differently under the new type leave the B-tree out of order (trap).
"""

from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Tuple

from localnet.candid import types as T
from localnet.runtime import metering
from localnet.runtime.errors import Trap

WASM_PAGE = 65536
MAX_STABLE_PAGES = (400 * 1024**3) // WASM_PAGE  # 400 GiB, the IC's stable memory limit
MAX_STABLE32_PAGES = 65536


def _binary():
    from localnet.candid import binary

    return binary


def sort_key(t: T.Type, value: Any, env: Optional[T.TypeEnv]):
    """A Python value ordered like the Rust type Kybra derives `Ord` for."""
    if env is not None:
        t = env.resolve(t)
    if isinstance(t, T.Prim):
        n = t.name
        if n == "text":
            return value.encode("utf-8")
        if n == "principal":
            raw = value.bytes if hasattr(value, "bytes") else bytes(value)
            return (len(raw), raw)
        if n in ("null", "reserved", "empty"):
            return 0
        if n == "bool":
            return 1 if value else 0
        return value  # ints and floats
    if isinstance(t, T.Opt):
        return (0,) if value is None else (1, sort_key(t.inner, value, env))
    if isinstance(t, T.Vec):
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        return tuple(sort_key(t.inner, v, env) for v in value)
    # Kybra derives Rust `Ord`: a struct's fields, an enum's variants in declaration order
    # (cdk_framework record.rs/variant.rs emit the members in source order)
    if isinstance(t, T.Record):
        if isinstance(value, tuple):
            return tuple(sort_key(f.type, v, env) for f, v in zip(t.fields, value))
        return tuple(sort_key(f.type, value[f.label], env) for f in t.declared_fields)
    if isinstance(t, T.Variant):
        ((tag, inner),) = value.items()
        for i, f in enumerate(t.declared_fields):
            if f.label == tag:
                return (i, sort_key(f.type, inner, env))
        raise ValueError(f"unknown variant tag {tag}")
    if isinstance(t, T.Func):
        p, m = value
        return (sort_key(T.PRINCIPAL, p, env), m.encode())
    if isinstance(t, T.Service):
        return sort_key(T.PRINCIPAL, value, env)
    raise TypeError(f"type {t} cannot be a StableBTreeMap key")


class StableMap:
    """One StableBTreeMap (one memory id)."""

    def __init__(self, memory_id: int, key_type, value_type, max_key_size: int, max_value_size: int, env=None):
        self.memory_id = memory_id
        self.key_type = key_type
        self.value_type = value_type
        self.max_key_size = max_key_size
        self.max_value_size = max_value_size
        self.env = env
        self.entries: Dict[bytes, bytes] = {}  # encoded key -> encoded value
        self._sort: List[Tuple[Any, bytes]] = []  # sorted (sort key, encoded key)
        self.nbytes = 0  # total encoded size of the entries (kept for memory accounting)
        # The layout in stable memory: the sizes in the map's header (rewritten by every
        # insert/remove that changes the length: BTreeMap::save) and the slot sizes the
        # existing nodes were written with.
        self.header_sizes = (max_key_size, max_value_size)
        self.node_sizes = (max_key_size, max_value_size)
        self.load_fault: Optional[str] = None  # BTreeMap::load panics: every access traps
        self.node_fault: Optional[str] = None  # nodes cannot be read: every node access traps

    # -- encoding (keys are handled in their Candid form, see pyvalues) -------------
    def candid_key(self, key):
        from localnet.runtime.pyvalues import to_candid

        return to_candid([self.key_type], [key], self.env)[0]

    def _enc_key(self, key) -> bytes:
        try:
            return _binary().encode([self.key_type], [key], self.env, kybra=True)
        except Exception as e:
            raise TypeError(f"StableBTreeMap {self.memory_id} key: {e}") from None

    def _enc_value(self, value) -> bytes:
        from localnet.runtime.pyvalues import to_candid

        try:
            value = to_candid([self.value_type], [value], self.env)[0]
            return _binary().encode([self.value_type], [value], self.env, kybra=True)
        except Exception as e:
            raise TypeError(f"StableBTreeMap {self.memory_id} value: {e}") from None

    def _dec_key(self, data: bytes):
        """The key in its Candid form (used for sort keys)."""
        return _binary().decode(data, [self.key_type], self.env)[0]

    def _py(self, t, value):
        from localnet.runtime.pyvalues import to_python

        return to_python([t], [value], self.env)[0]

    def _dec_value(self, data: bytes):
        try:
            value = _binary().decode(data, [self.value_type], self.env)[0]
        except Exception as e:  # Kybra's Storable::from_bytes: Decode!(..).unwrap_or_trap()
            raise Trap(f"CandidError: {e}") from None
        value = self._py(self.value_type, value)
        metering.charge_candid(data, value)
        return value

    # -- the layout checks of ic-stable-structures 0.5.6 -------------------------------
    def check_open(self) -> None:
        """`StableBTreeMap::init` on first access (`len()` and `is_empty()` need no more)."""
        if self.load_fault is not None:
            raise Trap(self.load_fault)

    def check_nodes(self) -> None:
        """An operation that loads the root node (every operation but len/is_empty)."""
        self.check_open()
        if self.node_fault is not None and self.entries:
            raise Trap(self.node_fault)

    def _locate(self, key, enc: bytes) -> Tuple[int, bool]:
        sk = (sort_key(self.key_type, key, self.env), enc)
        i = bisect.bisect_left(self._sort, sk)
        return i, i < len(self._sort) and self._sort[i][1] == enc

    # -- raw operations (journaled by StableStore) -----------------------------------
    def _put(self, key, enc_key: bytes, enc_value: bytes) -> Optional[bytes]:
        old = self.entries.get(enc_key)
        if old is None:
            i, _ = self._locate(key, enc_key)
            self._sort.insert(i, (sort_key(self.key_type, key, self.env), enc_key))
            self.nbytes += len(enc_key) + len(enc_value)
        else:
            self.nbytes += len(enc_value) - len(old)
        self.entries[enc_key] = enc_value
        return old

    def _delete(self, key, enc_key: bytes) -> Optional[bytes]:
        old = self.entries.pop(enc_key, None)
        if old is not None:
            self.nbytes -= len(enc_key) + len(old)
            i, found = self._locate(key, enc_key)
            if found:
                del self._sort[i]
        return old

    # -- the Kybra API ----------------------------------------------------------------
    def contains_key(self, key) -> bool:
        self.check_nodes()
        enc_key = self._enc_key(self.candid_key(key))
        metering.charge_stable_map("get", len(self.entries), enc_key, key)
        return enc_key in self.entries

    def get(self, key):
        self.check_nodes()
        enc_key = self._enc_key(self.candid_key(key))
        metering.charge_stable_map("get", len(self.entries), enc_key, key)
        enc = self.entries.get(enc_key)
        return None if enc is None else self._dec_value(enc)

    def insert_encoded(self, key, value) -> Tuple[bytes, bytes, Optional[bytes]]:
        """`key` in its Candid form (candid_key)."""
        self.check_nodes()
        enc_key = self._enc_key(key)
        enc_value = self._enc_value(value)
        if len(enc_key) > self.max_key_size:
            raise Trap(
                f"Panicked at 'Key is too large. Expected <= {self.max_key_size} bytes, found {len(enc_key)} bytes'"
            )
        if len(enc_value) > self.max_value_size:
            raise Trap(
                f"Panicked at 'Value is too large. Expected <= "
                f"{self.max_value_size} bytes, found {len(enc_value)} bytes'"
            )
        metering.charge_stable_map("insert", len(self.entries), enc_key, key)
        metering.charge_candid(enc_value, value)
        old = self._put(key, enc_key, enc_value)
        return enc_key, enc_value, old

    def keys(self) -> list:
        self.check_nodes()
        metering.charge_stable_scan(len(self.entries))
        return [self._py(self.key_type, self._dec_key(k)) for _, k in self._sort]

    def values(self) -> list:
        self.check_nodes()
        metering.charge_stable_scan(len(self.entries))
        return [self._dec_value(self.entries[k]) for _, k in self._sort]

    def items(self) -> list:
        self.check_nodes()
        metering.charge_stable_scan(len(self.entries))
        return [(self._py(self.key_type, self._dec_key(k)), self._dec_value(self.entries[k])) for _, k in self._sort]

    def __len__(self) -> int:
        return len(self.entries)

    def length(self) -> int:
        """Kybra's `len()`: BTreeMap::len reads the header, so only a failed load traps."""
        self.check_open()
        return len(self.entries)

    def reload(self, key_type, value_type, max_key_size, max_value_size, env) -> None:
        """Adopt the declarations of an upgraded canister, as `BTreeMap::load` would see
        them at the first access after the upgrade (see the module docstring)."""
        self.key_type, self.value_type, self.env = key_type, value_type, env
        self.max_key_size, self.max_value_size = max_key_size, max_value_size
        self.load_fault = self.node_fault = None
        hk, hv = self.header_sizes
        if max_key_size > hk:
            self.load_fault = f"Panicked at 'max_key_size must be <= {hk}'"
            return
        if max_value_size > hv:
            self.load_fault = f"Panicked at 'max_value_size must be <= {hv}'"
            return
        if not self.entries:  # no root node: new nodes are written with the new sizes
            self.node_sizes = (max_key_size, max_value_size)
            self._sort = []
            return
        if self.node_sizes != (max_key_size, max_value_size):
            nk, nv = self.node_sizes
            self.node_fault = (
                f"CandidError: StableBTreeMap {self.memory_id}: its nodes were written with "
                f"max_key_size={nk}, max_value_size={nv} and are read with "
                f"{max_key_size}, {max_value_size}: entries are read at the wrong offsets "
                "(ic-stable-structures 0.5.6 Node::load) and do not decode"
            )
            return
        self._rekey()

    def _rekey(self) -> None:
        """Decode the stored keys with the (new) key type, as Node::load does, and index
        them by their encoding under that type. A key that does not decode, or keys whose
        order differs under the new type (a B-tree searched in the wrong order), fault."""
        stored = [enc for _, enc in self._sort] if len(self._sort) == len(self.entries) else list(self.entries)
        rekeyed: List[Tuple[Any, bytes, bytes]] = []
        for enc in stored:
            try:
                key = self._dec_key(enc)
                new_enc = self._enc_key(key)
            except Exception as e:
                self.node_fault = f"CandidError: {e}"
                return
            rekeyed.append((sort_key(self.key_type, key, self.env), new_enc, enc))
        if any(a[0] > b[0] for a, b in zip(rekeyed, rekeyed[1:])):
            self.node_fault = (
                f"StableBTreeMap {self.memory_id}: the stored keys are out of "
                "order under the new key type; the B-tree cannot be searched"
            )
            return
        if all(new == old for _, new, old in rekeyed):
            self._sort = [(sk, new) for sk, new, _ in rekeyed]
            return
        self.entries = {new: self.entries[old] for _, new, old in rekeyed}
        self.nbytes = sum(len(k) + len(v) for k, v in self.entries.items())
        self._sort = [(sk, new) for sk, new, _ in rekeyed]

    def restore_layout(self, header_sizes, node_sizes) -> None:
        """The layout recorded in a saved state or image (before `load_entries`)."""
        self.header_sizes, self.node_sizes = tuple(header_sizes), tuple(node_sizes)

    def snapshot(self) -> tuple:
        """Everything an upgrade can change, for `restore` when the upgrade fails."""
        return (
            self.key_type,
            self.value_type,
            self.max_key_size,
            self.max_value_size,
            self.env,
            dict(self.entries),
            list(self._sort),
            self.nbytes,
            self.header_sizes,
            self.node_sizes,
            self.load_fault,
            self.node_fault,
        )

    def restore(self, snap: tuple) -> None:
        (
            self.key_type,
            self.value_type,
            self.max_key_size,
            self.max_value_size,
            self.env,
            self.entries,
            self._sort,
            self.nbytes,
            self.header_sizes,
            self.node_sizes,
            self.load_fault,
            self.node_fault,
        ) = snap

    def load_entries(self, entries) -> None:
        """Adds encoded (key, value) pairs read from a saved image or snapshot, sorting once
        at the end rather than per insert."""
        for k, v in entries:
            self.entries[k] = v
            self.nbytes += len(k) + len(v)
        self.reload(self.key_type, self.value_type, self.max_key_size, self.max_value_size, self.env)

    def to_state(self) -> dict:
        return {
            "memory_id": self.memory_id,
            "max_key_size": self.max_key_size,
            "max_value_size": self.max_value_size,
            "header_sizes": self.header_sizes,
            "node_sizes": self.node_sizes,
            "entries": [(k, self.entries[k]) for _, k in self._sort],
        }


class StableStore:
    """All stable memory of one canister: maps by memory id plus raw pages, with an undo
    journal for rollback to the last commit point."""

    def __init__(self):
        self.maps: Dict[int, StableMap] = {}
        self.raw = bytearray()
        self._journal: List[tuple] = []
        self._raw_saved: Optional[bytes] = None

    # -- commit points ----------------------------------------------------------------
    def commit(self) -> None:
        self._journal.clear()
        self._raw_saved = None

    def rollback(self) -> None:
        for entry in reversed(self._journal):
            kind = entry[0]
            if kind == "put":
                _, m, key, enc_key, old = entry
                if old is None:
                    m._delete(key, enc_key)
                else:
                    m.nbytes += len(old) - len(m.entries[enc_key])
                    m.entries[enc_key] = old
            elif kind == "del":
                _, m, key, enc_key, old = entry
                m._put(key, enc_key, old)
            elif kind == "header":
                _, m, sizes = entry
                m.header_sizes = sizes
        self._journal.clear()
        if self._raw_saved is not None:
            self.raw = bytearray(self._raw_saved)
            self._raw_saved = None

    # -- maps ---------------------------------------------------------------------------
    def configure(self, signatures: dict, env) -> None:
        """Declare the maps of a (newly installed or upgraded) canister."""
        for memory_id, sig in signatures.items():
            existing = self.maps.get(memory_id)
            if existing is None:
                self.maps[memory_id] = StableMap(
                    memory_id, sig.key, sig.value, sig.max_key_size, sig.max_value_size, env
                )
            else:
                existing.reload(sig.key, sig.value, sig.max_key_size, sig.max_value_size, env)

    def map(self, memory_id) -> StableMap:
        m = self.maps.get(memory_id)
        if m is None:
            raise LookupError(f"memory_id {memory_id} does not have an associated StableBTreeMap")
        return m

    def _saved(self, m: StableMap) -> None:
        """BTreeMap::save after a change of length writes the current sizes to the header."""
        sizes = (m.max_key_size, m.max_value_size)
        if m.header_sizes != sizes:
            self._journal.append(("header", m, m.header_sizes))
            m.header_sizes = sizes

    def insert(self, memory_id, key, value):
        m = self.map(memory_id)
        key = m.candid_key(key)
        enc_key, _, old = m.insert_encoded(key, value)
        self._journal.append(("put", m, key, enc_key, old))
        if old is None:
            self._saved(m)
        return None if old is None else m._dec_value(old)

    def remove(self, memory_id, key):
        m = self.map(memory_id)
        m.check_nodes()
        key = m.candid_key(key)
        enc_key = m._enc_key(key)
        metering.charge_stable_map("remove", len(m.entries), enc_key, key)
        old = m._delete(key, enc_key)
        if old is None:
            return None
        self._journal.append(("del", m, key, enc_key, old))
        self._saved(m)
        return m._dec_value(old)

    # -- raw stable memory ----------------------------------------------------------------
    def _touch_raw(self):
        if self._raw_saved is None:
            self._raw_saved = bytes(self.raw)

    def size_pages(self) -> int:
        return len(self.raw) // WASM_PAGE

    def grow(self, pages: int, limit: int = MAX_STABLE_PAGES) -> int:
        """Returns the old size in pages, or -1 if the memory cannot grow that much."""
        old = self.size_pages()
        if pages < 0 or old + pages > limit:
            return -1
        self._touch_raw()
        self.raw.extend(bytes(pages * WASM_PAGE))
        return old

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > len(self.raw):
            raise Trap("stable memory out of bounds", "IC0502")
        return bytes(self.raw[offset : offset + length])

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > len(self.raw):
            raise Trap("stable memory out of bounds", "IC0502")
        self._touch_raw()
        self.raw[offset : offset + len(data)] = data

    def memory_size(self) -> int:
        """Bytes of stable memory in use (raw pages + map entries), for canister_status."""
        return len(self.raw) + sum(m.nbytes for m in self.maps.values())
