"""Settings: config.toml, an optional HOTSPOTS_CONFIG file over it, then the environment.

Every setting has a default in the repository's ``config.toml``; the other sources may only
change settings that exist there (so a typo is an error, not a silently ignored key), and each
value must keep its default's type. ``[scoring.indicators]`` is the one open table: a local
authority may add indicator codes of its own.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hotspots.base.dates import parse_date
from hotspots.base.resources import DEFAULT_CONFIG_PATH

ENV_PREFIX = "HOTSPOTS_"
# Settings that are secrets: read from the environment only, never from a file.
SECRET_SETTINGS = {("mail", "smtp_password")}
# Tables whose keys a council may add to (its own indicator codes, and the CIN census factor
# codes that map onto them).
OPEN_TABLES = {
    ("scoring", "indicators"),
    ("scoring", "derived"),
    ("import", "cin_census", "factors"),
}
# HOTSPOTS_ variables that are not settings: the other file's path, and the Flask secret key.
NOT_SETTINGS = {"HOTSPOTS_CONFIG", "HOTSPOTS_SECRET_KEY"}
INDICATOR_KEYS = {"label": str, "weight": float, "half_life_days": int}
DERIVED_KEYS = {"from": str, "at_least": int, "within_days": int, "child_under_years": int}
# Settings that have moved: a file or variable still naming the old place is told the new one.
MOVED_SETTINGS = {("digest", "base_url"): ("app", "base_url")}
CHOICES = {
    ("mail", "transport"): ("outbox", "smtp"),
    ("mail", "smtp_security"): ("starttls", "ssl", "none"),
}


class ConfigError(Exception):
    """A setting is missing, unknown or of the wrong kind; the message names the key."""


def load_config(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the effective settings as nested dicts.

    ``path`` (or ``HOTSPOTS_CONFIG``) names a TOML file read over the defaults; ``environ``
    defaults to ``os.environ``; ``overrides`` (e.g. a test's config) is applied last.
    Raises ConfigError with a message naming the offending key.
    """
    environ = os.environ if environ is None else environ
    settings = _read_toml(DEFAULT_CONFIG_PATH)
    defaults = copy.deepcopy(settings)
    other = path or environ.get("HOTSPOTS_CONFIG")
    if other:
        _merge(settings, _read_toml(Path(other)), defaults, source=str(other))
    _merge(settings, _from_environ(environ), defaults, source="the environment")
    if overrides:
        _merge(settings, copy.deepcopy(dict(overrides)), defaults, source="overrides")
    settings["mail"]["smtp_password"] = environ.get("HOTSPOTS_MAIL__SMTP_PASSWORD", "")
    _check(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {path} is not valid TOML: {e}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """HOTSPOTS_MAIL__SMTP_PORT=2525 -> {"mail": {"smtp_port": 2525}} (as Flask's
    from_prefixed_env: values are read as JSON where they parse, else kept as text)."""
    result: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in NOT_SETTINGS:
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX) :].split("__")]
        if tuple(keys) in SECRET_SETTINGS:
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = result
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment variable {name} conflicts with another")
        node[keys[-1]] = value
    return result


