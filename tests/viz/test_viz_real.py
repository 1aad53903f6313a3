"""The graph, explorer helpers and build explainer on a real engine (DOCKER_HOST).

Everything created here carries a unique prefix and is removed at the end; nothing else on
the shared engine is touched.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from layerlab.engine.real.engine import RealEngine
from layerlab.session import Session
from layerlab.viz import collect_state, explain_build, graph_spec, layer_graph, render_svg
from layerlab.viz.explore import image_rows
from layerlab.viz.layerfiles import image_files
from layerlab.viz.render import available_renderer
from layerlab.viz.writable import perform, writable_layer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from realengine import real_engine  # noqa: F401

pytestmark = pytest.mark.real


@pytest.fixture
def real_session(real_engine: RealEngine) -> Iterator[tuple[Session, str]]:  # noqa: F811
    prefix = f"llviz-{uuid.uuid4().hex[:8]}"
    session = Session(engine_name="real", _engine=real_engine)
    yield session, prefix
    for row in real_engine.containers(all=True):
        if any(name.lstrip("/").startswith(prefix) for name in row.get("Names") or []):
            real_engine.remove_container(row["Id"], force=True)
    for tag in (f"{prefix}:v1", f"{prefix}:v2"):
        session.run(["rmi", "-f", tag])


def test_real_engine_graph_explorer_and_explainer(
    real_session: tuple[Session, str], tmp_path: Path
) -> None:
    session, prefix = real_session
    dockerfile = "FROM busybox\nRUN echo hi > /a.txt\nCOPY f.txt /f.txt\nENV X=1\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "f.txt").write_text("one\n")
    assert session.run(["build", "-t", f"{prefix}:v1", str(tmp_path)]).exit_code == 0
    (tmp_path / "f.txt").write_text("two\n")
    assert session.run(["build", "-t", f"{prefix}:v2", str(tmp_path)]).exit_code == 0
    engine = session.engine()

    explanation = explain_build(engine)
    # (in safe mode the real engine's builds end with a LABEL step of LayerLab's own)
    assert [s.outcome for s in explanation.steps][:4] == ["base", "cached", "built", "built"]
    assert explanation.steps[2].reason.endswith("(changed: /f.txt)")

    run = session.run(["run", "--name", f"{prefix}-web", f"{prefix}:v2", "sh", "-c", "echo x > /x"])
    assert run.exit_code == 0, run.stderr
    state = collect_state(engine)
    v1, v2 = state.resolve(f"{prefix}:v1"), state.resolve(f"{prefix}:v2")
    assert v1 is not None and v2 is not None
    assert v1.layers[:2] == v2.layers[:2] and v1.layers[2] != v2.layers[2]
    spec = graph_spec(state, focus=[f"{prefix}:v1", f"{prefix}:v2"])
    assert len(spec.of_kind("layer")) == len(set(v1.layers) | set(v2.layers))
    web = next(c for c in state.containers.values() if c.name == f"{prefix}-web")
    assert web.changes == 1 and f"container:{web.id}" in spec.nodes
    if available_renderer() is not None:
        focus = [f"{prefix}:v2"]
        assert render_svg(layer_graph(state, focus)) == render_svg(layer_graph(state, focus))

    rows = [r for r in image_rows(state, f"{prefix}:v2") if not r.instruction.startswith("LABEL")]
    assert [r.instruction.split()[0] for r in rows][-3:] == ["RUN", "COPY", "ENV"]
    assert rows[-1].empty and not rows[-2].empty and not rows[-3].empty
    files = image_files(engine, v2.id)
    top = len(files.layers) - 1
    assert [(c.kind, c.path) for c in files.layers[top].changes] == [("added", "/f.txt")]
    assert files.read(top, "/f.txt") == b"two\n"

    assert writable_layer(engine, web.id).changes == (("A", "/x"),)
    report = perform(engine, web.id, "rm")
    assert report.after is None and "gone for good" in report.message
