"""The last render's record keeps the reason's values, so an export or a re-send words it in the chat's language;
a record written before they were kept still reads (its sentence is shown as it is)."""

from __future__ import annotations

import json
from pathlib import Path

from bot.backends.base import Rendered
from bot.backends.renders import rendered_from_json, rendered_to_json
from bot.engine.replies import caption_for, reason_text
from bot.language.reasons import PickReason

WHY = PickReason(title="Quiet", bpm=92.0, key="C", mode="major", moods=("calm",), request_words=("calm",),
                 cuts_on_beat=2, cuts_total=3, hit_at_s=4.0, track_peak_s=17.0)  # fmt: skip


def _rendered(why: PickReason | None) -> Rendered:
    return Rendered(Path("x.mp4"), "Quiet", "the English sentence", 92.0, 2, 3, -14.0, 640, 360, 8.0, False, why=why)


def test_the_values_survive_the_record_and_are_worded_per_reader() -> None:
    again = rendered_from_json(json.loads(json.dumps(rendered_to_json(_rendered(WHY)))))
    assert again == _rendered(WHY)
    assert "符合你要的calm" in reason_text(again, "zh") and "落在视频的 0:04" in caption_for(again, "zh")
    assert "matching your request for calm" in caption_for(again, "en")


def test_an_older_record_and_a_cloud_sentence_are_shown_as_they_are() -> None:
    old = rendered_to_json(_rendered(None))
    old.pop("why")
    again = rendered_from_json(json.loads(json.dumps(old)))
    assert again.why is None and reason_text(again, "zh") == "the English sentence"
