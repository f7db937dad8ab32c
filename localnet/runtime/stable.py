"""Stable memory: Kybra's StableBTreeMaps and the raw `ic.stable_*` pages.

A map stores Candid-encoded keys and values (exactly what ic-stable-structures 0.5.2 holds
under Kybra 0.7.1: `candid::Encode!` of the key/value), enforces the declared
`max_key_size`/`max_value_size` with a trap, and keeps keys in the order of the Rust type
that Kybra derives `Ord` for: integers numerically, text by UTF-8 bytes, Principal by
(length, bytes), blobs/vecs/tuples lexicographically, opt None first, bools False first.
Keys live in a sorted list of sort keys (bisect: O(log n) search) next to a dict of encoded
entries, so `len` is O(1).

Every change is journaled; `rollback()` undoes the changes since the last `commit()`, which
the runtime calls at commit points (a trap rolls stable memory back with the heap).
"""
from __future__ import annotations

import bisect
from typing import Any, Dict, List, Optional, Tuple

from localnet.candid import types as T
from localnet.runtime import metering
from localnet.runtime.errors import Trap

WASM_PAGE = 65536
MAX_STABLE_PAGES = (400 * 1024 ** 3) // WASM_PAGE  # 400 GiB, the IC's stable memory limit
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
    if isinstance(t, T.Record):
        if isinstance(value, tuple):
            return tuple(sort_key(f.type, v, env) for f, v in zip(t.fields, value))
        return tuple(sort_key(f.type, value[f.label], env) for f in t.fields)
    if isinstance(t, T.Variant):
        (tag, inner), = value.items()
        for i, f in enumerate(t.fields):
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

    def __init__(self, memory_id: int, key_type, value_type, max_key_size: int,
                 max_value_size: int, env=None):
        self.memory_id = memory_id
        self.key_type = key_type
        self.value_type = value_type
        self.max_key_size = max_key_size
        self.max_value_size = max_value_size
        self.env = env
        self.entries: Dict[bytes, bytes] = {}  # encoded key -> encoded value
        self._sort: List[Tuple[Any, bytes]] = []  # sorted (sort key, encoded key)
        self.nbytes = 0  # total encoded size of the entries (kept for memory accounting)

    # -- encoding (keys are handled in their Candid form, see pyvalues) -------------
    def candid_key(self, key):
        from localnet.runtime.pyvalues import to_candid
        return to_candid([self.key_type], [key], self.env)[0]

    def _enc_key(self, key) -> bytes:
        try:
            return _binary().encode([self.key_type], [key], self.env)
        except Exception as e:
            raise TypeError(f"StableBTreeMap {self.memory_id} key: {e}") from None

    def _enc_value(self, value) -> bytes:
        from localnet.runtime.pyvalues import to_candid
        try:
            value = to_candid([self.value_type], [value], self.env)[0]
            return _binary().encode([self.value_type], [value], self.env)
        except Exception as e:
            raise TypeError(f"StableBTreeMap {self.memory_id} value: {e}") from None

    def _dec_key(self, data: bytes):
        """The key in its Candid form (used for sort keys)."""
        return _binary().decode(data, [self.key_type], self.env)[0]

    def _py(self, t, value):
        from localnet.runtime.pyvalues import to_python
        return to_python([t], [value], self.env)[0]

    def _dec_value(self, data: bytes):
        value = self._py(self.value_type,
                         _binary().decode(data, [self.value_type], self.env)[0])
        metering.charge_candid(data, value)
        return value

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
        enc_key = self._enc_key(self.candid_key(key))
        metering.charge_stable_map("get", len(self.entries), enc_key, key)
        return enc_key in self.entries

    def get(self, key):
        enc_key = self._enc_key(self.candid_key(key))
        metering.charge_stable_map("get", len(self.entries), enc_key, key)
        enc = self.entries.get(enc_key)
        return None if enc is None else self._dec_value(enc)

    def insert_encoded(self, key, value) -> Tuple[bytes, bytes, Optional[bytes]]:
        """`key` in its Candid form (candid_key)."""
        enc_key = self._enc_key(key)
        enc_value = self._enc_value(value)
        if len(enc_key) > self.max_key_size:
            raise Trap(f"Panicked at 'Key is too large. Expected <= {self.max_key_size} "
                       f"bytes, found {len(enc_key)} bytes'")
        if len(enc_value) > self.max_value_size:
            raise Trap(f"Panicked at 'Value is too large. Expected <= "
                       f"{self.max_value_size} bytes, found {len(enc_value)} bytes'")
        metering.charge_stable_map("insert", len(self.entries), enc_key, key)
        metering.charge_candid(enc_value, value)
        old = self._put(key, enc_key, enc_value)
        return enc_key, enc_value, old

    def keys(self) -> list:
        metering.charge_stable_scan(len(self.entries))
        return [self._py(self.key_type, self._dec_key(k)) for _, k in self._sort]

    def values(self) -> list:
        metering.charge_stable_scan(len(self.entries))
        return [self._dec_value(self.entries[k]) for _, k in self._sort]

    def items(self) -> list:
        metering.charge_stable_scan(len(self.entries))
        return [(self._py(self.key_type, self._dec_key(k)), self._dec_value(self.entries[k]))
                for _, k in self._sort]

    def __len__(self) -> int:
        return len(self.entries)

    def retype(self, key_type, value_type, max_key_size, max_value_size, env) -> None:
        """Adopt the signature of an upgraded canister (keys re-sorted for the new type)."""
        if max_key_size > self.max_key_size:
            raise Trap(f"Panicked at 'max_key_size of StableBTreeMap {self.memory_id} "
                       f"must be <= {self.max_key_size}'")
        if max_value_size > self.max_value_size:
            raise Trap(f"Panicked at 'max_value_size of StableBTreeMap {self.memory_id} "
                       f"must be <= {self.max_value_size}'")
        self.key_type, self.value_type, self.env = key_type, value_type, env
        self.max_key_size, self.max_value_size = max_key_size, max_value_size
        resorted = []
        for enc in self.entries:
            resorted.append((sort_key(key_type, self._dec_key(enc), env), enc))
        resorted.sort()
        self._sort = resorted

    def load_entries(self, entries) -> None:
        """Adds encoded (key, value) pairs read from a saved image or snapshot, sorting once
        at the end rather than per insert."""
        for k, v in entries:
            self.entries[k] = v
            self.nbytes += len(k) + len(v)
            self._sort.append((sort_key(self.key_type, self._dec_key(k), self.env), k))
        self._sort.sort()

    def to_state(self) -> dict:
        return {"memory_id": self.memory_id, "max_key_size": self.max_key_size,
                "max_value_size": self.max_value_size,
                "entries": [(k, self.entries[k]) for _, k in self._sort]}


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
                self.maps[memory_id] = StableMap(memory_id, sig.key, sig.value,
                                                 sig.max_key_size, sig.max_value_size, env)
            else:
                existing.retype(sig.key, sig.value, sig.max_key_size, sig.max_value_size,
                                env)

    def map(self, memory_id) -> StableMap:
        m = self.maps.get(memory_id)
        if m is None:
            raise LookupError(
                f"memory_id {memory_id} does not have an associated StableBTreeMap")
        return m

    def insert(self, memory_id, key, value):
        m = self.map(memory_id)
        key = m.candid_key(key)
        enc_key, _, old = m.insert_encoded(key, value)
        self._journal.append(("put", m, key, enc_key, old))
        return None if old is None else m._dec_value(old)

    def remove(self, memory_id, key):
        m = self.map(memory_id)
        key = m.candid_key(key)
        enc_key = m._enc_key(key)
        metering.charge_stable_map("remove", len(m.entries), enc_key, key)
        old = m._delete(key, enc_key)
        if old is None:
            return None
        self._journal.append(("del", m, key, enc_key, old))
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
        return bytes(self.raw[offset:offset + length])

    def write(self, offset: int, data: bytes) -> None:
        if offset < 0 or offset + len(data) > len(self.raw):
            raise Trap("stable memory out of bounds", "IC0502")
        self._touch_raw()
        self.raw[offset:offset + len(data)] = data

    def memory_size(self) -> int:
        """Bytes of stable memory in use (raw pages + map entries), for canister_status."""
        return len(self.raw) + sum(m.nbytes for m in self.maps.values())
