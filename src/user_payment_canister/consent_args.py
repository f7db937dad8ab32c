"""The arguments of a call a signer asks a consent message for (ICRC-21 passes them as a
Candid blob). Kybra 0.7.1 offers no typed decoding of a blob, only `ic.candid_decode`, which
prints the message as textual Candid from its own wire types (record fields as their
numeric hashes, numbers like `3_600 : nat64`); this module reads that text back into plain
Python values. Anything unexpected makes the whole argument unreadable (None), so a consent
message is never built from a guess."""

from kybra import ic

MAX_ARG_BYTES = 4_096
MAX_DEPTH = 8


def field_hash(name: str) -> int:
    """Candid's field id of a record label (the Candid spec's idl_hash)."""
    h = 0
    for b in name.encode():
        h = (h * 223 + b) % 4294967296
    return h


class Reader:
    def __init__(self, src: str):
        self.src = src
        self.i = 0

    def ws(self) -> None:
        while self.i < len(self.src) and self.src[self.i] in " \t\r\n":
            self.i += 1

    def peek(self, word: str) -> bool:
        self.ws()
        return self.src.startswith(word, self.i)

    def take(self, word: str) -> bool:
        if self.peek(word):
            self.i += len(word)
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.take(word):
            raise ValueError("expected " + word)

    def name(self) -> str:
        self.ws()
        start = self.i
        while self.i < len(self.src) and (self.src[self.i].isalnum() or self.src[self.i] == "_"):
            self.i += 1
        if start == self.i:
            raise ValueError("expected a name")
        return self.src[start : self.i]

    def string(self) -> str:
        self.expect('"')
        out = []
        while self.i < len(self.src):
            ch = self.src[self.i]
            self.i += 1
            if ch == '"':
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                continue
            esc = self.src[self.i : self.i + 1]
            self.i += 1
            if esc in ('"', "\\", "'"):
                out.append(esc)
            elif esc == "n":
                out.append("\n")
            elif esc == "t":
                out.append("\t")
            elif esc == "r":
                out.append("\r")
            elif esc == "u" and self.src[self.i : self.i + 1] == "{":
                end = self.src.index("}", self.i)
                out.append(chr(int(self.src[self.i + 1 : end], 16)))
                self.i = end + 1
            else:
                raise ValueError("unsupported escape")
        raise ValueError("unterminated text")

    def number(self) -> int:
        self.ws()
        start = self.i
        if self.src[self.i : self.i + 1] in ("-", "+"):
            self.i += 1
        while self.i < len(self.src) and (self.src[self.i].isdigit() or self.src[self.i] == "_"):
            self.i += 1
        digits = self.src[start : self.i].replace("_", "")
        if digits in ("", "-", "+"):
            raise ValueError("expected a number")
        if self.take(":"):
            self.name()  # the printed type annotation (nat64, nat32, ...)
        return int(digits)

    def skip_digits(self) -> None:
        while self.i < len(self.src) and (self.src[self.i].isdigit() or self.src[self.i] == "_"):
            self.i += 1

    def value(self, depth: int):
        if depth > MAX_DEPTH:
            raise ValueError("too deeply nested")
        self.ws()
        if self.peek('"'):
            return self.string()
        if self.take("principal"):
            return ("principal", self.string())
        if self.take("true"):
            return True
        if self.take("false"):
            return False
        if self.take("null"):
            return None
        if self.take("opt"):
            return [self.value(depth + 1)]
        if self.take("vec"):
            return self.items(depth, False)
        if self.take("record"):
            return self.items(depth, True)
        return self.number()

    def items(self, depth: int, labelled: bool):
        self.expect("{")
        out = {} if labelled else []
        index = 0
        while not self.take("}"):
            if labelled:
                mark = self.i
                self.ws()
                key = index
                if self.src[self.i : self.i + 1].isdigit() or self.src[self.i : self.i + 1].isalpha():
                    key = self.label_at(self.i)
                    if not self.take("="):  # a tuple record prints bare values
                        self.i = mark
                        key = index
                out[key] = self.value(depth + 1)
                index += 1
            else:
                out.append(self.value(depth + 1))
            if not self.take(";"):
                self.expect("}")
                break
        return out

    def label_at(self, start: int) -> int:
        """A field label: its printed hash, or a name (hashed like the wire does)."""
        if self.src[start : start + 1].isdigit():
            self.skip_digits()
            return int(self.src[start : self.i].replace("_", ""))
        return field_hash(self.name())


def decode_args(arg: bytes) -> "list | None":
    """The call's arguments as plain values (text, int, bool, None, [x] for opt, lists,
    dicts keyed by field hash, ("principal", text)); None if unreadable."""
    if len(arg) > MAX_ARG_BYTES:
        return None
    try:
        src = ic.candid_decode(arg)
    except Exception:  # kybra raises CandidError for bytes that are no Candid message
        return None
    reader = Reader(src)
    try:
        reader.expect("(")
        values = []
        while not reader.take(")"):
            values.append(reader.value(0))
            if not reader.take(","):
                reader.expect(")")
                break
        reader.ws()
        if reader.i != len(src):
            return None
        return values
    except (ValueError, IndexError):
        return None


def record_field(record, name: str):
    """A field of a decoded record by its Candid name, or None."""
    if not isinstance(record, dict):
        return None
    return record.get(field_hash(name))
