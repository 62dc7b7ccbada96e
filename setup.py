"""The wheel's layout; everything else about the package is in pyproject.toml.

The repository keeps ``jobs/``, ``templates/`` and ``config.toml`` at its top (style.md:
where things live). The wheel installs them inside the package, as ``hotspots.jobs``,
``hotspots/templates/`` and ``hotspots/config.toml``, so the installed service puts nothing
with a generic name at the top of site-packages and finds its files beside its code
(``hotspots/base/resources.py``). An editable install (``make install``) maps ``hotspots.jobs``
to ``jobs/`` the same way and reads the templates and settings where they are.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

HERE = Path(__file__).resolve().parent
# Copied into the built package, where hotspots/base/resources.py looks for them first.
BUNDLED = ("templates", "config.toml")
# The compiled GOV.UK Frontend styles (git-ignored, built by `make assets`).
STYLES = HERE / "hotspots" / "static" / "hotspots.css"


class BuildPy(build_py):
    """Build the package, then copy the repository's templates and default settings into it;
    refuse to build a wheel without the compiled styles, which would serve unstyled pages."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not STYLES.is_file():
            raise SetupError(
                f"{STYLES.relative_to(HERE)} is missing: run `make assets` before building "
                "the wheel (it compiles the GOV.UK Frontend styles the pages need)"
            )
        package = Path(self.build_lib) / "hotspots"
        for name in BUNDLED:
            source, target = HERE / name, package / name
            if source.is_dir():
                self.copy_tree(str(source), str(target))
            else:
                self.copy_file(str(source), str(target))


setup(
    packages=[*find_packages(include=["hotspots", "hotspots.*"]), "hotspots.jobs"],
    package_dir={"hotspots.jobs": "jobs"},
    # Named here; MANIFEST.in only says what the source distribution holds.
    package_data={"hotspots": ["reference/*", "static/*"]},
    include_package_data=False,
    cmdclass={"build_py": BuildPy},
)