def _merge(target: dict, new: Mapping, defaults: Mapping, source: str, where=()) -> None:
    for key, value in new.items():
        here = (*where, key)
        dotted = _name(here)
        if here in SECRET_SETTINGS:
            raise ConfigError(
                f"{dotted} is a secret: set it in the environment as "
                f"HOTSPOTS_{'__'.join(k.upper() for k in here)}, not in {source}"
            )
        if here in MOVED_SETTINGS:
            raise ConfigError(
                f"{dotted} is now {_name(MOVED_SETTINGS[here])} (every link the service sends "
                f"starts with it): rename it in {source}"
            )
        if where in OPEN_TABLES:
            # A council's file may add an indicator or change one key of an existing one.
            existing = target.get(key)
            if isinstance(existing, dict) and isinstance(value, Mapping):
                target[key] = {**existing, **value}
            else:
                target[key] = value
            continue
        if key not in defaults:
            raise ConfigError(f"unknown setting {dotted} (from {source})")
        default = defaults[key]
        if isinstance(default, dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{dotted} must be a table of settings (from {source})")
            _merge(target[key], value, default, source, here)
        else:
            target[key] = _coerce(value, default, dotted, source)


def _coerce(value: Any, default: Any, dotted: str, source: str) -> Any:
    kind = type(default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    wanted = {
        int: "a whole number",
        float: "a number",
        str: "text",
        bool: "true or false",
        list: "a list",
    }.get(kind, kind.__name__)
    raise ConfigError(f"{dotted} must be {wanted}, not {value!r} (from {source})")


def _check(settings: dict[str, Any]) -> None:
    for (section, key), allowed in CHOICES.items():
        if settings[section][key] not in allowed:
            raise ConfigError(
                f"[{section}] {key} must be one of {', '.join(allowed)}, "
                f"not {settings[section][key]!r}"
            )
    indicators = settings["scoring"]["indicators"]
    if not indicators:
        raise ConfigError("[scoring.indicators] must list at least one indicator")
    for code, spec in indicators.items():
        where = f"[scoring.indicators] {code}"
        if not code.isidentifier() or not code.islower():
            raise ConfigError(f"{where}: an indicator code is lower_case letters and _")
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where} must be a table with label, weight and half_life_days")
        missing = set(INDICATOR_KEYS) - set(spec)
        unknown = set(spec) - set(INDICATOR_KEYS)
        if missing or unknown:
            raise ConfigError(
                f"{where} needs exactly label, weight and half_life_days"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(unknown))}" if unknown else "")
            )
        for key, kind in INDICATOR_KEYS.items():
            spec[key] = _coerce(spec[key], kind(), f"{where}.{key}", "the catalogue")
        if spec["half_life_days"] < 0:
            raise ConfigError(f"{where}.half_life_days must be 0 (does not fade) or more")
    _check_derived(settings["scoring"])
    _check_review_pattern(settings["scoring"])
    _check_imports_record_no_derived(settings)
    _check_header_spellings(settings["import"]["annex_a"]["headers"])
    for dotted, value in _leaves(settings):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{dotted} must not be negative, not {value!r}")
    scoring = settings["scoring"]
    if scoring["amber_threshold"] > scoring["red_threshold"]:
        raise ConfigError("[scoring] amber_threshold must not be above red_threshold")
    for key, top in (("rescore_hour", 23), ("rescore_minute", 59)):
        if settings["scheduler"][key] > top:
            raise ConfigError(f"[scheduler] {key} must be 0 to {top}")
    for key, top in (("send_hour", 23), ("send_minute", 59)):
        if settings["digest"][key] > top:
            raise ConfigError(f"[digest] {key} must be 0 to {top}")
    for section, key, top in (
        ("retention", "hour", 23),
        ("retention", "minute", 59),
        ("backup", "hour", 23),
        ("backup", "minute", 59),
        ("digest_recovery", "retry_until_hour", 24),
        ("digest_recovery", "retry_every_minutes", 60),
    ):
        if settings[section][key] > top:
            raise ConfigError(f"[{section}] {key} must be 0 to {top}")
    base_url = settings["app"]["base_url"]
    if not re.fullmatch(r"https?://[^/\s?#]+(/[^\s?#]*)?", base_url):
        raise ConfigError(
            f"[app] base_url must be the service's address as people reach it, such as "
            f"https://hotspots.council.example, not {base_url!r}"
        )
    budget = settings["alert_budget"]
    if budget["red_share"] > 1 or budget["caseload_percentile"] > 100:
        raise ConfigError(
            "[alert_budget] red_share is a share (0 to 1) and caseload_percentile 0 to 100"
        )
    for key, value in settings["partnership"].items():
        if value < 1:
            raise ConfigError(f"[partnership] {key} must be 1 or more, not {value}")
    if settings["security"]["session_absolute_hours"] < 1:
        raise ConfigError("[security] session_absolute_hours must be at least 1")
    _check_security_contact(settings["service"])


def _check_security_contact(service: dict[str, Any]) -> None:
    """[service] security_contact is published as security.txt's Contact (RFC 9116): an
    email address, or a URI a reporter can use."""
    contact = service["security_contact"]
    is_email = re.fullmatch(r"[^@\s:/]+@[^@\s/]+\.[^@\s/]+", contact)
    if not is_email and not re.fullmatch(r"(https://|mailto:|tel:)[^\s]+", contact):
        raise ConfigError(
            f"[service] security_contact must be an email address or an https:, mailto: or "
            f"tel: URI, not {contact!r}"
        )
    try:
        parse_date(service["security_contact_reviewed_on"])
    except ValueError as e:
        raise ConfigError(f"[service] security_contact_reviewed_on: {e}") from None


def _check_derived(scoring: dict[str, Any]) -> None:
    """[scoring.derived]: each rule names catalogue indicators, has a condition, and derives
    from an indicator that is sent or recorded (no rule reads another's result)."""
    indicators = scoring["indicators"]
    derived = scoring.setdefault("derived", {})
    for code, rule in derived.items():
        where = f"[scoring.derived] {code}"
        if code not in indicators:
            raise ConfigError(f"{where}: {code} is not in [scoring.indicators]")
        if not isinstance(rule, Mapping) or set(rule) != set(DERIVED_KEYS):
            raise ConfigError(f"{where} must be a table with exactly {', '.join(DERIVED_KEYS)}")
        for key, kind in DERIVED_KEYS.items():
            rule[key] = _coerce(rule[key], kind(), f"{where}.{key}", "the derived rules")
        if not rule["from"]:
            continue
        if rule["from"] not in indicators:
            raise ConfigError(f"{where}.from: {rule['from']} is not in [scoring.indicators]")
        if rule["from"] in derived and derived[rule["from"]]["from"]:
            raise ConfigError(f"{where}.from: {rule['from']} is itself derived")
        if not rule["at_least"] and not rule["child_under_years"]:
            raise ConfigError(f'{where} needs at_least or child_under_years (or from = "")')
        if rule["at_least"] and rule["within_days"] < 1:
            raise ConfigError(f"{where}.within_days must be 1 or more when at_least is set")


