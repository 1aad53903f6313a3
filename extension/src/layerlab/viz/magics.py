"""``%docker_graph`` and ``%docker_explain_build``."""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from layerlab.engine.errors import EngineError
from layerlab.i18n import tr
from layerlab.viz.explain import BuildExplanation, explain_build
from layerlab.viz.graph import layer_view
from layerlab.viz.render import LayerGraph
from layerlab.viz.state import collect_state
from layerlab.viz.tracking import tracker_for


def draw(
    images: list[str] | None = None, highlight_last: bool = False, containers: bool = True
) -> LayerGraph:
    """The current engine's layer graph, as ``%docker_graph`` shows it."""
    from layerlab.session import current_session

    session = current_session()
    engine = session.engine()
    tracker = tracker_for(session)  # from now on, remember the state before each command
    state = collect_state(engine, tracker.cache)
    before = tracker.last_change(engine) if highlight_last else None
    caption = ""
    if highlight_last:
        caption = (
            tr(
                "what `{command}` changed: green new, orange changed, red dashed removed",
                command=tracker.command,
            )
            if before is not None
            else tr("no command recorded since the first graph: nothing to highlight yet")
        )
    return LayerGraph(layer_view(state, images, before, containers), caption)


@magics_class
class VizMagics(Magics):
    @magic_arguments()
    @argument("images", nargs="*", help="only these images (tags or ID prefixes)")
    @argument("--highlight-last", action="store_true", help="mark what the last command changed")
    @argument("--no-containers", action="store_true", help="leave containers out")
    @line_magic
    def docker_graph(self, line: str) -> Any:
        """Draw images, their layers (shared ones once), tags and containers as one graph."""
        args = parse_argstring(self.docker_graph, line)
        try:
            return draw(args.images, args.highlight_last, not args.no_containers)
        except KeyError as err:
            print(f"layerlab: {err.args[0]}", file=sys.stderr)
        except EngineError as err:
            print(f"layerlab: {err}", file=sys.stderr)
        return None

    @line_magic
    def docker_explain_build(self, line: str) -> BuildExplanation | None:
        """For the last `docker build`: which steps came from the cache, and what broke it."""
        from layerlab.session import current_session

        try:
            return explain_build(current_session().engine())
        except EngineError as err:
            print(f"layerlab: {err}", file=sys.stderr)
            return None
