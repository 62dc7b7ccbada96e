"""SQL for sign-in security: server-side sessions, sign-in throttling and leavers."""

# --- sessions --------------------------------------------------------------------------

INSERT_SESSION_SQL = """
INSERT INTO sessions (token_hash, staff_id, started_at, expires_at)
VALUES (:token_hash, :staff_id, :started_at, :expires_at)
"""

# The live session with this token, and its member of staff (never a disabled one).
LIVE_SESSION_SQL = """
SELECT se.id, se.staff_id, se.started_at, se.expires_at
FROM sessions se JOIN staff st ON st.id = se.staff_id
WHERE se.token_hash = :token_hash AND se.ended_at IS NULL AND se.expires_at > :now
  AND st.disabled_at IS NULL
"""

# A session that ended, by its token: whose it was and why it ended.
ENDED_SESSION_SQL = """
SELECT id, staff_id, ended_at, ended_reason FROM sessions
WHERE token_hash = :token_hash AND ended_at IS NOT NULL
"""

END_SESSION_SQL = """
UPDATE sessions SET ended_at = :now, ended_reason = :reason
WHERE token_hash = :token_hash AND ended_at IS NULL
"""

END_STAFF_SESSIONS_SQL = """
UPDATE sessions SET ended_at = :now, ended_reason = :reason
WHERE staff_id = :staff_id AND ended_at IS NULL AND expires_at > :now
"""

# Sessions ended or expired before :before: nothing needs them once they are that old.
DELETE_OLD_SESSIONS_SQL = """
DELETE FROM sessions WHERE coalesce(ended_at, expires_at) < :before
"""

# --- sign-in throttling ------------------------------------------------------------------

INSERT_SIGN_IN_FAILURE_SQL = """
INSERT INTO sign_in_failures (at, account_hash, client)
VALUES (:at, :account_hash, :client)
"""

# Failures for the account and from the client within their windows, and the oldest of each
# (when the window frees a place).
SIGN_IN_FAILURE_COUNTS_SQL = """
SELECT
    (SELECT count(*) FROM sign_in_failures
     WHERE account_hash = :account_hash AND at > :account_since) AS account_failures,
    (SELECT min(at) FROM sign_in_failures
     WHERE account_hash = :account_hash AND at > :account_since) AS account_oldest,
    (SELECT count(*) FROM sign_in_failures
     WHERE client = :client AND at > :client_since) AS client_failures,
    (SELECT min(at) FROM sign_in_failures
     WHERE client = :client AND at > :client_since) AS client_oldest
"""

CLEAR_ACCOUNT_FAILURES_SQL = """
DELETE FROM sign_in_failures WHERE account_hash = :account_hash
"""

DELETE_OLD_SIGN_IN_FAILURES_SQL = """
DELETE FROM sign_in_failures WHERE at <= :before
"""

# --- staff accounts ------------------------------------------------------------------------

STAFF_LIST_SQL = """
SELECT st.id, st.email, st.name, st.role, t.name AS team_name, st.disabled_at,
       st.password_hash IS NOT NULL AS can_sign_in,
       (SELECT count(*) FROM cases c WHERE c.worker_id = st.id AND c.status = 'open')
           AS open_cases
FROM staff st LEFT JOIN teams t ON t.id = st.team_id
ORDER BY st.disabled_at IS NOT NULL, t.name, st.role, st.email
"""

STAFF_BY_EMAIL_SQL = """
SELECT id, email, name, role, team_id, disabled_at FROM staff WHERE email = :email
"""

DISABLE_STAFF_SQL = """
UPDATE staff SET disabled_at = :now, password_hash = NULL
WHERE id = :staff_id AND disabled_at IS NULL
"""

ENABLE_STAFF_SQL = """
UPDATE staff SET disabled_at = NULL WHERE id = :staff_id
"""

# Everyone with a live session: how many, and when the newest began.
LIVE_SESSIONS_BY_STAFF_SQL = """
SELECT st.id, st.email, st.name, st.role, count(*) AS sessions,
       max(se.started_at) AS latest_started_at
FROM sessions se JOIN staff st ON st.id = se.staff_id
WHERE se.ended_at IS NULL AND se.expires_at > :now AND st.disabled_at IS NULL
GROUP BY st.id
ORDER BY st.email
"""

STAFF_EMAIL_BY_ID_SQL = """
SELECT id, email FROM staff WHERE id = :staff_id
"""
