"""What a council's reviewers read before scoring is switched on, generated from the code and
the live settings: the model card (``docs/model-card.md``), the algorithmic transparency record
(``docs/atrs.md``) and the DPIA starting point (``docs/dpia.md``) take their facts from here
through cog blocks, and ``tests/test_docs.py`` fails when one has drifted (``make docs``
writes them again).

Every function returns Markdown. The figures on a population are worked out on the
calibration's population (``hotspots demo``'s authority of 10,000 cases, seed 2020, as of
``EVALUATION_DAY``), the same the calibration tests use; the sensitivity summary, whose 76
runs are too slow for a document check, is checked by ``tests/test_calibration.py`` (which
runs them anyway) against the sentence ``sensitivity_summary`` gives.
"""

from __future__ import annotations

import copy
import functools
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hotspots.base.config import derived_rules, load_config
from hotspots.documents.reference import settings_with_comments
from hotspots.model import calibration, fairness, review_sampler, rules, scoring

# The day the model is judged on in every document (the calibration tests' day).
EVALUATION_DAY = date(2026, 11, 26)
POPULATION_CASES = 10_000
POPULATION_SEED = 2020


def defaults() -> dict[str, Any]:
    """The settings in the repository's config.toml (a council's own are judged with
    ``hotspots calibrate`` and ``hotspots report fairness``)."""
    return load_config(environ={})


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


# --- the model ----------------------------------------------------------------------------------


def model_version() -> str:
    """The model version the default settings make (stored with every score)."""
    settings = defaults()["scoring"]
    return (
        f"Formula version {scoring.FORMULA_VERSION}; with the default settings the model version "
        f"stored with every score is `{scoring.model_version(settings)}` (a hash of the formula "
        "and every `[scoring]` setting: any change to a weight, a half-life or a threshold "
        "makes a new one, and the next rescore scores the whole authority with it).\n"
    )


def catalogue() -> str:
    """Every indicator the score reads, its weight and half-life."""
    model = defaults()["scoring"]
    derived = derived_rules(model)
    rows = [
        "| code | indicator | weight (points when new) | half-life (days) |",
        "| --- | --- | --- | --- |",
    ]
    for code, spec in model["indicators"].items():
        half_life = spec["half_life_days"]
        fades = f"{half_life}" if half_life else "does not fade"
        label = spec["label"] + (
            " (worked out by the model, never sent)" if code in derived else ""
        )
        rows.append(f"| `{code}` | {_cell(label)} | {spec['weight']:g} | {fades} |")
    return "\n".join(rows) + "\n"


def rules_in_words() -> str:
    """The rest of the model, from the settings: repeats, age, combinations, the accumulation
    rule, the review's pattern, practice gaps and adjustments."""
    model = defaults()["scoring"]
    acc = model["accumulation"]
    pattern = model["review_pattern"]
    gaps = model["practice_gaps"]
    labels = model["indicators"]
    lines = [
        f"- **Decay and repeats**: an observation's points are its weight × 0.5^(age in days / "
        f"half-life); of several observations of one indicator the latest counts in full and "
        f"each earlier one adds {model['repeat_fraction']:g} of its points, up to "
        f"{model['repeat_cap']:g} × the weight. Resolved, refuted and disputed observations "
        "count nothing.",
        "- **Age**: a child under 1 (an unborn child included) "
        f"×{model['age_multiplier_under_1']:g}, aged 1 to 3 "
        f"×{model['age_multiplier_1_to_3']:g}, older ×{model['age_multiplier_older']:g} (the "
        "indicator points only).",
    ]
    for code, points in model["combinations"].items():
        parts = ", ".join(labels[p]["label"].lower() for p in scoring.COMBINATIONS.get(code, ()))
        lines.append(
            f"- **{scoring.COMBINATION_LABELS.get(code, code)}**: +{points:g} when all are "
            f"current ({parts})."
        )
    lines.append(
        f"- **Several concerns around a very young child**: a child aged {acc['max_age_years']} "
        f"or under with at least {acc['min_concerns']} current concerns from at least "
        f"{acc['min_agencies']} agencies gains {acc['points_per_concern']:g} points a concern."
    )
    features = ", ".join(f"`{c}`" for c in pattern["features"])
    core = " or ".join(f"`{c}`" for c in pattern["core_features"])
    lines.append(
        f"- **The review's pattern**: a child aged {pattern['max_age_years']} or under with at "
        f"least {pattern['min_features']} of {features} recorded, one of them {core}, is a "
        f"hotspot whatever its points (its score is raised to {model['red_threshold']:g})."
    )
    gap_words = "; ".join(
        f"{scoring.GAP_LABELS[code].lower()} +{gaps[code]:g}" for code in rules.GAP_CODES
    )
    lines.append(
        f"- **Practice gaps**: {gap_words} (no domestic-abuse enquiry counts once "
        f"{gaps['domestic_abuse_enquiry_due_days']} days have passed since the case opened)."
    )
    for code in derived_rules(model):
        lines.append(f"- **Worked out** `{code}`: {scoring.derived_text(code, model)}.")
    lines.append(
        "- **Practitioner adjustment**: a worker or manager may raise or lower a score with a "
        "reason and an expiry date; it is shown and audited."
    )
    return "\n".join(lines) + "\n"


