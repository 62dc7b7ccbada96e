"""Generate the CLI and configuration references in docs/ (run by ``cog``; checked by
tests/test_docs.py so the documents cannot drift from the code)."""

from __future__ import annotations

import tomllib

import click

from hotspots.config import DEFAULT_CONFIG_PATH

# Flask's own commands, documented by Flask.
FLASK_COMMANDS = {"routes", "shell"}


def config_reference() -> str:
    """A Markdown table of every setting in config.toml with its comment and default."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    catalogue = [
        "| code | label | weight | half-life (days; 0 = does not fade) |",
        "| --- | --- | --- | --- |",
    ]
    section, comment = "", []
    for line in DEFAULT_CONFIG_PATH.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section, comment = stripped[1:-1], []
        elif stripped.startswith("#"):
            comment.append(stripped.lstrip("# "))
        elif "=" in stripped and section:
            key, value = (part.strip() for part in stripped.split("=", 1))
            if section == "scoring.indicators":
                spec = tomllib.loads(f"x = {value}")["x"]
                catalogue.append(
                    f"| `{key}` | {_cell(spec['label'])} | {spec['weight']:g} "
                    f"| {spec['half_life_days']} |"
                )
                continue
            rows.append(f"| `[{section}] {key}` | `{_cell(value)}` | {_cell(' '.join(comment))} |")
            comment = []
        elif not stripped:
            comment = []
    return (
        "\n".join(rows)
        + "\n\nThe indicator catalogue, `[scoring.indicators]`"
        + " (a council may add codes of its own):"
        + "\n\n"
        + "\n".join(catalogue)
        + "\n"
    )


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
