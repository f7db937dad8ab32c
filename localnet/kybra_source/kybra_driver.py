"""Run Kybra 0.7.1's own module bundler, unchanged, and report the tree it writes.

Runs under the Python 3.10 of a venv holding `kybra==0.7.1` (and the modulegraph it pins),
with the project root as the working directory, as dfx runs `python -m kybra NAME ENTRY`.
It must not import localnet (it runs under another interpreter):

    python kybra_driver.py OUT_DIR CANISTER_NAME ENTRY_PATH [CANISTER_NAME ENTRY_PATH ...]

It executes kybra/__main__.py without its final `main()` call, so `create_paths` and
`bundle_python_code` are the wheel's own functions, then calls `bundle_python_code` for
each canister with the output paths redirected to OUT_DIR/CANISTER_NAME: python_source is
the tree py_freeze compiles and py_file_names.csv the files kybra_generate parses;
graph.json lists the nodes of modulegraph's flattened graph in order ([type, identifier,
filename, packagepath]), so the caller can tell where each copied file came from.
"""

import ast
import json
import os
import sys

# `python -m kybra` puts the working directory first on sys.path, and bundle_python_code
# keeps exactly the sys.path entries under the working directory.
sys.path[0] = os.getcwd()

import kybra  # noqa: E402
import modulegraph.modulegraph as mg  # noqa: E402

GRAPHS = []


_ORIGINAL_INIT = mg.ModuleGraph.__init__


def _recording_init(self, *args, **kwargs):
    """ModuleGraph.__init__, remembering the graph so its nodes can be reported afterwards
    (modulegraph's own `super(ModuleGraph, self)` calls rule out a subclass)."""
    _ORIGINAL_INIT(self, *args, **kwargs)
    GRAPHS.append(self)


def kybra_main_namespace() -> dict:
    main_path = os.path.join(os.path.dirname(kybra.__file__), "__main__.py")
    with open(main_path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), main_path)
    tree.body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Call))]
    ns = {"__name__": "kybra_main_functions", "__file__": main_path}
    exec(compile(tree, main_path, "exec"), ns)
    return ns


def bundle(ns: dict, name: str, entry: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    paths = ns["create_paths"](
        {"empty": False, "flags": {"verbose": False}, "canister_name": name, "entry_point": entry}
    )
    paths["python_source"] = os.path.join(out, "python_source")
    paths["py_file_names_file"] = os.path.join(out, "py_file_names.csv")
    ns["bundle_python_code"](paths)
    graph = GRAPHS[-1]
    entry_node = graph.findNode(entry) or graph.findNode(os.path.abspath(entry))
    nodes = [
        [type(n).__name__, n.identifier, n.filename, list(getattr(n, "packagepath", None) or [])]
        for n in graph.flatten(start=entry_node)
    ]
    with open(os.path.join(out, "graph.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"kybra": kybra.__version__, "python": list(sys.version_info[:3]), "path": graph.path, "nodes": nodes}, f
        )


def main(argv) -> int:
    out, pairs = os.path.abspath(argv[0]), argv[1:]
    if not pairs or len(pairs) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("CANISTER_CANDID_PATH", os.path.join(out, "unused.did"))
    ns = kybra_main_namespace()
    mg.ModuleGraph.__init__ = _recording_init
    for i in range(0, len(pairs), 2):
        bundle(ns, pairs[i], pairs[i + 1], os.path.join(out, pairs[i]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
