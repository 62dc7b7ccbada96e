"""Demo data: a deterministic, invented local authority that looks like one in the DfE's
published statistics, to try the service on and to judge the alert budget on
(``docs/scoring.md``, *A population like a real authority's*, cites every figure).

- **Children**: the age bands of children in need at 31 March (*Characteristics of children in
  need*): about 5% under one, 18% aged 1 to 4, 25% aged 5 to 9, 35% aged 10 to 15, 17% aged 16
  or 17. Most cases were opened in the last year; a tenth have been open for two years or more.
- **Concerns**: the factors identified at the end of assessment, at the DfE's shares of children
  in need (domestic abuse about half, mental health about a third, drug and alcohol misuse near a
  fifth each, physical abuse about one in seven), and the catalogue's other indicators at modest
  rates, the early-life ones only for young children. A family's concerns come together more
  often than apart (a seeded adversity factor per family), each recorded once or a few times,
  by the agencies that would see it, as a case system holds them: a few records per case.
- **Workers**: about 17 open cases each (the DfE's workforce statistics: 16 to 18 on average),
  10 to 26; a manager per team; one admin; some cases unallocated or closed.
- **Practice**: the domestic-abuse question asked on most cases, the parents' childhood on about
  half; most visits on time.
- **The review's pattern**: a few families with it (one on the demo worker's caseload), beside
  those the population holds by itself.
- **Characteristics** (sex, ethnicity, disability), at the shares of children in need in the
  DfE's *Characteristics of children in need* (2020, tables A4 and B2), drawn from a generator
  of their own and independently of everything else, so that adding them left the rest of the
  population exactly as it was (and the fairness report on the demo finds no disparity the
  demo did not draw: only age, which the model weighs by design).

Everything comes from ``random.Random(seed)`` and ``as_of``: the same seed, size and day give
the same rows. Rows are generated as plain tuples and inserted with executemany in one
transaction, so 400,000 cases take a minute or two.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from hotspots.base.dates import stamp
from hotspots.services import audit, passwords, rescoring
from hotspots.storage import characteristics as kept
from hotspots.storage import imports as sql
from hotspots.storage import write_transaction

DEFAULT_CASES = 2000
# Days of score history `hotspots demo` makes by default (a month of nightly rescores).
DEFAULT_HISTORY_DAYS = 30
DEFAULT_SEED = 2020
# Published (README, `hotspots demo`): hotspots.services.passwords refuses it as anyone's password,
# and
# the demo seeds its accounts' hashes directly.
DEMO_PASSWORD = passwords.DEMO_PASSWORD
DEMO_DOMAIN = "example.org"  # reserved for examples (RFC 2606): no real mailbox
SIGN_IN = {
    "manager": f"manager@{DEMO_DOMAIN}",
    "worker": f"worker@{DEMO_DOMAIN}",
    "admin": f"admin@{DEMO_DOMAIN}",
    "partnership": f"partnership@{DEMO_DOMAIN}",
}
# The safeguarding partnership's member, added last under a fixed name, so the seeded draws
# (and every other person and case) are the same as without them.
PARTNERSHIP_NAME = "Lee Lead"

# Open cases per worker: about 17 on average (16 to 18 in the DfE's workforce statistics),
# from 10 to 26 as authorities range.
CASELOAD_MIN, CASELOAD_MEAN, CASELOAD_MAX = 10, 17, 26
CASELOAD_SD = 3.5
WORKERS_PER_TEAM = 8
CLOSED_SHARE = 0.04
UNALLOCATED_SHARE = 0.03
HISTORY_DAYS = 1500  # records reach back four years (the longest-open cases)
CHUNK_CASES = 5000  # cases generated and inserted per executemany round

# The age bands of children in need (share, youngest and oldest age in days).
AGE_BANDS = (
    (0.05, 0, 364),
    (0.18, 365, 1824),
    (0.25, 1825, 3649),
    (0.35, 3650, 5839),
    (0.17, 5840, 6569),
)
# How long open cases have been open (share, fewest and most days): half of episodes end
# within three months, so those still open are mostly younger than a year.
OPEN_FOR = ((0.35, 7, 90), (0.35, 91, 365), (0.20, 366, 730), (0.10, 731, 1460))
TEAM_NAMES = [
    "Norwich North",
    "Norwich South",
    "Broadland",
    "Breckland",
    "South Norfolk",
    "Great Yarmouth",
    "King's Lynn",
    "North Norfolk",
    "Thetford",
    "Dereham",
    "Wymondham",
    "Cromer",
    "Fakenham",
    "Swaffham",
    "Diss",
    "Aylsham",
    "Attleborough",
    "Downham Market",
    "Hunstanton",
    "North Walsham",
    "Watton",
    "Sheringham",
    "Holt",
    "Loddon",
]
FIRST_NAMES = [
    "Amira", "Ben", "Chloe", "Dev", "Ellen", "Femi", "Grace", "Harry", "Isla", "Jonah",
    "Kiran", "Leah", "Marek", "Nadia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tara",
    "Usha", "Vik", "Wendy", "Xander", "Yasmin", "Zac",
]  # fmt: skip
SURNAMES = [
    "Ashby", "Brannigan", "Collard", "Dunmore", "Everitt", "Fenwick", "Gedge", "Howlett",
    "Ingham", "Jessop", "Kettle", "Lusher", "Marjoram", "Nockolds", "Oxborough", "Pegg",
    "Quantrill", "Rix", "Shreeve", "Thirtle", "Utting", "Vincent", "Wegg", "Youngs",
]  # fmt: skip

# Each concern: the share of children in need it is recorded for (before the family's
# adversity factor), the youngest and oldest age (days) it applies to, the mean number of
# records of it on a case, and the agencies that record it. The first four are the DfE's
# factors at the end of assessment; the rest are argued in docs/scoring.md.
CONCERNS: dict[str, tuple[float, int, int, float, tuple[str, ...]]] = {
    "domestic_abuse": (0.50, 0, 6569, 1.8, ("police", "health_visiting", "social_care", "school")),
    "parental_mental_health": (0.30, 0, 6569, 1.4, ("gp", "health_visiting", "social_care")),
    "substance_misuse": (0.24, 0, 6569, 1.5, ("police", "probation", "gp", "social_care")),
    "previous_injury": (0.05, 0, 6569, 1.1, ("hospital", "gp", "health_visiting")),
    "parental_conflict": (
        0.18,
        0,
        6569,
        1.4,
        ("health_visiting", "early_help", "social_care", "housing"),
    ),
    "police_callout": (0.15, 0, 6569, 2.0, ("police",)),
    "missed_appointments": (0.15, 0, 6569, 1.6, ("health_visiting", "gp", "hospital")),
    "new_partner": (0.08, 0, 6569, 1.0, ("social_care", "early_help", "housing", "school")),
    "parental_ace": (0.12, 0, 6569, 1.0, ("social_care", "early_help")),
    "young_parent": (0.10, 0, 1094, 1.0, ("midwifery", "social_care")),
    "stressful_birth": (0.12, 0, 729, 1.0, ("midwifery", "hospital")),
    "feeding_difficulties": (0.15, 0, 364, 1.2, ("health_visiting", "midwifery", "gp")),
    "excessive_crying": (0.10, 0, 364, 1.2, ("health_visiting", "gp")),
}
# How unevenly concerns fall on families: each family's shares are multiplied by a log-normal
# factor with mean 1 and this spread, so a family with one concern more often has others.
ADVERSITY_SIGMA = 0.6
# What partners' systems send through the API (docs/api.md). The demo has no partner systems
# and does not draw these.
PARTNER_ONLY = frozenset(
    ("unscheduled_care", "unscheduled_care_injury", "ppn_high", "ppn_medium", "ppn_low",
     "ppn_escalating")
)  # fmt: skip
# Indicators only an authority's own files record (the Annex A import's repeat plan).
IMPORTED_ONLY = {"repeat_child_protection_plan"}
# The review's features, for the few families the demo gives its pattern.
PATTERN_INDICATORS = (
    "parental_conflict",
    "domestic_abuse",
    "parental_ace",
    "stressful_birth",
    "feeding_difficulties",
    "substance_misuse",
)
# Children in need at 31 March 2020 (the DfE's Characteristics of children in need, table A4):
# 53.8% male, 44.2% female; the rest unknown, indeterminate or unborn (sex not known).
SEX_SHARES = (("male", 0.538), ("female", 0.442), ("not_known", 0.020))
# The same table's major ethnic groups: White 68.9%, Mixed 8.5%, Asian or Asian British 7.1%,
# Black or Black British 8.3%, other 3.3%, refused or not yet obtained 4.0%. How each group
# divides among the DfE's codes is argued, not published in that table.
ETHNICITY_SHARES = (
    (0.689, (("WBRI", 0.84), ("WOTH", 0.12), ("WIRI", 0.01), ("WIRT", 0.01), ("WROM", 0.02))),
    (0.085, (("MWBC", 0.30), ("MWBA", 0.15), ("MWAS", 0.20), ("MOTH", 0.35))),
    (0.071, (("AIND", 0.20), ("APKN", 0.35), ("ABAN", 0.15), ("AOTH", 0.30))),
    (0.083, (("BAFR", 0.55), ("BCRB", 0.25), ("BOTH", 0.20))),
    (0.033, (("CHNE", 0.10), ("OOTH", 0.90))),
    (0.040, (("REFU", 0.30), ("NOBT", 0.70))),
)
# Table B2: 12.6% of children in need at 31 March 2020 had a disability recorded.
DISABILITY_SHARE = 0.126
NOTES = (
    "Shared at the multi-agency meeting",
    "From an agency referral",
    "Seen on a home visit",
    "Raised at a health appointment",
    "Reported by a neighbour to the agency",
)
VISIT_EVERY_DAYS = (10, 14, 14, 20, 28, 28, 42)
TIMES = tuple(f"T{h:02d}:{m:02d}:00.000000+00:00" for h in range(8, 18) for m in (5, 20, 35, 50))


class DemoRefused(Exception):
    """The database is not empty enough for demo data; the message says why."""


@dataclass
class DemoSummary:
    teams: int = 0
    staff: int = 0
    cases: int = 0
    observations: int = 0
    enquiries: int = 0
    unallocated: int = 0
    pattern_cases: int = 0
    rescored: int | None = None
    sign_in: dict[str, str] = field(default_factory=lambda: dict(SIGN_IN))

    def text(self) -> str:
        text = (
            f"Demo data: {self.teams} teams, {self.staff} staff, {self.cases} cases "
            f"({self.unallocated} unallocated, {self.pattern_cases} with the review's pattern), "
            f"{self.observations} observations, {self.enquiries} enquiries."
        )
        if self.rescored is not None:
            text += f" Scored {self.rescored} cases."
        return text


def count_cases(db: sqlite_utils.Database) -> int:
    return sql.count_cases(db)


def load_demo(
    db: sqlite_utils.Database,
    settings: dict[str, Any],
    *,
    cases: int,
    seed: int,
    as_of: date,
    now: datetime,
    password_hash: str,
    rescore: bool = True,
    history_days: int = 0,
) -> DemoSummary:
    """Fill an empty database with ``cases`` invented cases, all staff sharing
    ``password_hash``. Raises DemoRefused if there are cases already (or a demo email is
    taken). After the commit, rescores everything when the scoring module is installed: first
    as of each of the ``history_days`` days before ``as_of`` (so trends, sparklines and days
    in the red band have a history, as after a month of nightly rescores), then as of
    ``as_of``."""
    if cases < 20:
        raise ValueError("the demo needs at least 20 cases")
    rng = random.Random(seed)
    plan = _Plan(rng, cases)
    generator = _Generator(rng, settings, as_of, now)
    # Its own generator: drawing characteristics changes nothing else the seed gives.
    described = _Characteristics(random.Random(f"{seed}:characteristics"), stamp(now))
    summary = DemoSummary(teams=len(plan.teams), cases=cases)
    with sql.bulk_load_cache(db), write_transaction(db):
        if count_cases(db):
            raise DemoRefused("the database already has cases; demo data needs an empty one")
        team_ids = _insert_teams(db, plan.teams)
        staff_ids = _insert_staff(db, plan.staff, team_ids, password_hash)
        summary.staff = len(plan.staff)
        for chunk in plan.chunks(CHUNK_CASES):
            case_rows, observation_rows, enquiry_rows = [], [], []
            characteristic_rows = [described.draw(case_id) for case_id, _ in chunk]
            for case_id, slot in chunk:
                worker_index, team_index, kind = slot
                worker_id = staff_ids[worker_index] if worker_index is not None else None
                generator.case(
                    case_id,
                    team_ids[team_index],
                    worker_id,
                    kind,
                    case_rows,
                    observation_rows,
                    enquiry_rows,
                )
            sql.insert_demo_rows(db, case_rows, observation_rows, enquiry_rows)
            kept.insert_drawn(db, characteristic_rows)
            summary.observations += len(observation_rows)
            summary.enquiries += len(enquiry_rows)
        summary.unallocated = plan.unallocated
        summary.pattern_cases = plan.pattern
        detail = {"seed": seed, "cases": cases, "as_of": as_of.isoformat()}
        detail |= {"observations": summary.observations, "enquiries": summary.enquiries}
        audit.record(db, at=now, action="demo", detail=json.dumps(detail))
    if rescore:
        for back in range(history_days, 0, -1):
            rescoring.rescore_all(
                db, settings, as_of=as_of - timedelta(days=back), now=now - timedelta(days=back)
            )
        summary.rescored = rescoring.rescore_all(db, settings, as_of=as_of, now=now)
    return summary


def _insert_teams(db: sqlite_utils.Database, names: list[str]) -> list[int]:
    return sql.team_ids_for(db, names)


def _insert_staff(
    db: sqlite_utils.Database,
    staff: list[tuple[str, str, str, int | None]],
    team_ids: list[int],
    password_hash: str,
) -> list[int]:
    taken = sql.staff_emails(db)
    clash = sorted(taken.intersection(email for email, _, _, _ in staff))
    if clash:
        raise DemoRefused(f"demo staff email already in use: {', '.join(clash[:5])}")
    ids = sql.insert_demo_staff(
        db,
        [
            {
                "email": email,
                "name": name,
                "role": role,
                "team_id": team_ids[team] if team is not None else None,
                "password_hash": password_hash,
            }
            for email, name, role, team in staff
        ],
    )
    return [ids[email] for email, _, _, _ in staff]


class _Plan:
    """Who is who: teams, staff (index 0 is the admin) and one slot per case
    (worker index or None, team index, kind)."""

    def __init__(self, rng: random.Random, cases: int) -> None:
        closed = round(cases * CLOSED_SHARE)
        self.unallocated = max(2, round(cases * UNALLOCATED_SHARE))
        allocated = cases - closed - self.unallocated
        caseloads = _caseloads(rng, allocated)
        workers = len(caseloads)
        team_count = max(1, min(workers, max(3, round(workers / WORKERS_PER_TEAM))))
        self.teams = [
            TEAM_NAMES[i % len(TEAM_NAMES)]
            + (f" {i // len(TEAM_NAMES) + 1}" if i >= len(TEAM_NAMES) else "")
            for i in range(team_count)
        ]
        names = _names(rng)
        self.staff: list[tuple[str, str, str, int | None]] = [
            (SIGN_IN["admin"], next(names), "admin", None)
        ]
        for team in range(team_count):
            email = SIGN_IN["manager"] if team == 0 else None
            self.staff.append(_person(names, email, "manager", team, len(self.staff)))
        slots: list[tuple[int | None, int, str]] = []
        worker_staff_indexes = []
        for w, caseload in enumerate(caseloads):
            team = w % team_count
            email = SIGN_IN["worker"] if w == 0 else None
            worker_staff_indexes.append(len(self.staff))
            self.staff.append(_person(names, email, "worker", team, len(self.staff)))
            slots += [(len(self.staff) - 1, team, "open")] * caseload
        # A few of the allocated cases carry the review's pattern, one of them on the demo
        # worker's caseload (the first slots), so signing in as them shows it.
        self.pattern = max(3, cases // 2000)
        chosen = {rng.randrange(caseloads[0])}
        while len(chosen) < self.pattern:
            chosen.add(rng.randrange(len(slots)))
        for i in sorted(chosen):
            slots[i] = (slots[i][0], slots[i][1], "pattern")
        slots += [(None, rng.randrange(team_count), "open") for _ in range(self.unallocated)]
        for _ in range(closed):
            worker = rng.choice(worker_staff_indexes)
            slots.append((worker, self.staff[worker][3], "closed"))
        rng.shuffle(slots)
        self.slots = slots
        self.staff.append((SIGN_IN["partnership"], PARTNERSHIP_NAME, "partnership", None))

    def chunks(self, size: int) -> Iterator[list[tuple[int, tuple[int | None, int, str]]]]:
        for start in range(0, len(self.slots), size):
            yield list(enumerate(self.slots[start : start + size], start=start + 1))


def _caseloads(rng: random.Random, allocated: int) -> list[int]:
    """Open caseload per worker: about CASELOAD_MEAN, within CASELOAD_MIN to CASELOAD_MAX,
    summing to ``allocated``."""
    workers = max(1, round(allocated / CASELOAD_MEAN))
    while workers > 1 and workers * CASELOAD_MIN > allocated:
        workers -= 1
    while workers * CASELOAD_MAX < allocated:
        workers += 1
    loads = [
        min(CASELOAD_MAX, max(CASELOAD_MIN, round(rng.gauss(CASELOAD_MEAN, CASELOAD_SD))))
        for _ in range(workers)
    ]
    difference = allocated - sum(loads)
    while difference:
        i = rng.randrange(workers)
        if difference > 0 and loads[i] < CASELOAD_MAX:
            loads[i] += 1
            difference -= 1
        elif difference < 0 and loads[i] > CASELOAD_MIN:
            loads[i] -= 1
            difference += 1
    return loads


def _names(rng: random.Random) -> Iterator[str]:
    while True:
        yield f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _person(
    names: Iterator[str], email: str | None, role: str, team: int, number: int
) -> tuple[str, str, str, int | None]:
    """An invented staff member; ``number`` keeps the made-up email unique."""
    name = next(names)
    if email is None:
        first, last = name.lower().split(" ", 1)
        email = f"{first}.{last}.{number}@{DEMO_DOMAIN}"
    return (email, name, role, team)


class _Characteristics:
    """Each case's sex, ethnicity and disability at the DfE's shares, from an ``rng`` of its
    own (so the rest of the demo is as it would be without them)."""

    def __init__(self, rng: random.Random, now_text: str) -> None:
        self.rng = rng
        self.now_text = now_text

    def _pick(self, shares):
        r = self.rng.random()
        for choice, share in shares:
            if r < share:
                return choice
            r -= share
        return shares[-1][0]

    def draw(self, case_id: int) -> tuple:
        sex = self._pick(SEX_SHARES)
        ethnicity = self._pick(tuple((codes, share) for share, codes in ETHNICITY_SHARES))
        disability = "yes" if self.rng.random() < DISABILITY_SHARE else "no"
        return (case_id, sex, self._pick(ethnicity), disability, "demo", self.now_text)


class _Generator:
    """Makes one case's rows at a time, from the shared seeded ``rng``."""

    def __init__(
        self, rng: random.Random, settings: dict[str, Any], as_of: date, now: datetime
    ) -> None:
        self.rng = rng
        catalogue = settings["scoring"]["indicators"]
        allowed = set(settings["import"]["sources"])

        def sources(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(s for s in names if s in allowed) or ("other",)

        self.concerns = {
            code: (share, youngest, oldest, mean, sources(agencies))
            for code, (share, youngest, oldest, mean, agencies) in CONCERNS.items()
            if code in catalogue
        }
        # Codes a local authority added to the catalogue turn up now and then too.
        for code in catalogue:
            if code not in CONCERNS and code not in IMPORTED_ONLY | PARTNER_ONLY:
                self.concerns[code] = (0.03, 0, 6569, 1.0, sources(("other",)))
        self.pattern_codes = [c for c in PATTERN_INDICATORS if c in catalogue]
        self.sources = {code: spec[4] for code, spec in self.concerns.items()}
        # Day n back from as_of, as ISO text: the generator works in whole days back.
        self.day = [(as_of - timedelta(days=n)).isoformat() for n in range(20 * 366)]
        self.now_text = stamp(now)
        self.adversity_mu = -(ADVERSITY_SIGMA**2) / 2  # a log-normal factor with mean 1
        self.letter_pairs = [a + b for a in "ABCDEFGHJKLMNPRSTW" for b in "ABCDEFGHJKLMNPRSTW"]
        self.observation_number = 0

    def recorded_at(self, back: int) -> str:
        """When an observation made ``back`` days ago reached the system: within 3 days."""
        back -= self.rng.randrange(4)
        if back <= 0:
            return self.now_text
        return self.day[back] + self.rng.choice(TIMES)

    def _between(self, bands: tuple[tuple[float, int, int], ...]) -> int:
        r = self.rng.random()
        for share, low, high in bands:
            if r < share:
                return self.rng.randint(low, high)
            r -= share
        _, low, high = bands[-1]
        return self.rng.randint(low, high)

    def case(
        self,
        case_id: int,
        team_id: int,
        worker_id: int | None,
        kind: str,
        case_rows: list,
        observation_rows: list,
        enquiry_rows: list,
    ) -> None:
        rng = self.rng
        day = self.day
        pattern = kind == "pattern"
        if pattern:  # the review's children were three months to three years old
            age = rng.randint(90, 1400)
            opened = rng.randint(60, min(age, 240))  # open for months, as the review's were
        else:
            age = self._between(AGE_BANDS)
            # Nothing opens more than a pregnancy before birth (pre-birth assessments do).
            opened = min(self._between(OPEN_FOR), age + 200)
        closed_back = rng.randint(0, opened) if kind == "closed" else None
        every = rng.choice(VISIT_EVERY_DAYS)
        last_visit_back: int | None
        floor = closed_back or 0
        if opened - floor < 3 and rng.random() < 0.5:
            last_visit_back = None
        elif pattern or rng.random() < 0.85:
            last_visit_back = rng.randint(floor, max(floor, min(opened, floor + every)))
        else:  # overdue
            last_visit_back = min(opened, floor + rng.randint(every + 1, every * 3))
        case_rows.append(
            (
                case_id,
                f"C{case_id:07d}",
                rng.choice(self.letter_pairs),
                day[age],
                team_id,
                worker_id,
                day[opened],
                day[closed_back] if closed_back is not None else None,
                every,
                day[last_visit_back] if last_visit_back is not None else None,
                "closed" if closed_back is not None else "open",
            )
        )
        if pattern:
            self._pattern(case_id, age, worker_id, observation_rows)
        else:
            self._concerns(case_id, age, opened, worker_id, observation_rows)
            self._enquiries(case_id, opened, worker_id, enquiry_rows)

    def _observation(
        self, rows: list, case_id: int, code: str, back: int, worker_id: int | None, current: bool
    ) -> None:
        rng = self.rng
        self.observation_number += 1
        r = rng.random()
        status = "current"
        if not current and back >= 180:  # older concerns are sometimes closed off
            s = rng.random()
            status = "resolved" if s < 0.2 else "refuted" if s < 0.23 else "current"
        rows.append(
            (
                f"DEMO-{self.observation_number:09d}",
                case_id,
                code,
                self.day[back],
                rng.choice(self.sources[code]),
                worker_id if worker_id is not None and r < 0.4 else None,
                status,
                NOTES[int(r * 25)] if r < 0.2 else "",
                self.recorded_at(back),
            )
        )

    def _concerns(
        self, case_id: int, age: int, opened: int, worker_id: int | None, rows: list
    ) -> None:
        """The family's concerns, each with the DfE's share scaled by the family's adversity,
        recorded once or a few times between a little before the case opened and today."""
        rng = self.rng
        adversity = rng.lognormvariate(self.adversity_mu, ADVERSITY_SIGMA)
        # Records reach back a little before the case opened (the referral's history), never
        # more than a pregnancy before birth.
        oldest = min(HISTORY_DAYS - 1, opened + 60, age + 200)
        for code, (share, youngest, eldest, mean, _) in self.concerns.items():
            if not youngest <= age <= eldest or rng.random() >= min(0.95, share * adversity):
                continue
            if code == "stressful_birth":
                if age > oldest:  # the birth came before the case's records
                    continue
                self._observation(
                    rows, case_id, code, max(0, age - rng.randint(0, 5)), worker_id, False
                )
                continue
            low = 0
            high = oldest
            if code in ("feeding_difficulties", "excessive_crying"):  # the early months
                high = min(oldest, max(0, age - 7))
                low = max(0, age - 300)
            if low > high:
                continue
            # 1 record, and more at the concern's mean (a geometric count of repeats).
            count = 1
            while count < 12 and rng.random() < 1 - 1 / mean:
                count += 1
            for _ in range(count):
                self._observation(rows, case_id, code, rng.randint(low, high), worker_id, False)

    def _pattern(self, case_id: int, age: int, worker_id: int | None, rows: list) -> None:
        """The review's pattern as real records stand before an injury: four or more of its
        concerns, each seen one to eight months ago (the birth when it happened), by more than
        one agency, and no enquiry asked."""
        rng = self.rng
        codes = rng.sample(self.pattern_codes, k=min(len(self.pattern_codes), rng.randint(4, 5)))
        if "parental_conflict" in self.pattern_codes and "parental_conflict" not in codes:
            codes[0] = "parental_conflict"
        for code in codes:
            if code == "stressful_birth":
                back = max(0, age - rng.randint(0, 3))
            elif code == "feeding_difficulties":
                back = max(30, age - rng.randint(10, 90))
            else:
                back = rng.randint(30, 240)
            self._observation(rows, case_id, code, back, worker_id, True)

    def _enquiries(self, case_id: int, opened: int, worker_id: int | None, rows: list) -> None:
        rng = self.rng
        asked: set[tuple[str, int]] = set()
        topics = []
        if rng.random() < 0.8:
            topics.append("domestic_abuse")
            if rng.random() < 0.2:  # asked again later
                topics.append("domestic_abuse")
        if rng.random() < 0.55:
            topics.append("parental_childhood")
        for topic in topics:
            # Mostly within the first weeks after the case opened.
            back = max(0, opened - rng.randint(0, 45))
            if (topic, back) in asked:
                continue
            asked.add((topic, back))
            r = rng.random()
            outcome = "not_disclosed" if r < 0.65 else "disclosed" if r < 0.93 else "unable_to_ask"
            rows.append(
                (
                    case_id,
                    topic,
                    self.day[back],
                    outcome,
                    worker_id if r < 0.6 else None,
                    self.recorded_at(back),
                )
            )
