"""The import fences between layers (ARCHITECTURE.md): the domain is plain Python, handlers reach
storage only through services, rendering only formats, and the simulator knows nothing of the bot.

Read from the source with :mod:`ast`, so an import inside a function or under ``TYPE_CHECKING``
counts as much as one at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("bot", "handlers", "storage", "mattermost_sim", "mattermost_real", "tests", "bench")
THIRD_PARTY_IO = ("aiohttp", "sqlalchemy", "mattermostautodriver", "apscheduler", "asyncpg", "aiosqlite")


def modules_under(folder: str) -> Iterator[Path]:
    """Every Python file of a package."""
    yield from sorted((ROOT / folder).rglob("*.py"))


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for each import in the file, relative imports resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            else:
                yield node.lineno, node.module or ""


def breaches(folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    """Imports in ``folder`` of a module under ``forbidden`` (unless under ``allowed``)."""

    def under(module: str, prefixes: tuple[str, ...]) -> bool:
        return any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes)

    found = []
    for path in modules_under(folder):
        for line, module in imports_of(path):
            if under(module, forbidden) and not under(module, allowed):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden", "allowed"),
    [
        # The domain is plain, typed Python: no I/O, nothing but itself.
        # (APScheduler's cron trigger is a pure calculation of the next times.)
        ("bot/domain", (*OUR_PACKAGES, *THIRD_PARTY_IO), ("bot.domain", "apscheduler.triggers")),
        # Handlers parse, declare, call a service and render: storage is the services' business.
        ("handlers", ("storage", "sqlalchemy"), ()),
        # Rendering turns values into posts and dialogs; it neither loads nor decides.
        ("bot/render", ("storage", "sqlalchemy", "bot.services", "handlers", "aiohttp"), ()),
        # Services and storage never reach back up into the handlers.
        ("bot/services", ("handlers",), ()),
        ("storage", ("handlers", "bot.services", "bot.render"), ()),
        # The simulator stands in for Mattermost: it may not lean on the code it tests.
        ("mattermost_sim", ("bot", "handlers", "storage"), ()),
        ("mattermost_real", ("bot", "handlers", "storage"), ()),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_layer_fence(folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    assert breaches(folder, forbidden, allowed) == []


def test_the_fences_see_relative_imports() -> None:
    found = dict(imports_of(ROOT / "handlers" / "keywords.py")).values()
    assert "handlers.callbacks" in found
