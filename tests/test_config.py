"""Settings: defaults, another file over them, environment overrides, clear errors."""

from __future__ import annotations

import pytest

from hotspots import create_app
from hotspots.base.config import ConfigError, load_config, recordable_indicators, setting_names


def test_defaults_come_from_config_toml():
    settings = load_config(environ={})
    assert settings["database"]["path"] == "instance/hotspots.web.db"
    assert settings["scoring"]["indicators"]["previous_injury"]["weight"] == 8.0
    assert settings["scoring"]["indicators"]["parental_ace"]["half_life_days"] == 0
    assert settings["mail"]["transport"] == "outbox"


@pytest.mark.parametrize(
    ("name", "value", "section", "key", "expected"),
    [
        ("HOTSPOTS_DATABASE__PATH", "/srv/h.db", "database", "path", "/srv/h.db"),
        ("HOTSPOTS_MAIL__TRANSPORT", "smtp", "mail", "transport", "smtp"),
        ("HOTSPOTS_MAIL__OUTBOX_DIR", "/var/mail/out", "mail", "outbox_dir", "/var/mail/out"),
        (
            "HOTSPOTS_MAIL__SMTP_HOST",
            "mail.council.example",
            "mail",
            "smtp_host",
            "mail.council.example",
        ),
        ("HOTSPOTS_MAIL__SMTP_PORT", "2525", "mail", "smtp_port", 2525),
        ("HOTSPOTS_MAIL__SMTP_SECURITY", "ssl", "mail", "smtp_security", "ssl"),
    ],
)
def test_the_named_environment_variables_override_settings(name, value, section, key, expected):
    settings = load_config(environ={name: value})
    assert settings[section][key] == expected


def test_an_environment_number_is_read_where_the_setting_is_a_number():
    settings = load_config(environ={"HOTSPOTS_SCORING__RED_THRESHOLD": "20"})
    assert settings["scoring"]["red_threshold"] == 20.0
    assert isinstance(settings["scoring"]["red_threshold"], float)


def test_a_text_setting_keeps_a_numeric_looking_value_as_text():
    settings = load_config(environ={"HOTSPOTS_MAIL__SMTP_HOST": "10"})
    assert settings["mail"]["smtp_host"] == "10"


