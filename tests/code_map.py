"""The tests as a map of the code: each test file is filed under the layer it checks.

`pytest -m store` runs the store's tests, `pytest -m "services or cli"` the use cases as the
command line reaches them, and so on. The layers are docs/architecture.md's; the tiers
(`tui`, `server`, `slow`, in tests/conftest.py) say how a test runs, this map what it is
about. A new test file must be filed here (`test_every_test_file_is_on_the_map`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: layer -> (what it holds, the test files that check it, without "test_" and ".py")
LAYERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "domain": (
        "the rules: models, ID numbers, phones, policy, coverage oracle, words",
        (
            "models",
            "resident_id",
            "worklist",
            "standings",
            "policy_rules",
            "i18n",
            "i18n_catalogue",
            "sync_spec",
        ),
    ),
    "store": (
        "db/: SQLite, migrations, the write API and change log, triggers, kept figures",
        (
            "store",
            "store_concurrency",
            "client_migrations",
            "contact_facts",
            "kept_keys",
            "follow_up_head",
            "open_names",
            "store_helpers",
            "outbox_waiting",
        ),
    ),
    "services": (
        "civtui/services/: the use cases the CLI and the screens share",
        (
            "services",
            "people",
            "reports",
            "demo",
            "drafts",
            "history",
            "findings",
            "profile_owner",
            "security",
            "keyring",
            "no_keyring",
            "lock",
            "windows",
        ),
    ),
    "excel": (
        "civtui/excel/: rosters in, ledgers out, printed",
        (
            "import",
            "import_bounds",
            "import_bulk",
            "import_cells",
            "rosters",
            "export",
            "export_inert",
            "ledger_layout",
            "print",
        ),
    ),
    "cli": (
        "civtui/cli/: the `civtui` command",
        ("cli", "cli_lang", "cli_prompt", "cli_text_is_data", "bundle_cli", "cli_words"),
    ),
    "screens": (
        "screens/ and civtui/app.py: the TUI at 80×24",
        (
            "snapshots",
            "dashboard_layout",
            "dashboard_first_frame",
            "opening_frame",
            "cut_words",
            "roster_search_speed",
            "screen_fit",
            "tui_bundle",
            "tui_conflicts",
            "conflict_values",
            "tui_dated",
            "tui_flows",
            "tui_findings",
            "tui_follow_up_screen",
            "tui_keys",
            "tui_records",
            "tui_small_fixes",
            "tui_palette_status",
            "tui_sync",
            "tui_sync_truth",
            "tui_sync_sides",
            "tui_text_is_data",
            "hostile_text_journey",
        ),
    ),
    "sync": (
        "sync/: the protocol, the client, bundles and the server",
        (
            "sync",
            "sync_bounds",
            "sync_cli",
            "sync_client_bounds",
            "sync_clock",
            "sync_conflicts",
            "sync_dated_events",
            "sync_fewer_requests",
            "sync_device_identity",
            "sync_machine",
            "sync_plan",
            "sync_schema",
            "sync_stuck",
            "sync_words",
            "month_close_sync",
            "bundle",
            "request_bodies",
            "server_log_text",
            "server_ops",
            "server_bulk",
            "restore_drill",
            "township",
            "township_kept",
        ),
    ),
    "release": (
        "what ships and how: the layers, docs, wheel, installs, bench and test tiers",
        (
            "architecture_doc",
            "layers",
            "deploy_doc",
            "dev_demo",
            "laptop_build",
            "wheel",
            "bench",
            "bench_guard",
            "tiers",
            "code_map",
        ),
    ),
}

LAYER_OF = {name: layer for layer, (_, names) in LAYERS.items() for name in names}


def pytest_configure(config: pytest.Config) -> None:
    for layer, (holds, _) in LAYERS.items():
        config.addinivalue_line("markers", f"{layer}: tests of {holds}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        name = Path(str(item.fspath)).stem.removeprefix("test_")
        layer = LAYER_OF.get(name)
        if layer is not None:
            item.add_marker(layer)