def bands_and_budget() -> str:
    """The bands and the alert budget."""
    settings = defaults()
    model, budget = settings["scoring"], settings["alert_budget"]
    return (
        f"| band | score | words on every page |\n| --- | --- | --- |\n"
        f"| red | {model['red_threshold']:g} or more | {rules.BAND_WORDS['red']} |\n"
        f"| amber | {model['amber_threshold']:g} to under {model['red_threshold']:g} "
        f"| {rules.BAND_WORDS['amber']} |\n"
        f"| green | under {model['amber_threshold']:g} | {rules.BAND_WORDS['green']} |\n\n"
        f"The alert budget (`[alert_budget]`): red at most **{_pct(budget['red_share'])}** of "
        f"open cases, and at the {budget['caseload_percentile']}th percentile a worker's caseload "
        f"holds at most **{budget['caseload_hotspots']}** hotspots. `hotspots calibrate` warns "
        "past either.\n"
    )


# --- evaluation ---------------------------------------------------------------------------------


def vignettes() -> str:
    """Every reference vignette's score and band under the default settings."""
    settings = defaults()
    model = settings["scoring"]
    results = calibration.score_vignettes(
        calibration.load_vignettes(EVALUATION_DAY), settings, EVALUATION_DAY
    )
    rows = [
        "| vignette | expected | score | band | own points × the red line |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        margin = (
            f"{calibration.vignette_margin(r, model):.2f}" if r.vignette.group == "review" else ""
        )
        rows.append(
            f"| {_cell(r.vignette.title)} | {r.vignette.expect} | {r.score.score:.1f} "
            f"| {r.score.band} | {margin} |"
        )
    wrong = sum(not r.as_expected for r in results)
    rows.append("")
    rows.append(
        f"{len(results)} vignettes, {len(results) - wrong} in their expected band"
        + (f", **{wrong} not**" if wrong else "")
        + f" (scored on {EVALUATION_DAY.day} {EVALUATION_DAY:%B %Y}).\n"
    )
    return "\n".join(rows)


def pattern_rates() -> str:
    """The review pattern's hotspot rate from the sampler (seeded), with the rule and on points
    alone, and with one feature fewer than the review's."""
    model = defaults()["scoring"]
    draws = calibration.PATTERN_DRAWS
    rate = review_sampler.pattern_rate(model, EVALUATION_DAY, draws=draws)
    off = copy.deepcopy(model)
    off["review_pattern"]["min_features"] = 0
    alone = review_sampler.pattern_rate(off, EVALUATION_DAY, draws=draws)
    fewer = review_sampler.pattern_rate(model, EVALUATION_DAY, draws=draws, min_features=3)
    return (
        "| children drawn from the review's pattern (seeded) | red | amber | green |\n"
        "| --- | --- | --- | --- |\n"
        + _rate_row(f"{draws:,}, records 1 to 8 months old", rate)
        + _rate_row(f"{draws:,}, three features or more (one fewer than the review's)", fewer)
        + _rate_row(f"{draws:,}, the pattern rule switched off (points alone)", alone)
        + f"\nThe test asks for at least {_pct(calibration.PATTERN_MIN_RATE)} red "
        "(`tests/test_calibration.py`).\n"
    )


def _rate_row(what: str, rate: review_sampler.PatternRate) -> str:
    return (
        f"| {what} | {_pct(rate.red / rate.draws)} | {_pct(rate.amber / rate.draws)} "
        f"| {_pct(rate.green / rate.draws)} |\n"
    )


