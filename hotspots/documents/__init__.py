"""The documents generated from the code and settings (run by ``cog``, checked by
tests/test_docs.py): the CLI and configuration references (``reference``) and the facts of
the model card, the ATRS record and the DPIA (``evidence``)."""
