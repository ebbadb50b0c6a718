"""The release gate on the golden set (issue 6): the real Assistant over the session index and a fresh
store, every headline metric against eval/thresholds.toml. Plus the `rongchuang eval` command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval.dataset import load_cases
from eval.gate import check, load_thresholds
from eval.harness import assistant_retriever, run_cases, summarize


@pytest.fixture(scope="module")
def golden_run(kb_index, catalog, tmp_path_factory):
    from assistant.engine import Assistant
    from assistant.settings import Settings
    from assistant.store import Store

    db = tmp_path_factory.mktemp("eval") / "eval.sqlite3"
    with Store.open(f"sqlite:///{db}") as store:
        bot = Assistant(kb_index, catalog, store, Settings(data_dir=kb_index.data_dir))
        yield summarize(run_cases(bot, assistant_retriever(bot), load_cases()))


def test_golden_set_passes_the_gate(golden_run, artifacts):
    from eval.report import render

    failures = check(golden_run["metrics"], load_thresholds())
    run = golden_run | {
        "gate": {"passed": not failures, "failures": failures, "thresholds": load_thresholds()}
    }
    (artifacts / "eval-golden.json").write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
    (artifacts / "eval-golden.html").write_text(render(run), encoding="utf-8")  # the drill-down when it fails
    failing = {c["id"]: c["failed"] for c in golden_run["cases"] if c["failed"]}
    assert not failures, f"{failures}\nmetrics: {golden_run['metrics']}\nfailing cases: {failing}"


def test_every_case_ran_without_error(golden_run):
    assert golden_run["n_cases"] >= 150
    assert [c["id"] for c in golden_run["cases"] if c["error"]] == []


# Known and open (issue 10): the ask-for-a-person example sentences read a problem story that ends
# "政府有没得办法" as a request for a person. Listed so every other policy case stays guarded; when it
# is fixed this test fails and the entry goes.
KNOWN_HANDOFFS = {"d2-col-03"}


def test_ordinary_questions_do_not_hand_off(golden_run):
    wrong = {c["id"] for c in golden_run["cases"] if c["kind"] == "policy" and c["handoff"]}
    assert wrong == KNOWN_HANDOFFS


def test_the_eval_command(kb_index, tmp_path, monkeypatch):
    """JSON output, the HTML report, a baseline diff and the exit code, on a few cases."""
    from connectors.cli import app

    cases = [c for c in load_cases() if c.id in {"seed-13-scope", "handoff-explicit-zh", "oos-weather"}]
    dataset = tmp_path / "few.jsonl"
    dataset.write_text("\n".join(c.model_dump_json(exclude_defaults=True) for c in cases), encoding="utf-8")
    monkeypatch.setenv("RONGCHUANG_DATA_DIR", str(kb_index.data_dir))
    runner = CliRunner()
    first = runner.invoke(app, ["eval", "--dataset", str(dataset), "--json"])
    result = json.loads(first.stdout)
    assert result["n_cases"] == 3 and set(result) >= {"metrics", "by_kind", "cases", "gate"}
    assert result["metrics"]["oos_refusal"] == 1.0
    assert first.exit_code == (0 if result["gate"]["passed"] else 1)
    baseline, report = tmp_path / "before.json", tmp_path / "report.html"
    baseline.write_text(first.stdout, encoding="utf-8")
    second = runner.invoke(
        app, ["eval", "--dataset", str(dataset), "--report", str(report), "--baseline", str(baseline)]
    )
    assert "hit@5" in second.stdout and report.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_the_gate_trips_on_a_failing_dataset(kb_index, tmp_path, monkeypatch):
    from connectors.cli import app

    # an out-of-scope question whose expectation is wrong on purpose: the handoff recall gate must trip
    bad = {"id": "x", "question": "明天成都会下雨吗？", "kind": "handoff", "expect_handoff": True}
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("RONGCHUANG_DATA_DIR", str(kb_index.data_dir))
    run = CliRunner().invoke(app, ["eval", "--dataset", str(dataset)])
    assert run.exit_code == 1
    assert "handoff_recall" in run.stderr


def test_the_eval_never_writes_to_the_real_store(kb_index):
    from assistant.settings import Settings
    from eval.harness import eval_runtime

    settings = Settings(data_dir=kb_index.data_dir)
    real = settings.db_url  # read first: a cached value must not leak into the eval's settings
    with eval_runtime(settings) as rt:
        assert rt.settings.db_url != real and "rongchuang-eval-" in rt.settings.db_url
        assert rt.assistant.respond(None, "算力券是什么？").citations
