"""SQL for rescoring a few cases at once (``hotspots.rescoring.incremental``): whether anyone
else wrote meanwhile. Reading their facts and writing their scores are in ``scores``."""

# Changes whenever another connection commits to the database (SQLite's own counter, per
# connection): the same value twice means nothing was written by anyone else in between.
DATA_VERSION_SQL = "PRAGMA data_version"
