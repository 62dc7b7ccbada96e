"""The web: the GOV.UK pages (``pages``), the partners' JSON API (``api``), their forms,
sign-in (``auth``, ``throttling``), drafts kept when a session ends, the request's database
connection (``db``) and the gunicorn settings."""
