"""`ic.candid_encode` / `ic.candid_decode` semantics (kybra's candid_encode.rs and
candid_decode.rs): textual Candid without a type, as candid's `IDLArgs` handles it.

Encoding types each parsed value the way candid's `IDLValue` does (an unannotated number is
an `int`, a float is `float64`, `vec {}` is `vec empty`, annotations win) and encodes with
the project codec; decoding reads the message's own wire types and prints the values.
The parsing, encoding and printing are localnet.candid's; only the typing is here.
"""

from __future__ import annotations

from localnet.candid import binary, text
from localnet.candid import types as T
from localnet.candid.errors import CandidError
from localnet.candid.lexer import Cursor


def _infer(node) -> T.Type:
    tag = node[0]
    if tag == "num":
        return T.INT
    if tag == "float":
        return T.FLOAT64
    if tag == "text":
        return T.TEXT
    if tag == "bool":
        return T.BOOL
    if tag == "null":
        return T.NULL
    if tag == "opt":
        return T.Opt(_infer(node[1]))
    if tag == "vec":
        items = node[1]
        return T.Vec(_infer(items[0]) if items else T.EMPTY)
    if tag == "blob":
        return T.BLOB
    if tag == "record":
        return T.Record(tuple(T.Field(fid, _infer(v), name) for fid, name, v in node[1]))
    if tag == "variant":
        fid, name, v = node[1]
        return T.Variant((T.Field(fid, _infer(v), name),))
    if tag == "principal":
        return T.PRINCIPAL
    if tag == "service":
        return T.Service(())
    if tag == "func":
        return T.Func((), (), ())
    if tag == "ann":
        return node[2]
    raise CandidError(f"cannot type value {tag}")


def encode_text(source: str) -> bytes:
    cur = Cursor(source)
    nodes = text.read_args_tree(cur) if cur.at_sym("(") else [text._read_annotated(cur)]
    cur.expect_eof()
    types = [_infer(n) for n in nodes]
    values = text.args_to_values(nodes, types)
    return binary.encode(types, values)


def decode_to_text(data: bytes) -> str:
    if not data.startswith(b"DIDL"):
        raise CandidError("not a Candid message (missing DIDL magic bytes)")
    r = binary._Reader(data, 4)
    env, types = binary._read_table(r)
    values = binary.decode(data, types, env)
    return text.format_args(values, types, env)