def test_another_file_is_read_over_the_defaults(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text('[app]\nbase_url = "https://hotspots.council.example"\n')
    settings = load_config(environ={"HOTSPOTS_CONFIG": str(other)})
    assert settings["app"]["base_url"] == "https://hotspots.council.example"
    assert settings["digest"]["top_hotspots"] == 10  # untouched defaults remain


def test_the_old_digest_base_url_is_refused_with_where_it_went(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text('[digest]\nbase_url = "https://hotspots.council.example"\n')
    with pytest.raises(ConfigError, match=r"\[digest\] base_url is now \[app\] base_url"):
        load_config(environ={"HOTSPOTS_CONFIG": str(other)})
    with pytest.raises(ConfigError, match="rename it in the environment"):
        load_config(environ={"HOTSPOTS_DIGEST__BASE_URL": "https://x.example"})


@pytest.mark.parametrize("value", ["127.0.0.1:5000", "ftp://x.example", "https://", ""])
def test_a_base_url_that_is_not_an_address_is_refused(value):
    with pytest.raises(ConfigError, match=r"\[app\] base_url must be the service's address"):
        load_config(environ={"HOTSPOTS_APP__BASE_URL": value})


def test_the_environment_wins_over_the_other_file(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text("[mail]\nsmtp_port = 25\n")
    settings = load_config(
        environ={"HOTSPOTS_CONFIG": str(other), "HOTSPOTS_MAIL__SMTP_PORT": "2525"}
    )
    assert settings["mail"]["smtp_port"] == 2525


def test_a_council_may_add_its_own_indicator(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text(
        "[scoring.indicators]\n"
        'housing_crisis = { label = "Housing crisis", weight = 2, half_life_days = 90 }\n'
    )
    indicators = load_config(environ={"HOTSPOTS_CONFIG": str(other)})["scoring"]["indicators"]
    assert indicators["housing_crisis"] == {
        "label": "Housing crisis",
        "weight": 2.0,
        "half_life_days": 90,
    }
    assert "previous_injury" in indicators


def test_a_council_may_change_one_key_of_an_indicator(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text("[scoring.indicators]\nprevious_injury = { weight = 10 }\n")
    indicators = load_config(environ={"HOTSPOTS_CONFIG": str(other)})["scoring"]["indicators"]
    assert indicators["previous_injury"]["weight"] == 10.0
    assert indicators["previous_injury"]["half_life_days"] == 730


def assert_refused(tmp_path, text, message):
    """A council's own config file holding ``text`` is refused with ``message``."""
    other = tmp_path / "council.toml"
    other.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(environ={"HOTSPOTS_CONFIG": str(other)})


def test_the_smtp_password_comes_only_from_the_environment(tmp_path):
    settings = load_config(environ={"HOTSPOTS_MAIL__SMTP_PASSWORD": "s3cret"})
    assert settings["mail"]["smtp_password"] == "s3cret"
    secret = '[mail]\nsmtp_password = "in-a-file"\n'
    assert_refused(tmp_path, secret, r"\[mail\] smtp_password is a secret")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HOTSPOTS_MAIL__SMTP_PORT": "twenty"}, r"\[mail\] smtp_port must be a whole number"),
        ({"HOTSPOTS_MAIL__TRANSPORT": "pigeon"}, r"\[mail\] transport must be one of"),
        ({"HOTSPOTS_MAIL__SMTP_SECURITY": "tls"}, r"\[mail\] smtp_security must be one of"),
        ({"HOTSPOTS_MAIL__SMTP_HOTS": "x"}, r"unknown setting \[mail\] smtp_hots"),
        ({"HOTSPOTS_NOPE__X": "1"}, r"unknown setting nope"),
        ({"HOTSPOTS_SCORING__RED_THRESHOLD": "-1"}, r"\[scoring\] red_threshold must not be neg"),
        ({"HOTSPOTS_DIGEST__SEND_HOUR": "24"}, r"\[digest\] send_hour must be 0 to 23"),
        ({"HOTSPOTS_SCORING__AMBER_THRESHOLD": "99"}, r"amber_threshold must not be above"),
        ({"HOTSPOTS_CONFIG": "/nonexistent/council.toml"}, r"council.toml does not exist"),
        (
            {"HOTSPOTS_PARTNERSHIP__LOOK_BACK_DAYS": "0"},
            r"\[partnership\] look_back_days must be 1",
        ),
    ],
)
def test_a_bad_value_gives_one_message_naming_the_key(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ=environ)


def test_a_broken_file_names_the_file(tmp_path):
    other = tmp_path / "broken.toml"
    other.write_text("[mail\nsmtp_port = 25\n")
    with pytest.raises(ConfigError, match=r"broken.toml is not valid TOML"):
        load_config(environ={"HOTSPOTS_CONFIG": str(other)})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('bad = { label = "x", weight = 1 }', r"missing half_life_days"),
        ('bad = { label = "x", weight = "heavy", half_life_days = 1 }', r"bad.weight must be"),
        ('bad = { label = "x", weight = 1, half_life_days = -5 }', r"0 \(does not fade\) or"),
        ('Bad-Code = { label = "x", weight = 1, half_life_days = 5 }', r"lower_case"),
    ],
)
def test_a_broken_indicator_is_named(tmp_path, line, message):
    assert_refused(tmp_path, f"[scoring.indicators]\n{line}\n", message)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'made_up = { from = "ppn_low", at_least = 3, within_days = 91, child_under_years = 0 }',
            r"\[scoring.derived\] made_up: made_up is not in \[scoring.indicators\]",
        ),
        (
            'ppn_escalating = { from = "nope", at_least = 3, within_days = 91, '
            "child_under_years = 0 }",
            r"ppn_escalating.from: nope is not in \[scoring.indicators\]",
        ),
        (
            'ppn_escalating = { from = "ppn_low", at_least = 0, within_days = 0, '
            "child_under_years = 0 }",
            r"ppn_escalating needs at_least or child_under_years",
        ),
        (
            'ppn_escalating = { from = "ppn_low", at_least = 3, within_days = 0, '
            "child_under_years = 0 }",
            r"within_days must be 1 or more when at_least is set",
        ),
        (
            'ppn_escalating = { from = "unscheduled_care_injury", at_least = 2, '
            "within_days = 30, child_under_years = 0 }",
            r"unscheduled_care_injury is itself derived",
        ),
        ('ppn_escalating = { frm = "ppn_low" }', r"must be a table with exactly from, at_least"),
    ],
)
def test_a_broken_derived_rule_is_named(tmp_path, line, message):
    assert_refused(tmp_path, f"[scoring.derived]\n{line}\n", message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[import.annex_a.facts]\nemergency_protection = "unscheduled_care_injury"\n',
            r"\[import.annex_a.facts\] emergency_protection: unscheduled_care_injury is worked out",
        ),
        (
            '[import.cin_census.factors]\nppn_escalating = ["3B"]\n',
            r"\[import.cin_census.factors\] ppn_escalating is worked out by the model",
        ),
    ],
)
def test_an_import_mapping_may_not_record_a_derived_indicator(tmp_path, text, message):
    assert_refused(tmp_path, text, message)


