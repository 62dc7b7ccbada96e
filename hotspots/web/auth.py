"""Who is signed in, what their role lets them see, and the rule for seeing a case.

- a worker sees their own caseload: cases where ``cases.worker_id`` is them;
- a manager sees their team's cases: ``cases.team_id`` is their team;
- an admin sees every case;
- a member of the safeguarding partnership (``partnership``) sees no case and no caseload:
  only the partnership's pages (``may_open``), where the serious incidents are.

Any other case answers 404, exactly as a case that does not exist, and the refusal is
written to the audit log. A page a role may not open answers 403, audited as well.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils
from flask import abort
from flask_login import UserMixin, current_user

from hotspots.base import params
from hotspots.services import audit
from hotspots.services.passwords import hash_password, verify_password
from hotspots.storage import cases, staff

ROLES = ("worker", "manager", "admin", "partnership")

# The only pages a partnership member may open, by blueprint or endpoint: the partnership's
# own, help, their sign-in and password (and the API, which answers to partners' tokens, not
# to people). Everything else, every case, caseload and team page included, is refused; a
# page added later is refused until it is named here.
PARTNERSHIP_BLUEPRINTS = frozenset({"partnership", "help", "auth", "api"})
PARTNERSHIP_ENDPOINTS = frozenset({"home", "static", "people.set_password"})

# Checked when no account has the email, so a wrong email takes as long as a wrong password
# and the answer does not reveal which emails exist.
_DUMMY_HASH = hash_password("not-a-real-password")


@dataclass(frozen=True)
class User(UserMixin):
    """A member of staff who can sign in."""

    id: int
    email: str
    name: str
    role: str
    team_id: int | None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_partnership(self) -> bool:
        return self.role == "partnership"


def _user(row: Mapping[str, Any] | None) -> User | None:
    if row is None:
        return None
    return User(row["id"], row["email"], row["name"], row["role"], row["team_id"])


def load_user(db: sqlite_utils.Database, user_id: str) -> User | None:
    """The staff member with this id (flask-login's user loader), or None."""
    staff_id = params.parse_id(user_id)
    if staff_id is None:
        return None
    return _user(staff.enabled(db, staff_id))


def authenticate(db: sqlite_utils.Database, email: str, password: str) -> User | None:
    """The staff member whose email and password these are, or None; the same work is done
    whether or not the email exists."""
    row = staff.for_sign_in(db, email.strip())
    password_hash = row["password_hash"] if row else None
    ok = verify_password(password_hash or _DUMMY_HASH, password)
    if row is None or not password_hash or not ok or row.get("disabled_at"):
        return None
    return _user(row)


def staff_for_email(db: sqlite_utils.Database, email: str) -> User | None:
    """The member of staff with this email (however capitalised), or None."""
    return _user(staff.for_sign_in(db, email.strip()))


def can_see_case(user: User, case: Mapping[str, Any]) -> bool:
    """The case visibility rule (see the module docstring)."""
    if user.role == "admin":
        return True
    if user.role == "manager":
        return user.team_id is not None and case["team_id"] == user.team_id
    if user.role == "partnership":
        return False
    return case["worker_id"] == user.id


def can_see_caseload_of(user: User, worker: User) -> bool:
    """Whose caseload page a user may open: their own, their team members' (managers), any
    (admins); never for the partnership, who hold none and see none."""
    if user.role == "partnership":
        return False
    if user.id == worker.id or user.role == "admin":
        return True
    return user.role == "manager" and user.team_id is not None and worker.team_id == user.team_id


def case_for_user(
    db: sqlite_utils.Database, user: User, case_ref: str, *, now: datetime
) -> dict[str, Any]:
    """The case with this reference if ``user`` may see it; otherwise abort with 404 after
    writing a ``refused_case`` audit row (a case that does not exist is refused the same
    way, so a 404 never tells anyone whether a reference exists)."""
    case = cases.find(db, case_ref)
    if case is None or not can_see_case(user, case):
        audit.record(
            db,
            at=now,
            action="refused_case",
            actor=user,
            case_ref=case_ref[:64],
            detail="no such case" if case is None else "not on this user's caseload or team",
        )
        abort(404)
    return case


def may_open(user: User, endpoint: str | None) -> bool:
    """Whether ``user``'s role lets them open the page ``endpoint`` at all (the views'
    own checks come after): every role but the partnership's may try any page."""
    if user.role != "partnership" or endpoint is None:
        return True
    blueprint = endpoint.rpartition(".")[0]
    return endpoint in PARTNERSHIP_ENDPOINTS or blueprint in PARTNERSHIP_BLUEPRINTS


def role_required(*roles: str) -> Callable:
    """A view decorator: the signed-in user must have one of ``roles`` (403 otherwise).
    Use beneath ``login_required``."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
