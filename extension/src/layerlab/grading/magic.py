"""``%docker_check TASK``: the self-check magic."""

from __future__ import annotations

import sys

from IPython.core.magic import Magics, line_magic, magics_class

from layerlab.i18n import tr


@magics_class
class GradingMagics(Magics):
    @line_magic
    def docker_check(self, line: str) -> None:
        """Run the public checks of a task and show what passes, with hints for the rest:
        `%docker_check 01-hello`."""
        from layerlab.grading.selfcheck import check

        task_id = line.strip()
        if not task_id:
            print(
                tr("usage: %docker_check TASK (for example %docker_check 01-hello)"),
                file=sys.stderr,
            )
            return
        try:
            report = check(task_id)
        except KeyError as err:
            print(f"layerlab: {err.args[0]}", file=sys.stderr)
            return
        print(report)