def test_a_derived_rule_switched_off_is_recordable_again(tmp_path):
    other = tmp_path / "council.toml"
    other.write_text('[scoring.derived]\nppn_escalating = { from = "" }\n')
    settings = load_config(environ={"HOTSPOTS_CONFIG": str(other)})
    assert "ppn_escalating" in recordable_indicators(settings)
    assert "unscheduled_care_injury" not in recordable_indicators(settings)


def test_the_cli_reports_a_bad_setting_without_a_traceback(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from hotspots.cli import cli

    monkeypatch.setenv("HOTSPOTS_MAIL__SMTP_PORT", "abc")
    monkeypatch.setenv("HOTSPOTS_DATABASE__PATH", str(tmp_path / "h.db"))
    result = CliRunner().invoke(cli, ["init-db"])
    assert result.exit_code != 0
    assert "[mail] smtp_port must be a whole number" in result.output
    assert "Traceback" not in result.output


def test_the_secret_key_may_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTSPOTS_SECRET_KEY", "from-the-environment")
    app = create_app({"database": {"path": str(tmp_path / "x.db")}})
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_a_missing_secret_key_stops_the_app_at_start_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTSPOTS_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="no secret key: set HOTSPOTS_SECRET_KEY, or run"):
        create_app({"database": {"path": str(tmp_path / "x.db")}, "app": _empty_key(tmp_path)})


def test_hotspots_run_refuses_to_serve_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTSPOTS_SECRET_KEY", raising=False)
    app = create_app(
        {"database": {"path": str(tmp_path / "x.db")}, "app": _empty_key(tmp_path)},
        require_secret_key=False,
    )
    result = app.test_cli_runner().invoke(args=["run", "--port", "0"])
    assert result.exit_code == 1
    assert "no secret key" in result.output and "Traceback" not in result.output


def _empty_key(tmp_path):
    """[app] secret_key_file pointing at an empty file (an absolute path wins over the
    instance folder)."""
    (tmp_path / "empty_key").write_text("")
    return {"secret_key_file": str(tmp_path / "empty_key")}


def test_create_app_applies_test_config_over_everything(tmp_path):
    app = create_app(
        {"TESTING": True, "database": {"path": str(tmp_path / "x.db")}}, require_secret_key=False
    )
    assert app.config["DATABASE"] == str(tmp_path / "x.db")
    assert app.config["TESTING"] is True


def test_every_setting_has_a_comment_in_config_toml():
    from hotspots.base.config import DEFAULT_CONFIG_PATH

    lines = DEFAULT_CONFIG_PATH.read_text().splitlines()
    uncommented = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[")):
            continue
        key = stripped.split("=", 1)[0].strip()
        if not lines[index - 1].strip().startswith("#") and not _in_commented_table(lines, index):
            uncommented.append(key)
    assert uncommented == []
    assert "database.path" in setting_names()


def _in_commented_table(lines, index):
    """Catalogue rows share the one comment above their table."""
    for line in reversed(lines[:index]):
        if line.strip().startswith("["):
            return line.strip() == "[scoring.indicators]"
    return False
