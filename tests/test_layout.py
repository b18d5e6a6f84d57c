"""The package shows its pipeline: every import runs from a later stage to an earlier one (or to
the bottom layer), modules and classes stay small enough to hold one job, and tests share
builders only through ``tests/fixtures.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tracker"
# Stages in the direction data flows; siblings of one rank (views, notify, web) do not import
# each other, except the web, which serves what the views compute.
RANK = {"collect": 1, "storage": 2, "insight": 3, "views": 4, "notify": 4, "web": 5, "cli": 6}
MAX_MODULE_LINES = 370
MAX_CLASS_LINES = 200


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else "bottom"


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n == "tracker" or n.startswith("tracker.")]


def test_no_module_imports_a_later_stage():
    known = {name for name, _ in _modules()}
    wrong = []
    for name, path in _modules():
        if name == "tracker.__main__":  # the program itself: it starts the command line
            continue
        mine = _stage(name)
        for target in _imports(path):
            if target not in known:
                continue  # a name imported from a module, checked through the module itself
            theirs = _stage(target)
            rank_mine = RANK.get(mine, 0)
            rank_theirs = RANK.get(theirs, 0)
            if rank_theirs > rank_mine or (rank_theirs == rank_mine and theirs != mine):
                wrong.append(f"{name} ({mine}) imports {target} ({theirs})")
    assert wrong == []


def test_every_stage_says_what_it_owns_and_may_import():
    for stage in RANK:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
        assert doc and "import" in doc, stage


@pytest.mark.parametrize("kind", ["module", "class"])
def test_rooms_hold_one_job(kind):
    big = []
    for name, path in _modules():
        text = path.read_text()
        if kind == "module" and text.count("\n") > MAX_MODULE_LINES:
            big.append(f"{name}: {text.count(chr(10))} lines")
        if kind == "class":
            big += [f"{name}.{node.name}: {node.end_lineno - node.lineno} lines"
                    for node in ast.walk(ast.parse(text))
                    if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno > MAX_CLASS_LINES]
    assert big == []


def test_tests_share_builders_only_through_the_fixtures_module():
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for target in (n for n in _imports_any(path) if n.startswith("tests")):
            if target not in ("tests", "tests.fixtures") and not target.startswith("tests.fixtures."):
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []


def _imports_any(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names
