"""Where the service finds its own files: inside the package when installed from the wheel,
at the repository's top in a checkout (the wheel itself is tested in test_packaging.py)."""

from __future__ import annotations

from hotspots.base import resources


def test_a_checkout_finds_its_templates_and_settings_at_the_repository_top():
    top = resources.PACKAGE_DIR.parent
    assert resources.TEMPLATES_DIR == top / "templates"
    assert resources.DEFAULT_CONFIG_PATH == top / "config.toml"
    assert (resources.TEMPLATES_DIR / "base.html").is_file()
    assert resources.DEFAULT_CONFIG_PATH.is_file()


def test_an_installed_package_finds_them_inside_itself(tmp_path):
    package = tmp_path / "site-packages" / "hotspots"
    package.mkdir(parents=True)
    (package / "config.toml").write_text("")
    assert resources.bundle_root(package) == package


def test_without_a_bundled_config_the_package_is_a_checkout(tmp_path):
    package = tmp_path / "repository" / "hotspots"
    package.mkdir(parents=True)
    assert resources.bundle_root(package) == tmp_path / "repository"


def test_the_reference_data_is_inside_the_package():
    assert resources.REFERENCE_DIR == resources.PACKAGE_DIR / "reference"
    assert (resources.REFERENCE_DIR / "vignettes.toml").is_file()
