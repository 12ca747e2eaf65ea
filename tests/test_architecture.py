"""The package's shape, in code: every import points down the layers, and none goes round.

The layer map below is the one place it is written down (docs/DESIGN.md shows it).  The
import graph is built with the standard library's ``ast`` from every ``import`` in
geo_env — at the top of a module or inside a function alike — except those under
``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geo_env"

#: Layer of each module or subpackage (dotted, below ``geo_env``); a subpackage's entry
#: covers every module in it.  A module may import only from its own layer or below.
LAYERS: dict[str, int] = {
    # L0 vocabulary: errors, every default with its source, labels, code tables
    "errors": 0, "standards": 0, "labels": 0, "species": 0, "_choices": 0, "effluent": 0,
    "_progress": 0, "_display": 0,
    # L1 geometry: CRS policy, terrain, geometry helpers, the road network
    "crs": 1, "terrain": 1, "_geometry": 1, "_validate": 1, "network": 1,
    # L2 io: readers, column mapping, validation, project file → District; atomic writers
    "io": 2,
    # L3 analysis: coverage, siting, livestock, sewage
    "analysis": 3,
    # L4 outputs: style, maps, figures, report
    "outputs": 4,
    # L5 the Plan, the command line, the sample district
    "parts": 5, "plan": 5, "cli": 5, "sample": 5, "__main__": 5, "comparison": 5, "batch": 5,
}
LAYER_NAMES = ("vocabulary", "geometry", "io", "analysis", "outputs", "plan and cli")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The layer of ``module`` (dotted, below geo_env): its own entry or its package's."""
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in LAYERS:
            return LAYERS[".".join(parts[:k])]
    raise KeyError(f"geo_env.{module} has no layer: add it to LAYERS in tests/test_architecture.py")


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """The geo_env modules that ``module``'s code imports (dotted, below geo_env)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1] if node.level > 1 else list(here)
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "geo_env":
                target = node.module.split(".")[1:]
            else:
                target = None
            if target is not None:
                for alias in node.names:  # `from . import crs` imports the module crs
                    sub = ".".join([*target, alias.name])
                    found.add(sub if _exists(sub) else ".".join(target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "geo_env":
                    found.add(".".join(alias.name.split(".")[1:]))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard("")
    return {m for m in found if m != module}


def _exists(module: str) -> bool:
    p = PACKAGE.joinpath(*module.split("."))
    return bool(module) and (p.with_suffix(".py").is_file() or (p / "__init__.py").is_file())


def import_graph() -> dict[str, set[str]]:
    """Every geo_env module (but the lazy top-level ``__init__``) and what it imports."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if module == "":
            continue  # geo_env/__init__.py: lazy re-exports for users, imported by nobody inside
        graph[module] = _imports(ast.parse(path.read_text(encoding="utf-8")), module,
                                 path.name == "__init__.py")
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_every_module_has_a_layer():
    for module in import_graph():
        layer_of(module)


def test_imports_point_down_the_layers():
    upward = [f"geo_env.{m} (L{layer_of(m)} {LAYER_NAMES[layer_of(m)]}) imports geo_env.{t} "
              f"(L{layer_of(t)} {LAYER_NAMES[layer_of(t)]})"
              for m, targets in import_graph().items() for t in sorted(targets) if layer_of(t) > layer_of(m)]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    cycles = _cycles(import_graph())
    assert not cycles, "\n".join(" ↔ ".join(c) for c in cycles)


def test_the_checks_would_find_a_violation():
    """The graph and the rules are live: a made-up upward import and a cycle are found."""
    tree = ast.parse("from ..plan import Plan\nfrom . import coverage\n")
    got = _imports(tree, "analysis.siting", is_package=False)
    assert got == {"plan", "analysis.coverage"}
    assert layer_of("plan") > layer_of("analysis.siting")
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    typed = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..plan import Plan\n")
    assert _imports(typed, "analysis.siting", is_package=False) == set()


@pytest.mark.parametrize("limit_lines, what", [(800, "module")])
def test_modules_are_small_or_say_why(limit_lines, what):
    """No module over ~800 lines without a one-line reason at its top (``# size: …``)."""
    big = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > limit_lines and "\n# size: " not in text[:4000] and not text.startswith("# size: "):
            big.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert not big, "\n".join(big)


def test_functions_are_short():
    """No function over ~80 lines of code (its docstring not counted)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                doc = body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                                          ast.Constant) \
                    and isinstance(body[0].value.value, str)
                start = body[0].end_lineno + 1 if doc else node.lineno
                n = node.end_lineno - start + 1
                if n > 80:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)


def test_no_module_is_imported_by_name_at_run_time():
    """``importlib.import_module("geo_env.…")`` hides an import from the graph above (the
    labels did so, upwards); only the package's lazy re-exports in ``__init__`` use it."""
    hidden = [str(p.relative_to(PACKAGE.parent)) for p in sorted(PACKAGE.rglob("*.py"))
              if p != PACKAGE / "__init__.py" and "import_module(" in p.read_text(encoding="utf-8")]
    assert not hidden, hidden


def test_pyproject_lists_every_subpackage():
    """pyproject.toml lists the packages (to ship data/sample/ as geo_env._sample_data):
    a new subpackage missing from the list would be left out of an installed geo_env."""
    import tomllib

    conf = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(PACKAGE.parent).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found | {"geo_env._sample_data"} == listed


def test_every_design_citation_has_a_target():
    """Code that says "see docs/DESIGN.md, "Geometry rules"" points at a section that exists,
    and DESIGN.md shows the layer map of this file."""
    import re

    design = (PACKAGE.parent / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    headings = {h.strip().lower() for h in re.findall(r"(?m)^#+\s*(.+)$", design)}
    cited = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "DESIGN.md" not in text.replace("docs/DESIGN.md", ""), f"{path}: cite docs/DESIGN.md"
        cited |= {" ".join(c.split()) for c in re.findall(r'docs/DESIGN\.md[^"\n]{0,12}"([^"]+)"', text)}
    assert cited, "the code cites sections of docs/DESIGN.md"
    assert not [c for c in cited if c.lower() not in headings], (cited, headings)
    for name in LAYERS:
        assert f"`{name}`" in design or f"{name}/" in design or f"`{name}/`" in design, name
