"""Canister imports are frozen-style, as in Kybra's RustPython (issue 15.2): a canister
imports the modules of its bundle's frozen tree (SourceBundle.frozen: Kybra's python_source
as py_freeze names it), the standard library and kybra; nothing else, even when the file is
on disk or the host process has the module loaded."""

import pytest
from helpers import ALICE, ROOT, deploy, entry

from localnet.kybra_source.bundle import SourceBundle


@pytest.fixture
def canister(network):
    return deploy(network, "frozen_imports")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("json", "ok json"),  # stdlib
        ("kybra.canisters.management", "ok kybra.canisters.management"),
        ("src.common.ids", "ok src.common.ids"),  # imported by main
        ("src.exchange_rate.xrc_rates", "ok src.exchange_rate.xrc_rates"),  # in the copied src/
        ("ids", "ok ids"),  # Kybra's copy of src/common/ids.py by file name
        ("main", "ok main"),
        ("tests.canisters.frozen_imports.extra", "ModuleNotFoundError"),  # on disk, not frozen
        ("extra", "ModuleNotFoundError"),
        ("src.no_such_module", "ModuleNotFoundError"),
        ("localnet", "ModuleNotFoundError"),  # loaded in the host process
        ("pytest", "ModuleNotFoundError"),
        ("cbor2", "ModuleNotFoundError"),  # installed in site-packages
    ],
)
def test_import_module_sees_only_the_frozen_tree(network, canister, name, expected):
    assert network.call(ALICE, canister, "import_module", name) == expected
    if "." not in name:
        assert network.call(ALICE, canister, "import_statement", name) == expected


def test_a_dynamically_imported_module_is_the_canisters_own_copy(network, canister):
    assert network.call(ALICE, canister, "ids_module") == "src.common.ids"
    import src.common.ids as host_ids  # the host's module is not the canister's

    ns = network.canisters[canister.bytes].namespace
    assert ns.modules["src.common.ids"] is not host_ids


def test_the_bundle_names_what_the_runtime_loads():
    b = SourceBundle.from_entry(entry("frozen_imports"), ROOT)
    assert "extra" not in b.frozen and "tests.canisters.frozen_imports.extra" not in b.frozen
    assert b.frozen["src.exchange_rate.xrc_rates"] == "src/exchange_rate/xrc_rates.py"
    assert set(b.modules) == {"main", "src", "src.common", "src.common.ids"}
