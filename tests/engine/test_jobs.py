"""A job's result is a typed value, stored as the same JSON the rows have always held."""

from __future__ import annotations

import pytest

from bot.engine.jobs import JobResult


@pytest.mark.parametrize(
    ("result", "stored"),
    [
        (JobResult(), "{}"),
        (JobResult(track="Sunny Café"), '{"track": "Sunny Café"}'),
        (JobResult(understood=False), '{"understood": false}'),
    ],
)
def test_job_result_json(result: JobResult, stored: str) -> None:
    assert result.to_json() == stored
    assert JobResult.from_json(stored) == result


def test_a_damaged_result_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        JobResult.from_json("[1, 2")
    with pytest.raises(ValueError):
        JobResult.from_json("[]")
