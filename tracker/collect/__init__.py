"""Stage 1, collect: where readings come from. Accounts and Codex homes (``accounts``,
``codex_config``), the HTTP client with its retries and redaction (``client``), any payload turned
into one ``Usage`` (``normalize``, pure, with what an answer carries besides windows in ``extras``), the concurrent collection run (``run``, ``loop`` for
``--every``) and the session-log backfill (``sessions``, reading the files in ``session_files``, their token
counts in ``session_tokens``).

May import: the bottom layer (``tracker.errors``, ``records``, ``points``, ``timeutil``,
``render``, ``fsutil``, ``config``, ``atomic``). Never storage or later: the run and the importer
are handed a store object by the command line.
"""
