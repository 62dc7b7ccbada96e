"""SQL for the audit log."""

INSERT_AUDIT_SQL = """
INSERT INTO audit_log (at, actor_id, actor_email, action, case_ref, detail)
VALUES (:at, :actor_id, :actor_email, :action, :case_ref, :detail)
"""