@functools.cache
def _population() -> tuple[Any, list[tuple[int | None, float]]]:
    """The calibration's population, scored as the nightly rescore would (in a temporary
    database, once per process)."""
    from hotspots import storage
    from hotspots.services import rescoring
    from hotspots.services.demo import load_demo
    from hotspots.storage import scores as scores_store
    from hotspots.storage.schema import migrate

    folder = tempfile.mkdtemp(prefix="hotspots-evidence-")
    db = storage.connect(Path(folder) / "population.db")
    migrate(db)
    now = datetime.combine(EVALUATION_DAY, datetime.min.time(), tzinfo=UTC).replace(hour=2)
    settings = defaults()
    load_demo(db, settings, cases=POPULATION_CASES, seed=POPULATION_SEED, as_of=EVALUATION_DAY,
              now=now, password_hash="not-a-password", rescore=False)  # fmt: skip
    rescoring.rescore_all(db, settings, as_of=EVALUATION_DAY, now=now)
    scored = scores_store.caseload_scores(db)
    return db, scored


def population() -> str:
    """Band shares and the caseload percentile on the calibration's population."""
    settings = defaults()
    _, scored = _population()
    judged = calibration.judge(settings, scored, EVALUATION_DAY, draws=10)
    budget = settings["alert_budget"]
    return (
        f"On `hotspots demo --cases {POPULATION_CASES}` (seed {POPULATION_SEED}, "
        f"{len(scored):,} open cases, drawn from the DfE's published figures): red "
        f"**{_pct(judged.shares['red'])}**, amber {_pct(judged.shares['amber'])}, green "
        f"{_pct(judged.shares['green'])}; at the {budget['caseload_percentile']}th percentile a "
        f"caseload holds **{judged.caseload_hotspots}** hotspots (the budget: "
        f"{_pct(budget['red_share'])} and {budget['caseload_hotspots']}).\n"
    )


def sensitivity_summary(variants: Sequence[calibration.Variant]) -> str:
    """One sentence on the sensitivity check's results (checked by tests/test_calibration.py
    on its own run of the 76 changes)."""
    return (
        f"Each weight ±{calibration.WEIGHT_CHANGE:.0%} and each fading half-life "
        f"±{calibration.HALF_LIFE_CHANGE:.0%}, one at a time ({len(variants)} changes, on the "
        f"calibration's population): the pattern stays at least "
        f"{_pct(min(v.pattern_rate for v in variants))} red with the rule "
        f"({_pct(min(v.points_alone_rate for v in variants))} to "
        f"{_pct(max(v.points_alone_rate for v in variants))} on points alone), and red stays "
        f"{_pct(min(v.red_share for v in variants))} to {_pct(max(v.red_share for v in variants))}"
        " of open cases."
    )


