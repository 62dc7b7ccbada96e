"""DfE children in need census (XML): each assessment's factors become observations on the
cases this service already has.

- **What the file holds**: ``Message/Children/Child`` elements, each with
  ``ChildIdentifiers`` (``LAchildID``, ``PersonBirthDate`` or ``ExpectedPersonBirthDate``) and
  ``CINdetails/Assessments`` (``AssessmentActualStartDate``, ``AssessmentAuthorisationDate``,
  ``FactorsIdentifiedAtAssessment/AssessmentFactors``), and the child's sex
  (``ChildIdentifiers/Sex``, or ``GenderCurrent`` before 2024–25), ethnicity and disability
  (``ChildCharacteristics``), which feed only the fairness report. Every other element
  (``UPN``, ``PreProceedingsandFGDM``…) is ignored, so both the 2024–25 and 2026–27 editions
  read. Parsed with defusedxml, streaming: a DTD, an entity or an external
  reference is refused (no entity expansion, no network), so an XML bomb cannot go off.
  Another return (its ``Collection`` not ``CIN``, a SEN2's ``Persons``, an SSDA903 CSV, a
  workbook) is refused with what it is (``hotspots.services.importer.lookalikes``).
- **Checks**: every child's identifier, dates (``hotspots.model.plausibility``: the rules every
  import shares) and factor codes, alone or with their label (``Child 7310000, assessment 1,
  AssessmentFactors: 'RB' is not a factor code``).
- **Mapping**: ``[import.cin_census.factors]`` in config.toml, indicator → factor codes.
  Codes mapped to no indicator (and 21, no factors) are counted in the report; children who
  are not cases here are skipped and counted, and those matching a case only when capitals
  are ignored are listed, not matched. A born case's differing birth date is a warning; an
  unborn case takes the census's birth or due date.
- **Apply**: the unborn cases' births, then the derived observations, keyed by child,
  assessment and factor, so importing the same census again changes nothing; then the cases'
  characteristics (``hotspots.storage.characteristics``: a value that says nothing new never
  overwrites one that does).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeElementTree

from hotspots.model import characteristics
from hotspots.model.plausibility import DateKind, Implausible, read_child_id, read_iso_date
from hotspots.services.importer import lookalikes
from hotspots.services.importer.base import ImportKind
from hotspots.storage import characteristics as kept
from hotspots.storage import imports as sql

# The DfE's assessment factor codes (children in need census guide), in words for the report.
FACTOR_CODES = {
    "1A": "alcohol misuse: the child",
    "1B": "alcohol misuse: a parent or carer",
    "1C": "alcohol misuse: another person in the household",
    "2A": "drug misuse: the child",
    "2B": "drug misuse: a parent or carer",
    "2C": "drug misuse: another person in the household",
    "3A": "domestic abuse: the child the subject",
    "3B": "domestic abuse: a parent or carer the subject",
    "3C": "domestic abuse: another household member the subject",
    "4A": "mental health: the child",
    "4B": "mental health: a parent or carer",
    "4C": "mental health: another person in the household",
    "5A": "learning disability: the child",
    "5B": "learning disability: a parent or carer",
    "5C": "learning disability: another person in the household",
    "6A": "physical disability or illness: the child",
    "6B": "physical disability or illness: a parent or carer",
    "6C": "physical disability or illness: another person in the household",
    "7A": "young carer",
    "8B": "private fostering: overseas child, parents overseas",
    "8C": "private fostering: overseas child, parents in the UK",
    "8D": "private fostering: UK child, educational reasons",
    "8E": "private fostering: UK child, family breakdown",
    "8F": "private fostering: UK child, other",
    "9A": "unaccompanied asylum-seeking child",
    "10A": "going missing",
    "11A": "child sexual exploitation",
    "12A": "trafficking",
    "13A": "gangs",
    "14A": "socially unacceptable behaviour",
    "15A": "self-harm",
    "16A": "neglect",
    "17A": "emotional abuse",
    "18B": "physical abuse: child on child",
    "18C": "physical abuse: adult on child",
    "19B": "sexual abuse: child on child",
    "19C": "sexual abuse: adult on child",
    "20": "other",
    "21": "no factors identified",
    "22A": "female genital mutilation",
    "23A": "abuse linked to faith or belief",
    "24A": "child criminal exploitation",
}
STAGING_BATCH = 20_000
# A factor written with its label ("2B - Drug misuse parent", "21: No factors"): the code.
FACTOR_WITH_LABEL = re.compile(r"([0-9]{1,2}[A-Za-z]?)(?:\s*[-–—:.)]\s*|\s+)\S.*")


def _local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


class CinCensus(ImportKind):
    name = "cin-census"
    title = "Children in need census (.xml)"
    summary = "Each assessment's factors become observations on existing cases."
    suffixes = (".xml",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config = self.settings["import"]["cin_census"]
        self.children = 0
        self.assessments = 0
        self.factors = 0
        self.staged: dict[str, tuple] = {}
        self.births: dict[str, tuple] = {}  # unborn cases' births the census now gives
        self.seen: set[str] = set()
        # What the census says of each case's sex, ethnicity and disability.
        self.described: dict[str, characteristics.Gathered] = {}
        self.characteristics_staged = 0

    def create_staging(self) -> None:
        self.drop_staging()
        sql.create_census_staging(self.db)
        kept.create_staging(self.db)

    def drop_staging(self) -> None:
        sql.drop_census_staging(self.db)
        kept.drop_staging(self.db)

    # --- what the file holds -----------------------------------------------------------------

    def stage(self, path: Path) -> None:
        self.mapping = self._mapping()
        self.cases = sql.case_births(self.db)
        self.folded = {ref.casefold(): ref for ref in self.cases}
        limit_mb = self.config["max_file_mb"]
        size = path.stat().st_size
        if size == 0:
            self.errors.at("", "the file is empty")
            return
        if size > limit_mb * 1_000_000:
            self.errors.at(
                "",
                f"the file is larger than {limit_mb} MB ({size:,} bytes), the largest census file "
                f"accepted ([import.cin_census] max_file_mb in config.toml)",
            )
            return
        if other := lookalikes.not_a_census(path):
            self.errors.at("", other)
            return
        try:
            for child in self._children(path):
                self._read_child(child)
            if not self.children and not self.errors.total:
                raise _NotCensus(
                    "the file has no Child elements (Message/Children/Child), so it holds no "
                    "children: is it a complete CIN census file?"
                )
        except ElementTree.ParseError as e:
            line, column = e.position
            self.errors.at(
                f"line {line}, column {column + 1}",
                "the file is not well-formed XML here, so nothing after it could be read "
                f"({_reason(e)}): is it a complete CIN census file?",
            )
        except defusedxml.DefusedXmlException:
            self.errors.at(
                "",
                "the file declares a DTD, entities or an external reference, which a CIN "
                "census file never has: refused for safety (nothing in it was expanded or "
                "fetched)",
            )
        except _NotCensus as e:
            self.errors.at("", str(e))
        self.report.read.update(
            children=self.children, assessments=self.assessments, factors=self.factors
        )
        if not self.errors.total:
            batch = list(self.staged.values())
            for start in range(0, len(batch), STAGING_BATCH):
                sql.stage_derived_observations(self.db, batch[start : start + STAGING_BATCH])
            sql.stage_census_births(self.db, list(self.births.values()))
            self.characteristics_staged = kept.stage(
                self.db,
                ((child_id, *said.values()) for child_id, said in self.described.items()),
            )

    def _children(self, path: Path) -> Iterator[ElementTree.Element]:
        """Each Child element, whole, then freed (a census of any size reads in flat memory)."""
        events = SafeElementTree.iterparse(
            str(path),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
        path_open: list[ElementTree.Element] = []  # the elements open around this point
        for event, element in events:
            name = _local(element.tag)
            if event == "start":
                if not path_open and name != "Message":
                    raise _NotCensus(
                        "this is not a CIN census file: its outer element is "
                        f"<{name}>, not <Message>"
                    )
                if len(path_open) == 1 and name == "Persons":
                    raise _NotCensus(f"this is {lookalikes.COLLECTIONS['SEN2']}, not a CIN census")
                path_open.append(element)
                continue
            path_open.pop()
            if name == "Collection" and [_local(e.tag) for e in path_open] == [
                "Message",
                "Header",
                "CollectionDetails",
            ]:
                other = lookalikes.collection(element.text or "")
                if other:
                    raise _NotCensus(f"this is {other}, not a CIN census")
            if name == "Child":
                yield element
                if path_open:
                    path_open[-1].remove(element)  # free what has been read

    # --- checks and mapping ------------------------------------------------------------------

    def _read_child(self, child: ElementTree.Element) -> None:
        self.children += 1
        identifiers = _first(child, "ChildIdentifiers")
        written = _text(_first(identifiers, "LAchildID")) if identifiers is not None else ""
        if not written:
            self.errors.at(f"Child number {self.children} in the file", "has no LAchildID")
            return
        try:
            child_id = read_child_id(written, field="LAchildID")  # 10721552.0 is 10721552
        except Implausible:
            child_id = written  # no case here can have it: counted as not a case here
        where = f"Child {child_id}"
        if child_id in self.seen:
            self.report.decided["children in the census more than once (merged)"] += 1
        self.seen.add(child_id)
        birth = self._birth(where, identifiers)
        is_case = child_id in self.cases
        if is_case and birth is not None:
            self._compare_birth(where, child_id, birth)
        elif not is_case and child_id.casefold() in self.folded:
            self.report.decided[
                "ids matching a case only when capitals are ignored (not matched)"
            ] += 1
            self.report.warn(
                f"{where}: matches case {self.folded[child_id.casefold()]} only when capitals "
                "are ignored, so it was not matched: correct the id in the census or in the "
                "case system so they agree"
            )
        elif not is_case:
            self.report.skipped["children who are not cases here"] += 1
        if is_case:
            self._characteristics(
                where, child_id, identifiers, _first(child, "ChildCharacteristics")
            )
        number = 0
        for details in _all(child, "CINdetails"):
            for assessment in _all(details, "Assessments"):
                number += 1
                self.assessments += 1
                self._read_assessment(child_id, number, assessment, stage=is_case)

    def _birth(self, where: str, identifiers: ElementTree.Element | None) -> tuple | None:
        """("born" or "due", the day) from PersonBirthDate or ExpectedPersonBirthDate, or None
        (with an error when neither is there or the date is implausible)."""
        born = _text(_first(identifiers, "PersonBirthDate"))
        expected = _text(_first(identifiers, "ExpectedPersonBirthDate"))
        if born:
            day = self._date(f"{where}, PersonBirthDate", born, kind="birth")
            return ("born", day) if day else None
        if expected:
            day = self._date(f"{where}, ExpectedPersonBirthDate", expected, kind="expected_birth")
            if day:
                self.report.decided["unborn children (an expected date of birth)"] += 1
            return ("due", day) if day else None
        self.errors.at(where, "has neither PersonBirthDate nor ExpectedPersonBirthDate")
        return None

    def _characteristics(
        self,
        where: str,
        child_id: str,
        identifiers: ElementTree.Element | None,
        described: ElementTree.Element | None,
    ) -> None:
        """The child's sex (``ChildIdentifiers/Sex``, M F U, from 2024-25; before it
        ``GenderCurrent``, 1 2 9 0), ethnicity (``ChildCharacteristics/Ethnicity``) and
        disability (``ChildCharacteristics/Disabilities/Disability``: NONE, or which), read by
        ``hotspots.model.characteristics`` for the fairness report only. Errors name the element,
        never its value."""
        said = self.described.setdefault(child_id, characteristics.Gathered())
        sex = next(
            (
                e
                for n in ("Sex", "GenderCurrent", "Gender")
                if (e := _first(identifiers, n)) is not None
            ),
            None,
        )
        ethnicity = _first(described, "Ethnicity")
        disabilities = _first(described, "Disabilities")
        readings: list[tuple[str, str, Callable[[], str | None]]] = []
        if sex is not None:
            name = _local(sex.tag)
            readings.append(
                ("sex", name, partial(characteristics.read_sex, _text(sex), field=name))
            )
        if ethnicity is not None:
            readings.append(
                (
                    "ethnicity",
                    "Ethnicity",
                    partial(characteristics.read_ethnicity, _text(ethnicity), field="Ethnicity"),
                )
            )
        if disabilities is not None:
            codes = [_text(d) for d in _all(disabilities, "Disability")]
            readings.append(
                (
                    "disability",
                    "Disability",
                    partial(characteristics.read_disability_codes, codes, field="Disability"),
                )
            )
        for column, name, read in readings:
            try:
                value = read()
            except Implausible as e:
                self.errors.at(f"{where}, {name}", e.reason)
                continue
            if other := said.add(column, value, f"{where}, {name}"):
                self.report.warn(
                    f"{where}: the child appears more than once and its {column} differs "
                    f"({other}), so neither is stored: correct whichever is wrong"
                )
                self.report.decided[f"children whose records disagree on their {column}"] += 1

    def _compare_birth(self, where: str, child_id: str, birth: tuple) -> None:
        """The census's birth against the case's: an unborn case takes the census's birth or
        due date (a later file says more); a born case's differing date is a warning with
        both dates, the case left as it is (which is right is for a person to say)."""
        status, day = birth
        held_day, held_status = self.cases[child_id]
        if held_status != "born":
            if (day.isoformat(), status) != (held_day, held_status):
                self.births[child_id] = (child_id, day.isoformat(), status)
                key = (
                    "unborn children now born"
                    if status == "born"
                    else ("unborn children's expected dates of birth updated")
                )
                self.report.decided[key] += 1
            return
        if status == "due":
            self.report.decided["birth dates that differ from the case's (warned)"] += 1
            self.report.warn(
                f"{where}: the census gives an expected date of birth, {day.isoformat()}, but "
                f"the case has the date of birth {held_day}: check the child's record"
            )
        elif day.isoformat() != held_day:
            self.report.decided["birth dates that differ from the case's (warned)"] += 1
            self.report.warn(
                f"{where}: the census gives the date of birth {day.isoformat()}, the case "
                f"{held_day}: the case is not changed; correct whichever is wrong"
            )

    def _read_assessment(
        self, child_id: str, number: int, assessment: ElementTree.Element, *, stage: bool
    ) -> None:
        where = f"Child {child_id}, assessment {number}"
        started_text = _text(_first(assessment, "AssessmentActualStartDate"))
        authorised_text = _text(_first(assessment, "AssessmentAuthorisationDate"))
        started = self._date(f"{where}, AssessmentActualStartDate", started_text)
        authorised = self._date(f"{where}, AssessmentAuthorisationDate", authorised_text)
        codes = []
        for factors in _all(assessment, "FactorsIdentifiedAtAssessment"):
            for factor in _all(factors, "AssessmentFactors"):
                self.factors += 1
                code = _text(factor).upper()
                if labelled := FACTOR_WITH_LABEL.fullmatch(code):
                    code = labelled[1]  # 2B - Drug misuse parent: read by its code
                if not code:
                    self.errors.at(f"{where}, AssessmentFactors", "is empty")
                elif code not in FACTOR_CODES:
                    self.errors.at(
                        f"{where}, AssessmentFactors", f"{_text(factor)!r} is not a factor code"
                    )
                else:
                    codes.append(code)
        if codes and not started_text and not authorised_text:
            self.errors.at(
                where,
                "has factors but neither an AssessmentAuthorisationDate nor an "
                "AssessmentActualStartDate to date them by",
            )
        day = authorised or started
        if not stage or day is None:
            return
        # The assessment is known by the day it started (else the day it was authorised).
        known_by = (started or authorised).isoformat()
        for code in codes:
            indicators = self.mapping.get(code)
            if not indicators:
                self.report.unmapped[f"{code} ({FACTOR_CODES[code]})"] += 1
                continue
            for indicator in indicators:
                external_id = f"cin:{child_id}:{known_by}:{code}:{indicator}"
                note = f"From the CIN census, assessment factor {code}: {FACTOR_CODES[code]}"
                self.staged[external_id] = (
                    external_id,
                    child_id,
                    indicator,
                    day.isoformat(),
                    note,
                )

    def _date(self, where: str, text: str, *, kind: DateKind = "event") -> date | None:
        if not text:
            return None
        try:
            return read_iso_date(text, field=where, as_of=self.as_of, kind=kind)
        except Implausible as e:
            self.errors.at(where, e.reason)
            return None

    def _mapping(self) -> dict[str, list[str]]:
        """Factor code → indicators, from config.toml, checked against the catalogue and the
        DfE's codes."""
        catalogue = self.settings["scoring"]["indicators"]
        mapping: dict[str, list[str]] = {}
        where = "config.toml [import.cin_census.factors]"
        for indicator, codes in self.config["factors"].items():
            if indicator not in catalogue:
                self.errors.at(where, f"{indicator!r} is not in [scoring.indicators]")
                continue
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                self.errors.at(where, f"{indicator} must be a list of factor codes")
                continue
            for code in codes:
                if code.upper() not in FACTOR_CODES:
                    self.errors.at(where, f"{indicator}: {code!r} is not a factor code")
                    continue
                mapping.setdefault(code.upper(), []).append(indicator)
        return mapping

    # --- apply -------------------------------------------------------------------------------

    def apply(self, params: dict[str, str]) -> None:
        sql.write_census_births(self.db)
        created, updated = sql.write_derived_observations(self.db, params["now"])
        recorded = kept.apply_staged(self.db, kind=self.name, now=params["now"])
        self.report.counts.update(
            {
                "observations created": created,
                "observations updated": updated,
                "observations unchanged": len(self.staged) - created - updated,
            }
        )
        if self.characteristics_staged:
            self.report.counts["children's characteristics recorded or changed"] = recorded


class _NotCensus(Exception):
    """The file is XML but not a census."""


def _first(element: ElementTree.Element | None, name: str) -> ElementTree.Element | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _all(element: ElementTree.Element, name: str) -> Iterator[ElementTree.Element]:
    for child in element:
        if _local(child.tag) == name:
            yield child


def _text(element: ElementTree.Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def _reason(error: ElementTree.ParseError) -> str:
    return str(error).split(":")[0]
