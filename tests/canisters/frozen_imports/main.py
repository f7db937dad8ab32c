# Frozen-style imports (issue 15.2): Kybra's canister imports only what its bundler froze.
import importlib

from kybra import query

import src.common.ids  # brings the whole src/ package into Kybra's tree


@query
def import_module(name: str) -> str:
    """`importlib.import_module(name)`: "ok <module name>" or "<exception class name>"."""
    try:
        return "ok " + importlib.import_module(name).__name__
    except ImportError as e:
        return type(e).__name__


@query
def import_statement(name: str) -> str:
    """`__import__(name)`, as an `import` statement does it."""
    try:
        return "ok " + __import__(name).__name__
    except ImportError as e:
        return type(e).__name__


@query
def ids_module() -> str:
    return src.common.ids.__name__