def fairness_on_the_demo() -> str:
    """The fairness report's groups (not teams) on the calibration's population, whose
    characteristics the demo draws at the DfE's shares and apart from everything else."""
    from hotspots.storage.fairness import fairness_report

    db, _ = _population()
    report = fairness_report(db, defaults())
    low, high = report["bounds"]
    rows = [
        "| dimension | group | open cases | hotspot rate | mean score | ratio to everyone else |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    below = report["suppress_below"]
    for dimension in report["dimensions"]:
        if dimension["code"] == "team":
            continue
        for g in dimension["groups"]:
            if g["suppressed"]:
                rows.append(f"| {dimension['heading']} | {g['words']} | fewer than {below} | | | |")
                continue
            ratio = f"{g['ratio']:.2f}" if g["ratio"] is not None else g["compared"]
            flag = " **flagged**" if g["flag"] else ""
            if g["flag"] and g["few_hotspots"]:
                flag += f" (fewer than {below} hotspots)"
            rows.append(
                f"| {dimension['heading']} | {g['words']} | {g['cases']:,} "
                f"| {fairness.percent(g['hotspot_rate'])} | {g['mean_score']:.1f} "
                f"| {ratio}{flag} |"
            )
    teams = next(d for d in report["dimensions"] if d["code"] == "team")["groups"]
    flagged_teams = sum(1 for g in teams if g["flag"])
    rows.append("")
    rows.append(
        f"All open cases: {report['totals']['cases']:,}, "
        f"{fairness.percent(report['totals']['hotspot_rate'])} hotspots. A ratio outside "
        f"{low:g} to {high:g} is flagged. Teams ({len(teams)} of about "
        f"{report['totals']['cases'] // max(len(teams), 1)} open cases each) are left out here: "
        f"{flagged_teams} are flagged, nearly all with fewer than {below} hotspots, where one "
        "child moves the ratio a long way.\n"
    )
    return "\n".join(rows)


# --- the DPIA's facts ---------------------------------------------------------------------------


def retention_table() -> str:
    """How long each thing is kept, from ``[retention]`` (and where it is set)."""
    keep = defaults()["retention"]
    rows = ["| what | kept | setting |", "| --- | --- | --- |"]
    for section, key, _value, comment in settings_with_comments():
        if section != "retention" or key in ("hour", "minute"):
            continue
        days = keep[key]
        kept = "for ever (0)" if days == 0 else f"{days:,} days"
        rows.append(f"| {_cell(comment)} | {kept} | `[retention] {key}` |")
    return "\n".join(rows) + "\n"


def data_flows() -> str:
    """Every way data comes in, from the import kinds and the partners' API."""
    from hotspots.services.importer import KIND_CLASSES

    rows = ["| way in | what it brings | who starts it |", "| --- | --- | --- |"]
    for name, kind in KIND_CLASSES.items():
        rows.append(
            f"| `hotspots import {name}`, the Import data page | {_cell(kind.title)}: "
            f"{_cell(kind.summary)} | an admin |"
        )
    rows.append(
        "| `POST /api/v1/observations` ([api.md](api.md)) | partners' observations (police "
        "notices, unscheduled care, health visiting), matched to a case by reference or NHS "
        "number, else queued | a partner's system, with its own token |"
    )
    rows.append(
        "| the case page's forms ([web.md](web.md)) | observations, enquiries, visits, reviews, "
        "adjustments, disputes and decisions | workers, managers, admins |"
    )
    rows.append(
        "| `/partnership/incidents/new` ([partnership.md](partnership.md#serious-incidents)) | "
        "serious incidents: the child's case, the days it happened and became known, the harm, "
        "a short summary with no names | the partnership's members, admins |"
    )
    return "\n".join(rows) + "\n"


# Each measure the service already has, where it is configured and where it is explained:
# (the measure, the settings it reads as (section, key), the document and anchor).
MEASURES = (
    ("Every view of a case, caseload, team and report, every change, sign-in and export is "
     "written to the audit log, kept for the days set", (("retention", "audit_days"),),
     "web.md#the-audit-log"),
    ("Role-based access: a worker sees their own cases, a manager their team's, an admin all; "
     "any other case is a 404, audited", (), "web.md#who-sees-what"),
    ("Sessions end after inactivity and after an absolute lifetime; sign-in is throttled",
     (("app", "session_idle_minutes"), ("security", "session_absolute_hours"),
      ("security", "max_failures_per_account")), "web.md#signing-in"),
    ("Secure cookies and HSTS", (("security", "https_only"),), "../SECURITY.md"),
    ("Access logs do not hold case references", (("security", "log_case_refs"),),
     "operations.md"),
    ("Digests carry case references and initials only, never names, dates of birth, NHS "
     "numbers or characteristics", (), "digest.md"),
    ("Closed cases are removed with everything under them, the days set after closing",
     (("retention", "closed_case_days"),), "operations.md#retention"),
    ("Score history is removed after the days set", (("retention", "score_history_days"),),
     "operations.md#retention"),
    ("A case a serious incident names is kept, with a copy of its score history, so the "
     "partnership's look-back can always be read", (("partnership", "look_back_days"),),
     "partnership.md#what-is-kept"),
    ("Characteristics are never an input to the score, and counted only in the fairness report",
     (("fairness", "suppress_below"),), "fairness.md"),
    ("The alert budget keeps the red band small", (("alert_budget", "red_share"),),
     "scoring.md#the-alert-budget-alert_budget"),
    ("A family's correction route: a disputed record counts towards no score until a worker "
     "decides", (), "web.md#a-familys-correction-route"),
    ("Partners' notifications are matched by reference or NHS number only; others wait for a "
     "person", (("retention", "unmatched_days"),), "api.md"),
    ("Nightly backups, checked before older ones are removed", (("backup", "keep"),),
     "operations.md#backups-and-restores"),
)  # fmt: skip


def measures() -> str:
    """The measures the service already has, each with its settings (their default values) and
    where it is explained."""
    settings = defaults()
    rows = ["| measure | configured by (default) | explained in |", "| --- | --- | --- |"]
    for words, names, document in MEASURES:
        configured = ", ".join(
            f"`[{section}] {key}` ({_setting_words(settings[section][key])})"
            for section, key in names
        )
        name = document.rpartition("/")[2].partition(".md")[0]
        rows.append(f"| {words} | {configured or 'the code'} | [{name}]({document}) |")
    return "\n".join(rows) + "\n"


def _setting_words(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)
