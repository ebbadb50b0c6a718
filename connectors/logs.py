"""One logging set-up for the long-running commands (serve, telegram) and `make run`.

Messages go to stderr as `time level logger: message`. Libraries that talk too much are held at
WARNING: httpx logs every request URL at INFO, and a Bot API URL holds the bot's token.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "alembic", "bm25s", "chromadb", "jieba")


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    # bm25s sets its own logger to DEBUG when first imported, so the handlers filter too.
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
