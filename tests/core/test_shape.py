"""The shape of checkin/: one level of packages, blueprints reached only from create_app, and no
import cycles, so a newcomer can trust the folder tree (README, "How it is built")."""

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "checkin"
CORE = {"config", "extensions", "database", "models", "security", "rate_limits", "tasks", "cli"}
CORE |= {"demo", "forms"}
SHARED_NAMES = {"__init__.py", "views.py", "forms.py"}  # the same name in every package


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(name: str, module_level_only: bool, modules=MODULES) -> set[str]:
    """The checkin modules `name` imports: at module level only, or anywhere in it."""
    path = modules[name]
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if module_level_only else ast.walk(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + [base] if base else anchor)
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module in modules and module != name}


def _is_view(name: str, modules=MODULES) -> bool:
    """A module that makes a blueprint: by convention it assigns `bp` at module level."""
    tree = ast.parse(modules[name].read_text())
    return any(
        isinstance(target, ast.Name) and target.id == "bp"
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
    )


def _cycles(modules=MODULES) -> list[list[str]]:
    """Cycles of module-level imports (a package importing its own modules does not count)."""
    graph = {name: _imports(name, True, modules) for name in modules}
    for package in {name for name, path in modules.items() if path.name == "__init__.py"}:
        graph[package] = {m for m in graph[package] if not m.startswith(package + ".")}
    cycles, state = [], {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                cycles.append(trail[trail.index(other) :] + [other])
            elif other not in state:
                visit(other, trail + [other])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_only_create_app_imports_views():
    """A blueprint module is imported by checkin/__init__.py and by nothing else."""
    views = {name for name in MODULES if _is_view(name)}
    assert len(views) >= 10
    importers = {
        (name, view)
        for name in MODULES
        if name != "checkin"
        for view in _imports(name, module_level_only=False) & views
    }
    assert importers == set()


def test_create_app_registers_every_blueprint_module():
    """Every module that makes a blueprint is one create_app imports; every views.py makes one."""
    views = {name for name in MODULES if _is_view(name)}
    assert views <= _imports("checkin", module_level_only=False)
    assert {name for name, path in MODULES.items() if path.name == "views.py"} <= views


def test_packages_are_one_level_deep_and_the_top_holds_only_the_core():
    """checkin/<package>/<module>.py, and at the top only the shared core."""
    depths = {name: name.count(".") for name in MODULES}
    assert max(depths.values()) == 2
    top = {path.stem for path in MODULES.values() if path.parent == ROOT}
    assert top - {"__init__"} <= CORE
    packages = {path.parent.name for path in MODULES.values() if path.parent != ROOT}
    assert not packages & CORE


def test_no_two_modules_share_a_name_but_views_and_forms():
    """A module's name says what it is, once: only views.py and forms.py repeat."""
    names = Counter(path.name for path in MODULES.values())
    assert {name for name, count in names.items() if count > 1} <= SHARED_NAMES


def test_module_level_imports_form_no_cycle():
    """No chain of module-level imports leads back to where it started."""
    assert _cycles() == []


def test_the_checks_see_a_planted_cycle_and_a_planted_view_import(tmp_path):
    """The checks can fail: a cycle between two packages, and a domain module importing views."""
    planted = {
        "checkin": "",
        "checkin.a": "",
        "checkin.a.x": "from ..b import y\n",
        "checkin.a.views": "bp = Blueprint('a', __name__)\n",
        "checkin.a.helper": "def make(bp):\n    return bp\n",
        "checkin.b": "",
        "checkin.b.y": "from ..a import x\n",
        "checkin.b.z": "def later():\n    from ..a import views\n",
    }
    modules = {}
    for name, source in planted.items():
        parts = name.split(".")
        is_package = any(other.startswith(name + ".") for other in planted)
        path = tmp_path.joinpath(*parts, "__init__.py") if is_package else None
        path = path or tmp_path.joinpath(*parts[:-1], parts[-1] + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        modules[name] = path
    assert ["checkin.a.x", "checkin.b.y", "checkin.a.x"] in _cycles(modules)
    assert _is_view("checkin.a.views", modules)
    assert not _is_view("checkin.a.helper", modules)
    assert "checkin.a.views" in _imports("checkin.b.z", False, modules)
    assert "checkin.a.views" not in _imports("checkin.b.z", True, modules)