def _check_review_pattern(scoring: dict[str, Any]) -> None:
    """[scoring.review_pattern]: its features are catalogue indicators, its core features are
    among them, and it asks for no more features than it names."""
    pattern = scoring["review_pattern"]
    where = "[scoring.review_pattern]"
    for key in ("features", "core_features"):
        unknown = [
            repr(c)
            for c in pattern[key]
            if not isinstance(c, str) or c not in scoring["indicators"]
        ]
        if unknown:
            raise ConfigError(f"{where} {key}: {', '.join(unknown)} not in [scoring.indicators]")
    outside = [c for c in pattern["core_features"] if c not in pattern["features"]]
    if outside:
        raise ConfigError(f"{where} core_features: {', '.join(outside)} not among its features")
    if pattern["min_features"] > len(pattern["features"]):
        raise ConfigError(
            f"{where} min_features is {pattern['min_features']}, but it names only "
            f"{len(pattern['features'])} features"
        )
    if pattern["min_features"] and not pattern["core_features"]:
        raise ConfigError(f"{where} core_features must name at least one feature")


def _check_imports_record_no_derived(settings: dict[str, Any]) -> None:
    """The sector imports' mappings may not record an indicator the model works out."""
    derived = derived_indicators(settings)
    for fact, code in settings["import"]["annex_a"]["facts"].items():
        if code in derived:
            raise ConfigError(
                f"[import.annex_a.facts] {fact}: {code} is worked out by the model "
                "([scoring.derived]), so no import may record it"
            )
    for code in settings["import"]["cin_census"]["factors"]:
        if code in derived:
            raise ConfigError(
                f"[import.cin_census.factors] {code} is worked out by the model "
                "([scoring.derived]), so no import may record it"
            )


def header_key(header: object) -> str:
    """A header as the workbook imports compare it: without capitals, spacing or punctuation."""
    return "".join(c for c in str(header).casefold() if c.isalnum())


def _check_header_spellings(headers: Mapping[str, Any]) -> None:
    """[import.annex_a.headers]: each column a list of spellings, no spelling under two."""
    seen: dict[str, str] = {}
    for column, spellings in headers.items():
        where = f"[import.annex_a.headers] {column}"
        if not spellings or not all(isinstance(h, str) and header_key(h) for h in spellings):
            raise ConfigError(f"{where} must be a list of one or more header spellings")
        for spelling in spellings:
            other = seen.setdefault(header_key(spelling), column)
            if other != column:
                raise ConfigError(
                    f"{where}: {spelling!r} is also a spelling of {other}; a header can name "
                    "one column only"
                )


def derived_rules(scoring: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The [scoring.derived] rules switched on (``from`` set), by the code each works out."""
    return {code: rule for code, rule in (scoring.get("derived") or {}).items() if rule["from"]}


def derived_indicators(settings: Mapping[str, Any]) -> set[str]:
    """Indicator codes the model works out itself ([scoring.derived] rules that are on):
    refused when sent or recorded, so that nothing is counted twice."""
    return set(derived_rules(settings["scoring"]))


def recordable_indicators(settings: Mapping[str, Any]) -> list[str]:
    """The catalogue codes an import, a partner or a worker may record, in catalogue order."""
    derived = derived_indicators(settings)
    return [code for code in settings["scoring"]["indicators"] if code not in derived]


def _leaves(node: Mapping, where=()):
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _leaves(value, (*where, key))
        else:
            yield _name((*where, key)), value


def _name(keys) -> str:
    if len(keys) == 1:
        return keys[0]
    return f"[{'.'.join(keys[:-1])}] {keys[-1]}"


def setting_names(settings: Mapping[str, Any] | None = None) -> list[str]:
    """Every documented setting as ``section.key`` (docs/configuration.md)."""
    settings = settings or _read_toml(DEFAULT_CONFIG_PATH)
    names = []
    for section, table in settings.items():
        for key, value in table.items():
            if isinstance(value, Mapping) and (section, key) not in OPEN_TABLES:
                names.extend(f"{section}.{key}.{k}" for k in value)
            else:
                names.append(f"{section}.{key}")
    return names
