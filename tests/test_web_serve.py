"""`rongchuang serve` as a real process on 127.0.0.1 (issue 12's acceptance): the nested-HTML file and a
50 MB HTML are refused by their upload jobs within their limits, a founder gets answers while the
parser runs, and SIGTERM stops the server within 10 s while a parse is still in progress."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.store import Store
from tests.web_support import PASSWORD, make_staff

NESTED_LEVELS = 20_000  # the 3.3 MB file of the report: 113 s in BeautifulSoup before issue 12
NESTED_COPIES = 6  # parsed one after another by the one ingest thread: seconds of parsing to talk over
HUGE_MB = 50
STOP_SECONDS = 10
START_SECONDS = 300  # e5 and the index load slowly on a loaded 2-core machine
QUESTION = "算力券怎么申请？"

pytestmark = pytest.mark.slow


def _nested_html(levels: int) -> bytes:
    return (
        "<html><body>" + "<div>" * levels + "补贴说明，" * 40 + "</div>" * levels + "</body></html>"
    ).encode()


def _huge_html(path: Path, mb: int) -> Path:
    """`mb` MB of ordinary HTML, written block by block (a fraction of a second, nothing kept)."""
    block = ("<p>" + "正文。" * 1000 + "</p>\n").encode()
    with path.open("wb") as out:
        for _ in range(mb * 1024 * 1024 // len(block) + 1):
            out.write(block)
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("rongchuang")
    return [str(script)] if script.exists() else [sys.executable, "-m", "connectors.cli"]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"server not ready after {START_SECONDS} s:\n{log.read_text(errors='replace')[-3000:]}")


def _job(admin: httpx.Client, job_id: str) -> dict:
    res = admin.get(f"/api/admin/jobs/{job_id}")
    assert res.status_code == 200, res.text
    return res.json()


def _finished(admin: httpx.Client, job_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (job := _job(admin, job_id))["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def _upload(admin: httpx.Client, headers: dict, path: Path) -> str:
    with path.open("rb") as f:
        res = admin.post("/api/admin/documents", files={"file": (path.name, f)}, headers=headers)
    assert res.status_code == 202, res.text  # answered at once: the job parses
    return res.json()["id"]


def test_hostile_html_refused_answers_meanwhile_and_sigterm_within_10_s(kb_index, kb_dir, tmp_path):
    data, db_url = tmp_path / "data", f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    assert kb_index.count()  # built, so the copy embeds nothing at start
    shutil.copytree(kb_dir, data)  # one process owns a Chroma directory: the server gets its own copy
    with Store.open(db_url) as store:
        admin_user = make_staff(store, "root", admin=True)
    files = tmp_path / "files"
    files.mkdir()
    huge = _huge_html(files / "huge.html", HUGE_MB)
    nested_bytes = _nested_html(NESTED_LEVELS)
    nested = [files / f"nested-{i}.html" for i in range(NESTED_COPIES)]
    for path in nested:
        path.write_bytes(nested_bytes)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "RONGCHUANG_DATA_DIR": str(data),
        "RONGCHUANG_DATABASE_URL": db_url,
        "RONGCHUANG_UPLOAD_MAX_MB": "60",  # let the 50 MB file through the upload, to the parser's limit
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,  # no stray .env
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, proc, log)
        with httpx.Client(base_url=url, timeout=120) as admin:
            res = admin.post("/api/staff/login", json={"username": admin_user.username, "password": PASSWORD})
            assert res.status_code == 200, res.text
            headers = {"X-CSRF-Token": res.json()["csrf_token"]}

            big = _finished(admin, _upload(admin, headers, huge))
            assert big["status"] == "failed", big
            assert "huge.html" in big["error"] and "超过上限" in big["error"], big["error"]

            jobs = [_upload(admin, headers, path) for path in nested]
            deadline = time.monotonic() + 60
            while _job(admin, jobs[0])["status"] == "queued":
                assert time.monotonic() < deadline, "the first nested file never started parsing"
                time.sleep(0.1)
            started = time.perf_counter()
            chat = httpx.post(f"{url}/api/chat", json={"message": QUESTION}, timeout=60)
            answered_in = time.perf_counter() - started
            assert chat.status_code == 200, chat.text
            assert chat.json()["answer"] and chat.json()["citations"], chat.text
            # The founder was answered while the parser was still busy with the nested files.
            assert _job(admin, jobs[-1])["status"] in ("queued", "running"), answered_in

            deep = _finished(admin, jobs[0])
            assert deep["status"] == "failed", deep
            assert "nested-0.html" in deep["error"] and "嵌套" in deep["error"], deep["error"]
            assert _job(admin, jobs[-1])["status"] in ("queued", "running")  # still parsing at SIGTERM

            docs = {d["doc_id"] for d in admin.get("/api/admin/documents").json()}
            assert docs and not any("nested" in d or "huge" in d for d in docs)

        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        try:
            code = proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"still running {STOP_SECONDS} s after SIGTERM:\n{log.read_text(errors='replace')[-3000:]}"
            )
        stopped_in = time.monotonic() - sent
        output = log.read_text(errors="replace")
        # uvicorn re-raises the signal once shut down, so a clean stop exits by SIGTERM itself.
        assert code in (0, -signal.SIGTERM) and "Application shutdown complete" in output, (
            code,
            output[-3000:],
        )
        assert stopped_in < STOP_SECONDS
        assert "Traceback" not in output, output[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with Store.open(db_url) as store:  # nothing left "running" for the admin page to wait on
        statuses = {store.get_job(j).status for j in jobs}
    assert statuses == {"failed"}, statuses
    assert not (data / "uploads").exists() or not [p for p in (data / "uploads").iterdir() if p.is_file()]
