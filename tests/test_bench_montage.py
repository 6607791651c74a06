"""The montage benchmark's code stays alive: tiny inputs, the measuring, the plan and the table.

No timing is asserted: benchmarks are not tests. MoviePy is never imported here (a bench-only extra).
"""

from __future__ import annotations

import itertools
import sys
import tomllib
from pathlib import Path

import av
import pytest

from bench.measure import measure
from bench.montage import MontageBench, Run, format_table, moviepy_plan
from bench.montage_inputs import PHOTOS, VIDEOS, inputs_dir, make_montage_inputs
from bot.config import get_settings
from bot.media.items import probe_item

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_montage_inputs(scale=0.05, max_duration_s=1.0, cache_root=tmp_path_factory.mktemp("bench-cache"))


def test_the_inputs_are_every_kind_asked_for(tiny_inputs: list[Path]) -> None:
    assert [p.name for p in tiny_inputs] == [v.name for v in VIDEOS] + [p.name for p in PHOTOS]
    assert len(VIDEOS) == 8 and len(PHOTOS) == 4
    by_name = {p.name: p for p in tiny_inputs}
    for spec in VIDEOS:
        with av.open(str(by_name[spec.name])) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (
                round(spec.width * 0.05 / 2) * 2,
                round(spec.height * 0.05 / 2) * 2,
            )
            times = [frame.time for frame in container.decode(stream)]
            assert container.streams.audio, "phones record sound"
        gaps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
        if spec.variable_rate:
            assert len(gaps) > 3, "the VFR clip's frame intervals vary"
        else:
            assert gaps == {round(1 / spec.fps, 3)}
    rotated = probe_item(by_name["selfie-rotated-90.mp4"], get_settings())
    assert rotated.info is not None and abs(rotated.info.rotation_deg) == 90
    assert rotated.height > rotated.width, "shown upright: a vertical clip"
    for spec in PHOTOS:
        with av.open(str(by_name[spec.name])) as container:
            assert next(container.decode(video=0)).width == round(spec.width * 0.05 / 2) * 2


def test_the_inputs_are_made_once(tiny_inputs: list[Path]) -> None:
    stamps = [p.stat().st_mtime_ns for p in tiny_inputs]
    again = make_montage_inputs(scale=0.05, max_duration_s=1.0, cache_root=tiny_inputs[0].parents[1])
    assert again == tiny_inputs
    assert [p.stat().st_mtime_ns for p in again] == stamps
    assert not list(tiny_inputs[0].parent.glob(".*part*")), "no half-made file left behind"


def test_the_full_set_lives_in_the_user_cache_not_the_checkout() -> None:
    assert ROOT not in inputs_dir().parents
    assert "musiccog" in inputs_dir().parts


def test_measure_sees_the_process_memory_and_time() -> None:
    child = "import time; block = bytearray(80 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(0.3)"
    measured = measure([sys.executable, "-c", child], timeout_s=60, sample_s=0.05)
    assert measured.returncode == 0
    assert measured.wall_s >= 0.3
    assert 0 < measured.cpu_s < measured.wall_s + 5
    assert measured.peak_rss_mb >= 80
    assert measured.peak_tree_rss_mb is None or measured.peak_tree_rss_mb >= 80


def test_moviepy_is_given_our_plan() -> None:
    ours = {
        "width": 1920,
        "height": 1080,
        "segments": [
            {"source": "a.mp4", "source_start_s": 1.0, "source_end_s": 2.5, "start_s": 0.0, "end_s": 1.5,
             "kind": "video"},
            {"source": "b.jpg", "source_start_s": 0.0, "source_end_s": 2.0, "start_s": 1.5, "end_s": 3.5,
             "kind": "photo"},
        ],
    }  # fmt: skip
    timeline = {"segments": [{"move": "zoom_in"}, {"move": "pan_left"}], "music": {"start_offset_s": 3.25}}
    plan = moviepy_plan(ours, timeline, "/music/song.mp3")
    assert [s["move"] for s in plan["segments"]] == ["zoom_in", "pan_left"]
    assert [s["source"] for s in plan["segments"]] == ["a.mp4", "b.jpg"]
    assert (plan["width"], plan["height"], plan["fps"]) == (1920, 1080, 30)
    assert plan["preset"] == "veryfast" and plan["crf"] == "20"
    assert plan["music"] == {"path": "/music/song.mp3", "start_s": 3.25}


def _bench(moviepy: Run | None) -> MontageBench:
    return MontageBench(
        inputs="8 videos, 4 photos",
        film_s=60.0,
        width=1920,
        height=1080,
        segments=14,
        ours=Run(wall_s=30.0, cpu_s=50.0, peak_rss_mb=420.0, peak_tree_rss_mb=780.0, output_mb=60.0),
        stage_times_s={"video analysis": 4.0, "render": 22.5},
        cuts_on_beat_ratio=1.0,
        loudness_lufs=-14.0,
        moviepy=moviepy,
        moviepy_note="" if moviepy else "not installed: pip install -e '.[bench]'",
    )


def test_the_table_sets_both_side_by_side() -> None:
    moviepy = Run(wall_s=120.0, cpu_s=200.0, peak_rss_mb=300.0, peak_tree_rss_mb=None, output_mb=70.0)
    table = format_table(_bench(moviepy))
    lines = table.splitlines()
    assert lines[0].startswith("| measure") and "MoviePy" in lines[0]
    assert all(line.count("|") == 4 for line in lines)
    assert len({len(line) for line in lines}) == 1, "columns line up"
    rows = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]] for line in lines[2:]}
    assert rows["end-to-end (whole process)"] == ["30.00 s", "120.00 s"]
    assert rows["ratio to film length"] == ["0.50x", "2.00x"]
    assert rows["speed-up vs MoviePy (wall)"][0] == "4.0x"
    assert rows["speed-up vs MoviePy (CPU time)"][0] == "4.0x"
    assert rows["CPU time, user+sys (whole tree)"] == ["50.0 s", "200.0 s"]
    assert rows["peak RSS, process tree (sampled)"] == ["780 MB", "n/a"]
    assert rows["stage: render"][0] == "22.50 s"


def test_the_table_says_why_moviepy_is_missing() -> None:
    table = format_table(_bench(None))
    assert "speed-up" not in table
    assert "pip install -e '.[bench]'" in table


def test_moviepy_stays_out_of_the_runtime_and_the_ci_install() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(dep.lower().startswith("moviepy") for dep in project["dependencies"])
    extras = project["optional-dependencies"]
    assert not any(dep.lower().startswith("moviepy") for dep in extras["dev"])
    assert any(dep.lower().startswith("moviepy") for dep in extras["bench"])
    import bench.montage_moviepy  # noqa: F401  (imports MoviePy only when it runs)

    assert "moviepy" not in sys.modules
