"""SQL lives in hotspots/storage/ only (style.md, 3 and 16; the layers: test_layers.py).

Walks the source of the package and of jobs/ with ``ast`` (nothing is imported), and fails
on a module outside ``hotspots/storage/`` that holds SQL text or takes a ``*_SQL`` name
from anywhere, naming the module and line of each.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORAGE = ROOT / "hotspots" / "storage"

# A string is SQL when it opens with a statement's keyword, written in capitals as the
# house style writes SQL, followed by a space, a newline or its end: "SELECT count(*) ...",
# "PRAGMA foreign_keys = OFF", "BEGIN". Prose ("Create the file", "replace") is not in
# capitals, and docstrings are not looked at.
SQL_KEYWORDS = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "REPLACE",
    "UPSERT",
    "CREATE",
    "DROP",
    "ALTER",
    "WITH",
    "PRAGMA",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "VACUUM",
    "ATTACH",
    "DETACH",
    "ANALYZE",
    "REINDEX",
    "EXPLAIN",
)
SQL_TEXT = re.compile(r"\A\s*\(?\s*(" + "|".join(SQL_KEYWORDS) + r")(\s|\Z)")
# Fragments of a statement written apart from it (a WHERE or JOIN clause, a column list).
SQL_FRAGMENT = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET"
    r"|CREATE\s+(TEMP\s+|TEMPORARY\s+)?(TABLE|INDEX|VIEW|TRIGGER)|DROP\s+TABLE"
    r"|LEFT\s+JOIN|\bWHERE\s+\w+(\.\w+)?\s*(=|<|>|IN\b|IS\b))",
    re.S,
)


def package_modules() -> list[Path]:
    """Every Python module of the service outside storage: hotspots/ and jobs/."""
    found = []
    for top in ("hotspots", "jobs"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if STORAGE in path.parents:
                continue
            found.append(path)
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                ids.add(id(body[0].value))
    return ids


def is_sql(text: str) -> bool:
    """Whether a string constant reads as SQL: a statement, or a fragment of one."""
    return bool(SQL_TEXT.match(text) or SQL_FRAGMENT.search(text))


def sql_in(source: str) -> list[tuple[int, str]]:
    """(line, what) for each piece of SQL text in ``source`` and each ``*_SQL`` name it
    imports or reads from a module."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and is_sql(node.value):
                found.append((node.lineno, f"SQL text {node.value.strip()[:50]!r}"))
        elif isinstance(node, ast.JoinedStr):
            # An f-string is SQL formatted here when its literal parts read as SQL.
            text = "".join(v.value if isinstance(v, ast.Constant) else " x " for v in node.values)
            if is_sql(text):
                found.append((node.lineno, f"SQL formatted {text.strip()[:50]!r}"))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name.endswith("_SQL"):
                    found.append((node.lineno, f"imports {alias.name} from {node.module}"))
        elif isinstance(node, ast.Attribute) and node.attr.endswith("_SQL"):
            found.append((node.lineno, f"reads {node.attr}"))
    # The literal parts of an f-string are Constants too: report the f-string once.
    lines_formatted = {line for line, what in found if what.startswith("SQL formatted")}
    return [
        (line, what)
        for line, what in sorted(set(found))
        if not (what.startswith("SQL text") and line in lines_formatted)
    ]


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def holding_sql() -> dict[str, list[tuple[int, str]]]:
    held = {}
    for path in package_modules():
        found = sql_in(path.read_text(encoding="utf-8"))
        if found:
            held[name_of(path)] = found
    return held


def test_no_module_outside_storage_holds_or_imports_sql():
    offending = holding_sql()
    report = "\n".join(
        f"{name}:{line}: {what}" for name, found in offending.items() for line, what in found
    )
    assert not offending, "SQL outside hotspots/storage/ (move it into a storage function):\n" + (
        report
    )


def test_it_finds_a_statement_a_fragment_and_an_imported_constant():
    source = '''
"""SELECT in a docstring is prose."""
from hotspots.storage.scores import SELECT_SCORE_SQL
from hotspots.storage import scores

A = "SELECT id FROM cases WHERE id = :id"
B = "PRAGMA foreign_keys = OFF"
C = f"UPDATE cases SET {column} = :value"
D = " AND c.worker_id = :worker_id LEFT JOIN scores s ON s.case_id = c.id"
E = "BEGIN"
F = scores.COUNT_BANDS_SQL
'''
    found = sql_in(source)
    lines = [line for line, _ in found]
    assert lines == [3, 6, 7, 8, 9, 10, 11], found


def test_it_leaves_prose_alone():
    source = '''
def f():
    """Create the file; Delete the rest."""
    return ["replace", "commit", "Attach to this case", "With letters swapped", "Select a team"]
'''
    assert sql_in(source) == []


def statements_run(source: str) -> list[int]:
    """The lines that call a connection's ``execute`` or ``executemany``: running a statement
    is storage's work too, whatever text it is given."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany")
    ]


def test_no_module_outside_storage_runs_a_statement():
    offending = {
        name_of(path): lines
        for path in package_modules()
        if (lines := statements_run(path.read_text(encoding="utf-8")))
    }
    assert offending == {}


def test_it_finds_a_statement_run():
    assert statements_run("def f(db, q):\n    db.execute(q)\n") == [2]
