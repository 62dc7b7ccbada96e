"""Generate the CLI and configuration references in docs/ (run by ``cog``; checked by
tests/test_docs.py so the documents cannot drift from the code)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date

import click

from hotspots.base.config import DEFAULT_CONFIG_PATH, load_config
from hotspots.model import plausibility

# Flask's own commands, documented by Flask.
FLASK_COMMANDS = {"routes", "shell"}


def settings_with_comments() -> Iterator[tuple[str, str, str, str]]:
    """Every setting of config.toml as (section, key, value as written, its comment)."""
    section, comment = "", []
    for line in DEFAULT_CONFIG_PATH.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section, comment = stripped[1:-1], []
        elif stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif "=" in stripped and section:
            key, value = (part.strip() for part in stripped.split("=", 1))
            yield section, key, value, " ".join(comment)
            comment = []
        elif not stripped:
            comment = []


def config_reference() -> str:
    """A Markdown table of every setting in config.toml with its comment and default."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    catalogue = [
        "| code | label | weight | half-life (days; 0 = does not fade) |",
        "| --- | --- | --- | --- |",
    ]
    for section, key, value, comment in settings_with_comments():
        if section == "scoring.indicators":
            spec = tomllib.loads(f"x = {value}")["x"]
            catalogue.append(
                f"| `{key}` | {_cell(spec['label'])} | {spec['weight']:g} "
                f"| {spec['half_life_days']} |"
            )
            continue
        rows.append(f"| `[{section}] {key}` | `{_cell(value)}` | {_cell(comment)} |")
    return (
        "\n".join(rows)
        + "\n\nThe indicator catalogue, `[scoring.indicators]`"
        + " (a council may add codes of its own):"
        + "\n\n"
        + "\n".join(catalogue)
        + "\n"
    )


def header_spellings() -> str:
    """A Markdown table of the Annex A columns and every header spelling each is found by
    (``[import.annex_a.headers]`` in config.toml)."""
    headers = load_config(environ={})["import"]["annex_a"]["headers"]
    rows = ["| column (key) | headers it is found by |", "| --- | --- |"]
    for column, spellings in headers.items():
        rows.append(f"| `{column}` | {_cell(', '.join(spellings))} |")
    return "\n".join(rows) + "\n"


def placeholder_words() -> str:
    """The words ``[import.annex_a]`` reads as not known, unallocated and unborn."""
    annex_a = load_config(environ={})["import"]["annex_a"]
    lines = []
    for key, meaning in (
        ("not_known", "**not known** (in an optional value; counted, never an error)"),
        ("unallocated_workers", "**unallocated** (in Allocated Worker; counted)"),
        ("unborn", "**unborn** (in Date of Birth on List 6 or 7; counted)"),
    ):
        words = ", ".join(f"`{w}`" for w in annex_a[key])
        lines.append(f"- read as {meaning}, `[import.annex_a] {key}`: {words}")
    return "\n".join(lines) + "\n"


def date_forms() -> str:
    """A Markdown table of the date forms a workbook's cells are read in
    (``hotspots.model.plausibility.DATE_FORMS``), with the two-digit year's window."""
    rows = ["| written | read as |", "| --- | --- |"]
    rows += [f"| `{written}` | {_cell(meaning)} |" for written, meaning in plausibility.DATE_FORMS]
    example = date(2026, 6, 1)
    last = (example.year + 1) % 100  # the last two-digit year read in this century

    def year(yy: int) -> int:
        return plausibility.two_digit_year(yy, example)

    rows.append("")
    rows.append(
        "A **two-digit year** is the year ending in those digits among the hundred years up to "
        f"next year: on any day in {example.year}, `00`–`{last:02d}` are {year(0)}–"
        f"{year(last)} and `{last + 1:02d}`–`99` are {year(last + 1)}–{year(99)} (so a due "
        "date next year reads right, and no birth date lands a century ahead)."
    )
    return "\n".join(rows) + "\n"


def cli_reference() -> str:
    """Every ``hotspots`` command's --help, as Markdown sections."""
    from hotspots import create_app
    from hotspots.cli import cli

    app = create_app({"database": {"path": ":memory:"}}, require_secret_key=False)
    parts = []
    for name, command in sorted(_commands(app.cli)):
        if name.split(" ")[0] in FLASK_COMMANDS:
            continue
        with click.Context(cli, info_name="hotspots") as parent:
            ctx = click.Context(command, info_name=name, parent=parent)
            help_text = command.get_help(ctx)
        parts.append(f"### hotspots {name}\n\n```\n{help_text}\n```\n")
    return "\n".join(parts)


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
