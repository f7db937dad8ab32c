"""Hash trees of the IC certification scheme (interface spec, "Certification").

A labeled state is a nested dict: label (bytes) -> dict (subtree) or bytes (leaf value).
Trees are kept in their CBOR array form (`[0]`, `[1, l, r]`, `[2, label, t]`, `[3, v]`,
`[4, hash]`), so the same objects are hashed, pruned, looked up and serialized.
"""

from __future__ import annotations

import hashlib

EMPTY, FORK, LABELED, LEAF, PRUNED = 0, 1, 2, 3, 4


def _domain(sep: str) -> bytes:
    raw = sep.encode()
    return bytes([len(raw)]) + raw


_SEP_EMPTY = _domain("ic-hashtree-empty")
_SEP_FORK = _domain("ic-hashtree-fork")
_SEP_LABELED = _domain("ic-hashtree-labeled")
_SEP_LEAF = _domain("ic-hashtree-leaf")


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def reconstruct(tree) -> bytes:
    """Root hash of a (possibly pruned) hash tree."""
    kind = tree[0]
    if kind == EMPTY:
        return _h(_SEP_EMPTY)
    if kind == FORK:
        return _h(_SEP_FORK + reconstruct(tree[1]) + reconstruct(tree[2]))
    if kind == LABELED:
        return _h(_SEP_LABELED + bytes(tree[1]) + reconstruct(tree[2]))
    if kind == LEAF:
        return _h(_SEP_LEAF + bytes(tree[1]))
    if kind == PRUNED:
        return bytes(tree[1])
    raise ValueError(f"unknown hash tree node {kind!r}")


def _forks(parts: list):
    """Join sibling subtrees into a balanced fork tree; fully pruned forks collapse."""
    if not parts:
        return [EMPTY]
    if len(parts) == 1:
        return parts[0]
    mid = (len(parts) + 1) // 2
    left, right = _forks(parts[:mid]), _forks(parts[mid:])
    node = [FORK, left, right]
    if left[0] == PRUNED and right[0] == PRUNED:
        return [PRUNED, reconstruct(node)]
    return node


def build(state) -> list:
    """The full hash tree of a labeled state."""
    if isinstance(state, (bytes, bytearray)):
        return [LEAF, bytes(state)]
    return _forks([[LABELED, label, build(state[label])] for label in sorted(state)])


def root_hash(state) -> bytes:
    return reconstruct(build(state))


def witness(state, paths) -> list:
    """The tree pruned to reveal `paths` (lists of labels), plus absence proofs.

    Everything under a requested path is revealed. A requested label that does not exist
    reveals its neighbours' labels, so `lookup` can prove it Absent.
    """
    paths = [list(p) for p in paths]
    if any(len(p) == 0 for p in paths) or isinstance(state, (bytes, bytearray)):
        return build(state)
    labels = sorted(state)
    wanted = {}
    for p in paths:
        wanted.setdefault(bytes(p[0]), []).append(p[1:])
    reveal = set()
    for label in wanted:
        if label in state:
            continue
        idx = _bisect(labels, label)
        if idx > 0:
            reveal.add(labels[idx - 1])
        if idx < len(labels):
            reveal.add(labels[idx])
    parts = []
    for label in labels:
        if label in wanted:
            parts.append([LABELED, label, witness(state[label], wanted[label])])
        elif label in reveal:
            parts.append([LABELED, label, [PRUNED, root_hash(state[label])]])
        else:
            parts.append([PRUNED, reconstruct([LABELED, label, build(state[label])])])
    return _forks(parts)


def _bisect(labels, label) -> int:
    lo, hi = 0, len(labels)
    while lo < hi:
        mid = (lo + hi) // 2
        if labels[mid] < label:
            lo = mid + 1
        else:
            hi = mid
    return lo


class LookupResult:
    """Outcome of `lookup_path`: status is 'found', 'absent', 'unknown' or 'error'."""

    def __init__(self, status: str, value=None):
        self.status = status
        self.value = value

    def __repr__(self):
        return f"LookupResult({self.status!r}, {self.value!r})"


def flatten_forks(tree) -> list:
    if tree[0] == EMPTY:
        return []
    if tree[0] == FORK:
        return flatten_forks(tree[1]) + flatten_forks(tree[2])
    return [tree]


def _find_label(label: bytes, trees: list) -> LookupResult:
    labels = [bytes(t[1]) if t[0] == LABELED else None for t in trees]
    for t, l1 in zip(trees, labels):
        if l1 == label:
            return LookupResult("found", t[2])
    for i in range(len(trees) - 1):
        l1, l2 = labels[i], labels[i + 1]
        if l1 is not None and l2 is not None and l1 < label < l2:
            return LookupResult("absent")
    if trees and labels[0] is not None and label < labels[0]:
        return LookupResult("absent")
    if trees and labels[-1] is not None and labels[-1] < label:
        return LookupResult("absent")
    if not trees or (len(trees) == 1 and trees[0][0] == LEAF):
        return LookupResult("absent")
    return LookupResult("unknown")


def lookup_path(path, tree) -> LookupResult:
    """The spec's `lookup_path` over a hash tree."""
    if not path:
        kind = tree[0]
        if kind == EMPTY:
            return LookupResult("absent")
        if kind == LEAF:
            return LookupResult("found", bytes(tree[1]))
        if kind == PRUNED:
            return LookupResult("unknown")
        return LookupResult("error")
    label = path[0].encode() if isinstance(path[0], str) else bytes(path[0])
    found = _find_label(label, flatten_forks(tree))
    if found.status != "found":
        return found
    return lookup_path(path[1:], found.value)
