"""Compound commands of the ash interpreter: groups, subshells, ``if``, loops, ``for``, ``case``.

:func:`run_compound` runs one compound command for a :class:`ash.Shell`. Loops count their
rounds and stop at a horizon (``MAX_LOOP_ROUNDS``) by raising ``RunsForever``, so a container
whose main loop never ends can be reported as still running; ``break N``/``continue N`` arrive
as ``LoopSignal``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from layerlab.engine.sim.programs.applets.ash_state import LoopSignal
from layerlab.engine.sim.programs.applets.base import MAX_LOOP_ROUNDS, RunsForever
from layerlab.engine.sim.programs.applets.expand import matches
from layerlab.engine.sim.programs.shell.syntax import Case, CommandList, For, Group, If, Loop

if TYPE_CHECKING:
    from layerlab.engine.sim.programs.applets.ash import Shell


def run_compound(shell: Shell, node: object) -> int:
    if isinstance(node, Group):
        if node.subshell:
            child = shell.subshell()
            shell.status = child.run_isolated(lambda s: s.run_list(node.body))
            return shell.status
        return shell.run_list(node.body)
    if isinstance(node, If):
        for condition, body in node.branches:
            if run_condition(shell, condition) == 0:
                return shell.run_list(body)
        if node.otherwise is not None:
            return shell.run_list(node.otherwise)
        shell.status = 0
        return 0
    if isinstance(node, Loop):
        return run_loop(shell, node)
    if isinstance(node, For):
        return run_for(shell, node)
    if isinstance(node, Case):
        return run_case(shell, node)
    return 0


def run_condition(shell: Shell, condition: CommandList) -> int:
    shell.cond_depth += 1
    try:
        return shell.run_list(condition)
    finally:
        shell.cond_depth -= 1


def _loop_round(shell: Shell, rounds: int, body: CommandList) -> str | None:
    if rounds > MAX_LOOP_ROUNDS:
        raise RunsForever(interruptible=True)
    try:
        shell.run_list(body)
    except LoopSignal as signal:
        if signal.levels > 1:
            signal.levels -= 1
            raise
        return signal.kind
    return None


def run_loop(shell: Shell, node: Loop) -> int:
    status = 0
    rounds = 0
    shell.loop_depth += 1
    try:
        while True:
            rounds += 1
            result = run_condition(shell, node.condition)
            if (result == 0) == node.until:
                break
            outcome = _loop_round(shell, rounds, node.body)
            status = shell.status
            if outcome == "break":
                break
    finally:
        shell.loop_depth -= 1
    shell.status = status
    return status


def run_for(shell: Shell, node: For) -> int:
    if node.words is None:
        values = list(shell.positional)
    else:
        values = [field for word in node.words for field in shell.expander.fields(word)]
    shell.status = 0
    shell.loop_depth += 1
    try:
        for rounds, value in enumerate(values, 1):
            shell.set_var(node.name, value)
            if _loop_round(shell, rounds, node.body) == "break":
                break
    finally:
        shell.loop_depth -= 1
    return shell.status


def run_case(shell: Shell, node: Case) -> int:
    subject = shell.expander.string(node.word)
    shell.status = 0
    for patterns, body in node.items:
        if any(matches(subject, shell.expander.pattern(p)) for p in patterns):
            return shell.run_list(body) if body is not None else 0
    return 0
