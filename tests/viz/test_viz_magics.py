"""%docker_graph and %docker_explain_build through an IPython shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from layerlab.viz import LayerGraph
from layerlab.viz.explain import BuildExplanation


def test_graph_highlights_the_last_command(ip: InteractiveShell) -> None:
    first = ip.run_line_magic("docker_graph", "--highlight-last")
    assert isinstance(first, LayerGraph) and "nothing to highlight yet" in first.caption
    ip.run_line_magic("docker", "run --name web busybox sh -c 'echo x > /x'")
    graph = ip.run_line_magic("docker_graph", "--highlight-last")
    assert "docker run --name web" in graph.caption
    assert [k for k, m in graph.view.marks.items() if m == "added"] == [
        k for k in graph.view.spec.nodes if k.startswith("container:")
    ]
    assert "[new] container web" in graph.text()


def test_graph_options(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("docker", "run --name web busybox true")
    graph = ip.run_line_magic("docker_graph", "busybox --no-containers")
    assert graph.view.spec.of_kind("container") == []
    assert ip.run_line_magic("docker_graph", "nosuch:tag") is None
    assert "no such image: nosuch:tag" in capsys.readouterr().err


def test_explain_build_magic(ip: InteractiveShell, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo hi > /hi\n")
    ip.run_line_magic("docker", f"build -t hi {tmp_path}")
    explanation = ip.run_line_magic("docker_explain_build", "")
    assert isinstance(explanation, BuildExplanation)
    assert [s.outcome for s in explanation.steps] == ["base", "built"]


def test_an_exited_container_is_counted_and_drawn_right_after_run(ip: InteractiveShell) -> None:
    ip.run_line_magic("docker", "run --name w1 busybox sh -c 'echo x > /x'")
    graph = ip.run_line_magic("docker_graph", "")
    assert graph.text().startswith("1 images, 1 layers, 1 containers")
    assert "container w1 · exited · writable layer: 1 changes" in graph.text()
    (container,) = graph.view.spec.of_kind("container")
    image = ip.run_line_magic("docker", "image inspect --format {{.Id}} busybox").stdout.strip()
    assert (f"image:{image}", container.key) in graph.view.spec.edges


def test_a_one_letter_name_creates_no_container(ip: InteractiveShell) -> None:
    """Docker wants container names of two or more characters: `run --name w` fails (exit
    125, as on a real engine), so a graph drawn next rightly shows no container."""
    result = ip.run_line_magic("docker", "run --name w busybox sh -c 'echo x > /x'")
    assert result.exit_code == 125 and "Invalid container name (w)" in result.stderr
    graph = ip.run_line_magic("docker_graph", "")
    assert graph.text().startswith("1 images, 1 layers, 0 containers")
