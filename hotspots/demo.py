"""Demo data: a deterministic, invented local authority to try the service on.

Teams (Norfolk place names), each with a manager and workers carrying 15 to 30 open cases;
one admin; two years of indicator observations from several agencies, skewed so most cases
have a few and some have many; enquiries on most cases; some cases unallocated or closed;
and a few cases with the thematic review's pattern (a child of three months to three years;
four of parental conflict, domestic abuse, a parent's adverse childhood, a stressful birth,
feeding difficulties and substance misuse, each seen one to eight months ago as real records
stand; no enquiries asked).

Everything comes from ``random.Random(seed)`` and ``as_of``: the same seed, size and day give
the same rows. Rows are generated as plain tuples and inserted with executemany in one
transaction, so 400,000 cases (about 8 million observations) take minutes.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from math import log
from typing import Any

import sqlite_utils

from hotspots import audit, passwords, rescoring
from hotspots.dates import stamp
from hotspots.importer import bulk_load_cache
from hotspots.storage import imports as sql
from hotspots.storage import write_transaction

DEFAULT_CASES = 2000
# Days of score history `hotspots demo` makes by default (a month of nightly rescores).
DEFAULT_HISTORY_DAYS = 30
DEFAULT_SEED = 2020
# Published (README, `hotspots demo`): hotspots.passwords refuses it as anyone's password, and
# the demo seeds its accounts' hashes directly.
DEMO_PASSWORD = passwords.DEMO_PASSWORD
DEMO_DOMAIN = "example.org"  # reserved for examples (RFC 2606): no real mailbox
SIGN_IN = {
    "manager": f"manager@{DEMO_DOMAIN}",
    "worker": f"worker@{DEMO_DOMAIN}",
    "admin": f"admin@{DEMO_DOMAIN}",
}

CASELOAD_MIN, CASELOAD_MAX = 15, 30
WORKERS_PER_TEAM = 8
CLOSED_SHARE = 0.04
UNALLOCATED_SHARE = 0.03
# Observations per case: log-normal, median about 11, mean about 20, a long tail.
OBSERVATIONS_MEAN = 20.5
OBSERVATIONS_SIGMA = 1.1
OBSERVATIONS_MAX = 250
HISTORY_DAYS = 730  # observations reach back two years
CHUNK_CASES = 5000  # cases generated and inserted per executemany round

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

# Repeatable indicators: how common each is across cases (relative) and who reports it.
RECURRING = {
    "missed_appointments": (14, ("health_visiting", "gp", "hospital")),
    "parental_conflict": (9, ("health_visiting", "early_help", "social_care", "housing")),
    "domestic_abuse": (10, ("police", "health_visiting", "social_care", "midwifery")),
    "police_callout": (8, ("police",)),
    "parental_mental_health": (8, ("gp", "health_visiting", "midwifery")),
    "substance_misuse": (7, ("police", "probation", "gp", "social_care")),
    "new_partner": (5, ("social_care", "early_help", "housing", "school")),
    "excessive_crying": (4, ("health_visiting", "gp")),
    "previous_injury": (1, ("hospital", "gp", "health_visiting")),
}
# What partners' systems send through the API (docs/api.md). The demo has no partner systems
# and does not draw these: at the rate it gives a council's own codes, the six of them pushed
# the red share past its limit (docs/scoring.md, "Partners' indicators").
PARTNER_ONLY = frozenset(
    ("unscheduled_care", "unscheduled_care_injury", "ppn_high", "ppn_medium", "ppn_low",
     "ppn_escalating")
)  # fmt: skip
# Indicators recorded once per case at most: probability, sources.
ONCE = {
    "parental_ace": (0.15, ("social_care", "early_help")),
    "young_parent": (0.08, ("midwifery", "social_care")),
}
# Indicators only an authority's own files record (the Annex A import's repeat plan): the
# demo leaves them out, so its cases and the calibration on them stay as they were.
IMPORTED_ONLY = {"repeat_child_protection_plan"}
BIRTH_SOURCES = ("midwifery", "hospital")  # stressful_birth
FEEDING_SOURCES = ("health_visiting", "midwifery", "gp")  # feeding_difficulties
PATTERN_INDICATORS = (
    "parental_conflict",
    "domestic_abuse",
    "parental_ace",
    "stressful_birth",
    "feeding_difficulties",
    "substance_misuse",
)
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
    return db.execute(sql.COUNT_CASES_SQL).fetchone()[0]


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
    summary = DemoSummary(teams=len(plan.teams), cases=cases)
    with bulk_load_cache(db), write_transaction(db):
        if count_cases(db):
            raise DemoRefused("the database already has cases; demo data needs an empty one")
        team_ids = _insert_teams(db, plan.teams)
        staff_ids = _insert_staff(db, plan.staff, team_ids, password_hash)
        summary.staff = len(plan.staff)
        conn = db.conn
        for chunk in plan.chunks(CHUNK_CASES):
            case_rows, observation_rows, enquiry_rows = [], [], []
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
            conn.executemany(sql.INSERT_DEMO_CASE_SQL, case_rows)
            conn.executemany(sql.INSERT_DEMO_OBSERVATION_SQL, observation_rows)
            conn.executemany(sql.INSERT_DEMO_ENQUIRY_SQL, enquiry_rows)
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
    ids = []
    for name in names:
        db.execute(sql.INSERT_TEAM_IF_MISSING_SQL, {"name": name})
        ids.append(db.execute(sql.SELECT_TEAM_ID_BY_NAME_SQL, {"name": name}).fetchone()[0])
    return ids


def _insert_staff(
    db: sqlite_utils.Database,
    staff: list[tuple[str, str, str, int | None]],
    team_ids: list[int],
    password_hash: str,
) -> list[int]:
    taken = {row["email"] for row in db.query(sql.SELECT_STAFF_EMAILS_SQL)}
    clash = sorted(taken.intersection(email for email, _, _, _ in staff))
    if clash:
        raise DemoRefused(f"demo staff email already in use: {', '.join(clash[:5])}")
    db.conn.executemany(
        sql.INSERT_DEMO_STAFF_SQL,
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
    ids = {row["email"]: row["id"] for row in db.query(sql.SELECT_STAFF_IDS_SQL)}
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

    def chunks(self, size: int) -> Iterator[list[tuple[int, tuple[int | None, int, str]]]]:
        for start in range(0, len(self.slots), size):
            yield list(enumerate(self.slots[start : start + size], start=start + 1))


def _caseloads(rng: random.Random, allocated: int) -> list[int]:
    """Open caseload per worker, each within 15-30, summing to ``allocated``."""
    workers = max(1, round(allocated / ((CASELOAD_MIN + CASELOAD_MAX) / 2)))
    while workers > 1 and workers * CASELOAD_MIN > allocated:
        workers -= 1
    while workers * CASELOAD_MAX < allocated:
        workers += 1
    loads = [rng.randint(CASELOAD_MIN, CASELOAD_MAX) for _ in range(workers)]
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


class _Generator:
    """Makes one case's rows at a time, from the shared seeded ``rng``."""

    def __init__(
        self, rng: random.Random, settings: dict[str, Any], as_of: date, now: datetime
    ) -> None:
        self.rng = rng
        catalogue = settings["scoring"]["indicators"]
        allowed_sources = set(settings["import"]["sources"])

        def sources(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(s for s in names if s in allowed_sources) or ("other",)

        recurring = {
            code: (w, sources(s)) for code, (w, s) in RECURRING.items() if code in catalogue
        }
        # Codes a local authority added to the catalogue turn up now and then too.
        special = set(RECURRING) | set(ONCE) | {"stressful_birth", "feeding_difficulties"}
        special |= IMPORTED_ONLY | PARTNER_ONLY
        for code in catalogue:
            if code not in special:
                recurring[code] = (2, ("other",) if "other" in allowed_sources else sources(()))
        self.recurring_codes = list(recurring)
        self.recurring_weights = [w for w, _ in recurring.values()]
        self.sources = {code: s for code, (_, s) in recurring.items()}
        self.once = {code: (p, sources(s)) for code, (p, s) in ONCE.items() if code in catalogue}
        self.birth = "stressful_birth" in catalogue
        self.feeding = "feeding_difficulties" in catalogue
        self.sources["stressful_birth"] = sources(BIRTH_SOURCES)
        self.sources["feeding_difficulties"] = sources(FEEDING_SOURCES)
        for code, (_, s) in self.once.items():
            self.sources[code] = s
        self.pattern_codes = [c for c in PATTERN_INDICATORS if c in catalogue]
        # Day n back from as_of, as ISO text: the generator works in whole days back.
        self.day = [(as_of - timedelta(days=n)).isoformat() for n in range(20 * 366)]
        self.now_text = stamp(now)
        self.mu = log(OBSERVATIONS_MEAN) - OBSERVATIONS_SIGMA**2 / 2
        self.letter_pairs = [a + b for a in "ABCDEFGHJKLMNPRSTW" for b in "ABCDEFGHJKLMNPRSTW"]
        self.observation_number = 0

    def recorded_at(self, back: int) -> str:
        """When an observation made ``back`` days ago reached the system: within 3 days."""
        back -= self.rng.randrange(4)
        if back <= 0:
            return self.now_text
        return self.day[back] + self.rng.choice(TIMES)

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
        # Age in days: mostly babies and toddlers, some older children.
        r = rng.random()
        if pattern:  # the review's children were three months to three years old
            age = rng.randint(90, 1140)
        elif r < 0.40:
            age = rng.randint(0, 364)
        elif r < 0.70:
            age = rng.randint(365, 1094)
        elif r < 0.84:
            age = rng.randint(1095, 1825)
        else:
            age = rng.randint(1826, 6500)
        # Opened recently more often than long ago; some before birth (pre-birth assessment).
        if pattern:  # open for months, as the review's cases were
            opened = rng.randint(60, min(age, 300))
        else:
            opened = int(rng.triangular(0, min(age + 120, 1000), 0))
        closed_back = rng.randint(0, opened) if kind == "closed" else None
        every = rng.choice(VISIT_EVERY_DAYS)
        last_visit_back: int | None
        floor = closed_back or 0
        if opened - floor < 3 and rng.random() < 0.5:
            last_visit_back = None
        elif rng.random() < 0.8:
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
        self._observations(case_id, age, worker_id, pattern, observation_rows)
        if not pattern:
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
            status = "resolved" if s < 0.25 else "refuted" if s < 0.28 else "current"
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

    def _observations(
        self, case_id: int, age: int, worker_id: int | None, pattern: bool, rows: list
    ) -> None:
        rng = self.rng
        add = self._observation
        # Nothing is observed about a child more than ~9 months before birth.
        oldest = min(HISTORY_DAYS - 1, age + 270)
        if pattern:
            # As real records stand before an injury: most of the pattern, each concern seen
            # one to eight months ago (the birth when it happened), never all of it fresh.
            # (The birth and the early months of a child older than the demo's history fall
            # before it, so they are not among an older child's concerns.)
            early = ("stressful_birth", "feeding_difficulties")
            codes = [c for c in self.pattern_codes if age < HISTORY_DAYS - 120 or c not in early]
            codes = rng.sample(codes, k=min(len(codes), 4))
            for code in codes:
                if code == "stressful_birth":
                    back = max(0, age - rng.randint(0, 3))
                elif code == "feeding_difficulties":
                    back = max(30, age - rng.randint(10, 90))
                else:
                    back = rng.randint(30, 240)
                add(rows, case_id, code, back, worker_id, True)
        count = min(OBSERVATIONS_MAX, int(rng.lognormvariate(self.mu, OBSERVATIONS_SIGMA)))
        if pattern:
            count = min(count, 6)
        for code, (p, _) in self.once.items():
            if count and rng.random() < p and not (pattern and code in self.pattern_codes):
                add(rows, case_id, code, rng.randint(0, oldest), worker_id, False)
                count -= 1
        if not pattern and age + 10 < HISTORY_DAYS:
            if self.birth and count and rng.random() < 0.12:
                add(
                    rows,
                    case_id,
                    "stressful_birth",
                    max(0, age - rng.randint(0, 5)),
                    worker_id,
                    False,
                )
                count -= 1
            if self.feeding and count and age < 400 and rng.random() < 0.15:
                add(
                    rows,
                    case_id,
                    "feeding_difficulties",
                    max(0, age - rng.randint(7, 120)),
                    worker_id,
                    False,
                )
                count -= 1
        if count <= 0 or not self.recurring_codes:
            return
        # A case's history keeps coming back to a few concerns: more of them the busier it is.
        concerns = list(
            set(rng.choices(self.recurring_codes, self.recurring_weights, k=1 + min(4, count // 8)))
        )
        concerns.sort(key=self.recurring_codes.index)  # set order is not seeded
        choice, randint = rng.choice, rng.randint
        for _ in range(count):
            add(rows, case_id, choice(concerns), randint(0, oldest), worker_id, False)

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
            outcome = "not_disclosed" if r < 0.65 else "disclosed" if r < 0.9 else "unable_to_ask"
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
