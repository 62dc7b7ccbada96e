"""Where the service's own files are: its templates, its default settings and its reference
data, found from the package whether it runs from the installed wheel or from a checkout.

A checkout keeps ``templates/`` and ``config.toml`` at the repository's top (style.md: where
things live); the wheel carries both inside the package (``setup.py`` copies them there when
it builds), beside ``hotspots/reference/``. One marker, the default config, says which of the
two layouts this is, so the templates and the settings never come from different places.
"""

from __future__ import annotations

from pathlib import Path

# hotspots/base/resources.py: the package is two folders up.
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundle_root(package_dir: Path = PACKAGE_DIR) -> Path:
    """The folder holding ``templates/`` and ``config.toml``: the package itself when it was
    installed from the wheel, else the checkout's top (the package's parent)."""
    if (package_dir / "config.toml").is_file():
        return package_dir
    return package_dir.parent


TEMPLATES_DIR = bundle_root() / "templates"
DEFAULT_CONFIG_PATH = bundle_root() / "config.toml"
REFERENCE_DIR = PACKAGE_DIR / "reference"
