"""The upload page in a real headless Chromium (Debian's, driven by Selenium through the system chromedriver;
nothing is downloaded at run time). Skipped where the machine has no Chromium; the plain-HTTP tests always run.

A clip of about 9 MB goes up in the page's own 4 MiB chunks from the file picker, with words typed beside
it; the page says it is done and the video arrives in the chat. The Chinese page speaks Chinese, and a
spent link shows one plain sentence."""

from __future__ import annotations

import asyncio
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.engine.messages import Video
from tests.mediagen import make_clip
from tests.web.stack import web_settings, web_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()), reason="no system Chromium/chromedriver"
)


def _browser() -> Any:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _wait_text(driver: Any, element_id: str, wanted: str, timeout_s: float = 60.0) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout_s).until(lambda d: wanted in d.find_element("id", element_id).text)
    return str(driver.find_element("id", element_id).text)


def test_the_page_uploads_in_chunks_from_a_real_browser(tmp_path: Path, pool: ProcessPoolExecutor) -> None:
    clip = make_clip(
        tmp_path / "holiday.mp4",
        duration_s=1.0,
        size=(640, 360),
        video_source="color=c=gray:s=640x360:r=30:d=1,noise=alls=20:allf=t",
        video_args=("-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"),
    )
    assert clip.stat().st_size > 8 * 1024 * 1024  # three chunks at least
    settings = web_settings(tmp_path)

    async def scenario() -> None:
        async with web_stack(settings, pool) as (_engine, web, chats):
            english = await web.upload_link("telegram", "61", "61", "en")
            chinese = await web.upload_link("telegram", "62", "62", "zh")

            def in_the_browser() -> tuple[str, str, str]:
                driver = _browser()
                try:
                    driver.get(chinese.url)
                    heading_zh = driver.find_element("tag name", "h1").text
                    driver.get(english.url)
                    driver.find_element("id", "file").send_keys(str(clip))
                    driver.find_element("id", "caption").send_keys("calm")
                    driver.find_element("id", "send").click()
                    done = _wait_text(driver, "status", "Done", timeout_s=120)
                    driver.get(english.url)
                    spent = driver.find_element("tag name", "body").text
                    return heading_zh, done, spent
                finally:
                    driver.quit()

            heading_zh, done, spent = await asyncio.to_thread(in_the_browser)
            assert heading_zh == "把视频发给机器人"
            assert "come back in your chat" in done
            assert "does not work" in spent and "Traceback" not in spent
            video = await chats.wait_for("61", Video, timeout=120)
            assert video.path.is_file() and "62" not in chats.replies

    asyncio.run(scenario())
