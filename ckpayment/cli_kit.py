"""What `ckpay` and `localnet` share as command lines: the argument parser (flags anywhere,
as dfx accepts them; usage errors name the subcommand's help and exit 2), JSON/text
output of canister values, and shell completion generated from the parser itself."""

from __future__ import annotations

import argparse
import json
import sys


class Parser(argparse.ArgumentParser):
    """Usage errors are one `Error: ... (see `PROG --help`)` line with exit status 2. A
    leaf command parses options and positionals intermixed, so
    `localnet call merchant list_payments --identity merchant '(null, opt 1)'` works."""

    _intermixed = False

    def error(self, message):
        print(f"Error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)

    def _is_leaf(self) -> bool:
        return not any(isinstance(a, argparse._SubParsersAction) for a in self._actions)

    def parse_known_args(self, args=None, namespace=None):
        if not self._is_leaf() or self._intermixed:
            return super().parse_known_args(args, namespace)
        self._intermixed = True
        try:
            ns, extras = self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False
        if extras:  # reported here, so the message points to this command's help
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns, extras


# ---- output --------------------------------------------------------------------------------
def plain(value):
    """Values as JSON: principals as text, blobs as hex."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if hasattr(value, "to_str"):
        return value.to_str()
    return value


def _scalar(value) -> str:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        return next(iter(value))  # a variant without payload: its tag
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return "-" if value is None else str(value)


def as_text(value) -> str:
    """A human view: `key: value` lines for a record, one line per item for a list."""
    value = plain(value)
    lists = [k for k, v in value.items() if isinstance(v, list)] if isinstance(value, dict) else []
    if len(lists) == 1 and set(value) == {lists[0], "next_cursor"}:  # a page: its items
        cursor = value["next_cursor"]
        return as_text(value[lists[0]]) + (f"\nnext_cursor: {cursor}" if cursor else "")
    if isinstance(value, list):
        return (
            "\n".join(
                as_text(v)
                if not isinstance(v, dict)
                else "  ".join(
                    f"{k}={_scalar(x)}"
                    for k, x in v.items()
                    if not isinstance(x, (dict, list)) or (isinstance(x, dict) and len(x) == 1)
                )
                for v in value
            )
            or "(none)"
        )
    if isinstance(value, dict):
        width = max((len(k) for k in value), default=0)
        return "\n".join(f"{k.ljust(width)}  {_scalar(v)}" for k, v in value.items())
    return _scalar(value)


def emit(value, output: str = "json", line: bool = False) -> None:
    """Print `value` as indented JSON (one line with `line`), or as text."""
    if output == "text":
        print(as_text(value), flush=True)
    elif line:
        print(json.dumps(plain(value), separators=(", ", ": ")), flush=True)
    else:
        print(json.dumps(plain(value), indent=2), flush=True)


# ---- shell completion ----------------------------------------------------------------------
def _tree(parser, path=()):
    """(path of command words, words completing after it) for every parser in the tree."""
    words, children = [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                words.append(name)
                children.append((path + (name,), sub))
        else:
            words += [o for o in action.option_strings if o.startswith("--")]
            if action.choices and not action.option_strings:
                words += [str(c) for c in action.choices]
    yield path, words
    for child_path, sub in children:  # an alias walks the same parser again
        yield from _tree(sub, child_path)


def completion_script(parser, shell: str) -> str:
    """A bash (or zsh, through bashcompinit) completion script for `parser.prog`."""
    prog = parser.prog
    fn = "_" + prog.replace("-", "_") + "_complete"
    entries = list(_tree(parser))
    paths = "|".join(f'"{" ".join(p)}"' for p, _ in entries if p)
    cases = "\n".join(f'    "{" ".join(p)}") opts="{" ".join(w)}" ;;' for p, w in entries)
    script = f"""# {shell} completion for {prog}: eval "$({prog} completion {shell})"
{fn}() {{
  local cur path w opts next
  cur="${{COMP_WORDS[COMP_CWORD]}}"
  path=""
  for w in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
    if [ -z "$path" ]; then next="$w"; else next="$path $w"; fi
    case "$next" in
      {paths or '""'}) path="$next" ;;
    esac
  done
  case "$path" in
{cases}
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}}
complete -F {fn} {prog}
"""
    if shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    return script
