"""The daemon's filters: time values, and keys LayerLab refuses rather than ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from layerlab.engine.errors import InvalidArgument
from layerlab.engine.filters import labels_match, parse_time
from layerlab.engine.sim.engine import SimEngine

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1h", NOW - 3600),
        ("1h30m", NOW - 5400),
        ("1.5h", NOW - 5400),
        ("90s", NOW - 90),
        ("-5m", NOW + 300),
        ("0", NOW),
        ("1700000000", 1_700_000_000.0),
        ("1700000000.5", 1_700_000_000.5),
        ("2026-01-02T03:04:05Z", 1_767_323_045.0),
        ("2026-01-02T03:04:05+01:00", 1_767_319_445.0),
    ],
)
def test_time_values_read_as_the_daemon_reads_them(value: str, expected: float) -> None:
    assert parse_time(value, NOW) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["x", "1hour", "h", "", "1h x", "2026-13-01"])
def test_a_value_that_is_no_time_is_refused(value: str) -> None:
    with pytest.raises(InvalidArgument, match="failed to parse value as time or duration"):
        parse_time(value, NOW)


def test_labels_and_their_negation() -> None:
    labels = {"keep": "yes", "tier": "web"}
    assert labels_match(labels, {"label": ["keep"]})
    assert labels_match(labels, {"label": ["keep=yes", "tier"]})
    assert not labels_match(labels, {"label": ["keep=no"]})
    assert not labels_match(labels, {"label!": ["keep"]})
    assert labels_match(labels, {"label!": ["keep=no"]})


@pytest.mark.parametrize("key", ["health", "volume", "network", "publish", "expose"])
def test_a_ps_filter_docker_has_but_layerlab_does_not_model_is_refused(
    key: str, tmp_path: Path
) -> None:
    engine = SimEngine(home=tmp_path)
    with pytest.raises(InvalidArgument, match=f"LayerLab cannot filter containers by {key}"):
        engine.containers(all=True, filters={key: {"x": True}})
