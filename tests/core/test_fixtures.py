"""Where the tests' fixtures live: each name is defined once in tests/ (a folder's conftest.py for
what its modules share, the root conftest.py or support/ for what folders share), and only the
root conftest.py registers plugins (README, "How it is built", tests/)."""

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
NOT_OURS = ("browser/vendor/", "future/")

# A module may override a fixture for all of its tests when they need it built another way; the
# fixtures that depend on it (make_event and friends, live_door) then build on the override.
OVERRIDES = {
    ("app", "core/test_database_busy.py"),  # a write lock waited for 0.3 s at most
    ("app", "core/test_https_mode.py"),  # an https BASE_URL
    ("live_app", "browser/test_door_busy.py"),  # a write lock waited for 0.5 s at most
}


def _is_fixture(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return ast.unparse(target) in ("pytest.fixture", "fixture")


def fixtures(source: str) -> list[str]:
    """The names of the fixtures a module defines."""
    return [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_is_fixture(d) for d in node.decorator_list)
    ]


def defined_twice(sources: dict[str, str], overrides=OVERRIDES) -> dict[str, list[str]]:
    """Fixture names defined in more than one module, with the modules; listed overrides aside."""
    where = defaultdict(list)
    for path, source in sources.items():
        for name in fixtures(source):
            if (name, path) not in overrides:
                where[name].append(path)
    return {name: sorted(paths) for name, paths in where.items() if len(paths) > 1}


def sets_plugins(source: str) -> bool:
    """True when a module assigns pytest_plugins."""
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in targets):
            return True
    return False


def plugin_setters(sources: dict[str, str]) -> list[str]:
    """The modules other than the root conftest.py that set pytest_plugins."""
    return sorted(
        path for path, source in sources.items() if path != "conftest.py" and sets_plugins(source)
    )


def ours() -> dict[str, str]:
    """Every Python module under tests/, by its path inside tests/."""
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(TESTS).as_posix()
        if not name.startswith(NOT_OURS):
            found[name] = path.read_text(encoding="utf-8")
    return found


def test_no_fixture_name_is_defined_twice():
    """A fixture shared by two modules lives in one conftest.py; one module's own has a name no
    other module uses. Only the listed overrides repeat a name, and each still does."""
    sources = ours()
    assert defined_twice(sources) == {}
    for name, path in OVERRIDES:
        assert name in fixtures(sources[path]), f"{path} no longer overrides {name}"


def test_only_the_root_conftest_sets_pytest_plugins():
    """Plugins are registered once, for the whole tree, by tests/conftest.py."""
    sources = ours()
    assert sets_plugins(sources["conftest.py"])
    assert plugin_setters(sources) == []


def test_the_check_finds_a_planted_copy_and_passes_a_listed_override():
    """A second `party` is reported, however it is decorated; a listed override is not."""
    fixture = "import pytest\n\n@pytest.fixture\ndef {}():\n    pass\n"
    planted = {
        "conftest.py": fixture.format("app"),
        "mail/conftest.py": fixture.format("party"),
        "digest/test_x.py": "from pytest import fixture\n@fixture(scope='module')\ndef party(): 1",
        "core/test_y.py": fixture.format("app"),
        "room/test_z.py": "def party(): ...\n",  # not a fixture
    }
    assert defined_twice(planted, {("app", "core/test_y.py")}) == {
        "party": ["digest/test_x.py", "mail/conftest.py"]
    }
    assert defined_twice(planted, set()) == {
        "app": ["conftest.py", "core/test_y.py"],
        "party": ["digest/test_x.py", "mail/conftest.py"],
    }


def test_the_check_finds_a_planted_pytest_plugins():
    """A folder's pytest_plugins is reported; the root conftest.py's is not."""
    planted = {
        "conftest.py": 'pytest_plugins = ["support.mail_fixtures"]\n',
        "door/conftest.py": 'pytest_plugins = ("support.consumer",)\n',
        "mail/test_x.py": 'pytest_plugins: list[str] = ["support.live_server"]\n',
        "room/test_y.py": 'PLUGINS = ["pytest_plugins"]\n',
    }
    assert plugin_setters(planted) == ["door/conftest.py", "mail/test_x.py"]
