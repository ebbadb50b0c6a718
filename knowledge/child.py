"""Parsers of untrusted files run in child processes: a time limit by killing, and a way to stop
them all at once when the server shuts down (so SIGTERM is never held up by a parse)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

_live: set[subprocess.Popen] = set()
_lock = threading.Lock()


def run_module(module: str, args: list[str], timeout: float, stdin: bytes | None = None) -> tuple[int, bytes]:
    """Run `python -m module args…`; (exit code, stdout). Raises TimeoutExpired after `timeout` s."""
    return _run([sys.executable, "-m", module, *args], timeout, stdin)


def run_script(script: Path, args: list[str], timeout: float) -> tuple[int, bytes]:
    """Run a plain script (one that imports nothing from the project) the same way. `-P`: the
    script's folder stays off sys.path, or knowledge/tokenize.py would stand in for the standard
    library's `tokenize` that pypdf's imports reach."""
    return _run([sys.executable, "-P", str(script), *args], timeout, None)


def _run(cmd: list[str], timeout: float, stdin: bytes | None) -> tuple[int, bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    with _lock:
        _live.add(proc)
    try:
        out, _ = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        with _lock:
            _live.discard(proc)
    return proc.returncode, out or b""


def stop_all() -> None:
    """Kill every running parser (server shutdown): each caller sees a parse that died."""
    with _lock:
        procs = list(_live)
    for proc in procs:
        proc.kill()
