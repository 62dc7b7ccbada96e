"""What the service does with the model and the storage: imports (``importer``), scoring the
authority (``rescoring``), the digest's sending (``sending``, ``mail``), retention, backups,
reallocation, partners and their tokens, the partnership's recording and report
(``partnership``), sessions, passwords, the audit log and the demo. Called by the web pages,
the CLI and the scheduler's jobs; never imports them."""
