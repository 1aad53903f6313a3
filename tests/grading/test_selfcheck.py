"""The self-check runs only public checks, against the current engine, with hints."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from layerlab import session as session_module
from layerlab.grading import check
from layerlab.grading.model import Context, run_task
from layerlab.grading.tasks import EXERCISES, find_task
from layerlab.session import Session


@pytest.fixture
def sim(tmp_path, monkeypatch):
    yield from _session(tmp_path, monkeypatch)


@pytest.fixture(params=["20.10", "26.1"])
def either_builder(request, tmp_path, monkeypatch):
    """The classic builder (Engine 20.10) and BuildKit (Engine 26.1)."""
    monkeypatch.setenv("LAYERLAB_PROFILE", request.param)
    yield from _session(tmp_path, monkeypatch)


def _session(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LAYERLAB_ENGINE", "sim")
    current = Session(engine_name="sim", state="selfcheck")
    monkeypatch.setattr(session_module, "_session", current)
    current.engine().reset("baseline", deterministic=True)
    yield current
    current.close()


def run(session: Session, *commands: str) -> None:
    for command in commands:
        assert session.run(command).ok, command


def test_public_checks_only_and_hints_on_failure(sim):
    report = check("04-cleanup")
    hidden = [c for c in find_task("04-cleanup")[1].checks if c.visibility == "hidden"]
    assert hidden and all(c.name not in str(report) for c in hidden)
    assert [r.check.visibility for r in report.results] == ["public"]
    assert report.score == 0 and not report.passed
    assert "Hint 1/3: removing a container throws its writable layer away" in str(report)


def test_prune_passes_the_public_check_and_fails_the_hidden_one(sim):
    run(
        sim,
        "run --name tmp-1 busybox true",
        "run --name tmp-2 busybox true",
        "run -d --name ticker busybox sleep 3600",
        "run --name configured -e GREETING=hello busybox true",
        "run -d --name worker busybox sleep 3600",
        "stop -t 1 worker",
        "container prune -f",
    )
    assert check("04-cleanup").passed
    _, task = find_task("04-cleanup")
    results = run_task(task, Context(sim.engine()), include_hidden=True)
    hidden = [r for r in results if r.check.visibility == "hidden"]
    assert [r.passed for r in hidden] == [False]
    assert "there is no container named worker" in hidden[0].message


def test_cache_order_distinguishes_the_two_dockerfiles(either_builder, tmp_path):
    sim = either_builder
    shop = tmp_path / "shop"
    (shop / "src").mkdir(parents=True)
    (shop / "requirements.txt").write_text("a==1\n")
    (shop / "install-deps.sh").write_text("mkdir -p /deps\n")
    _, task = find_task("02-cache-order")

    def build_twice(dockerfile: str) -> list[bool]:
        (shop / "Dockerfile").write_text(dockerfile)
        for version in ("v1", "v2"):
            (shop / "src" / "app.sh").write_text(f"echo {version}\n")
            run(sim, f"build -q -t shop:{version} {shop}")
        return [r.passed for r in run_task(task, Context(sim.engine()), include_hidden=True)]

    slow = "FROM busybox\nWORKDIR /app\nCOPY . /app\nRUN sh install-deps.sh\n"
    assert build_twice(slow) == [True, False, False]
    fast = (
        "FROM busybox\nWORKDIR /app\nCOPY requirements.txt install-deps.sh /app/\n"
        "RUN sh install-deps.sh\nCOPY src /app/src\n"
    )
    assert build_twice(fast) == [True, True, True]


def test_every_check_fails_on_the_baseline(sim):
    context = Context(sim.engine())
    for exercise in EXERCISES.values():
        for task in exercise.tasks:
            passed = [r.check.name for r in run_task(task, context, True) if r.passed]
            assert passed == [], task.id


def test_magic_prints_the_report_and_rejects_unknown_tasks(sim, capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "layerlab")
    shell.run_line_magic("docker_check", "01-hello")
    shell.run_line_magic("docker_check", "no-such-task")
    captured = capsys.readouterr()
    assert "01-hello: Run a container named hello" in captured.out
    assert "[FAIL] container hello from busybox: not yet (there is no container named hello)" in (
        captured.out
    )
    assert "unknown task 'no-such-task'" in captured.err
