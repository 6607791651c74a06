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


def test_a_set_payload_keeps_its_items_and_a_single_clip_payload_is_unchanged() -> None:
    from bot.engine.jobs import JobKind, JobPayload
    from bot.engine.messages import MediaRef

    items = (MediaRef(kind="video", file_id="a"), MediaRef(kind="photo", file_id="b", file_name="beach.jpg"))
    payload = JobPayload(JobKind.EACH, text="calm", lang="zh", items=items)
    assert JobPayload.from_json(payload.to_json()) == payload
    single = JobPayload(JobKind.UPLOAD, text="calm", media=items[0])
    assert "items" not in single.to_json() and JobPayload.from_json(single.to_json()) == single
