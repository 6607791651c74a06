"""The two pages the web server shows: the upload page (a file picker, a progress bar, a little script) and
the plain page for anything else (a bad, used or expired link, a path that is nothing).

No framework: one HTML document of a few kilobytes with its script inline (allowed by a per-response
nonce in the Content-Security-Policy), readable on a phone. The words come from ``bot.language`` in the
chat's language. The script speaks the upload protocol of :mod:`bot.web.upload` (a subset of tus 1.0:
``HEAD`` for the offset, ``POST`` to start, ``PATCH`` chunks), and after a dropped connection asks the
server how far it got and goes on from there.
"""

from __future__ import annotations

import html
import json

from bot.engine.big_files import mb_text
from bot.language import say

__all__ = ["CHUNK_BYTES", "message_page", "upload_page"]

CHUNK_BYTES = 4 * 1024 * 1024
"""The script sends the file in chunks this big (a dropped connection costs at most one chunk's progress
on the client's side; the server keeps every byte it received)."""

_STYLE = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",sans-serif;margin:0;
background:#f6f6f4;color:#1d1d1b}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
input,button{font:inherit;width:100%;box-sizing:border-box;margin:.35rem 0;padding:.7rem;border-radius:.5rem;
border:1px solid #bbb;background:#fff}
button{background:#1d5fd1;color:#fff;border:0}
button:disabled{opacity:.5}
progress{width:100%;height:1.2rem;margin:.7rem 0}
#status{min-height:1.5rem}
"""

_SCRIPT = r"""
(function () {
  var T = JSON.parse(document.getElementById("words").textContent);
  var picker = document.getElementById("file"), send = document.getElementById("send");
  var words = document.getElementById("caption"), bar = document.getElementById("bar");
  var status = document.getElementById("status");
  var endpoint = T.endpoint, chunk = T.chunk, limit = T.limit;
  function say(text) { status.textContent = text; }
  function b64(text) { return btoa(unescape(encodeURIComponent(text))); }
  function request(method, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, endpoint);
      Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      if (onProgress && xhr.upload) { xhr.upload.onprogress = onProgress; }
      xhr.onload = function () { resolve(xhr); };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
      xhr.send(body);
    });
  }
  function refusal(xhr) {
    try { return JSON.parse(xhr.responseText).message; } catch (e) { return T.failed; }
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  async function offsetFor(file) {
    var head = await request("HEAD", {"Tus-Resumable": "1.0.0"}, null);
    if (head.status === 200 && Number(head.getResponseHeader("Upload-Length")) === file.size) {
      return Number(head.getResponseHeader("Upload-Offset"));
    }
    var meta = "filename " + b64(file.name) + ",words " + b64(words.value || "");
    var made = await request("POST", {"Tus-Resumable": "1.0.0", "Upload-Length": String(file.size),
                                      "Upload-Metadata": meta}, null);
    if (made.status !== 201) { throw {refused: refusal(made)}; }
    return 0;
  }
  async function upload(file) {
    var offset = null, failures = 0;
    while (true) {
      try {
        if (offset === null) { offset = await offsetFor(file); }
        if (offset >= file.size) { return; }
        var end = Math.min(file.size, offset + chunk), start = offset;
        var xhr = await request("PATCH", {"Tus-Resumable": "1.0.0", "Upload-Offset": String(offset),
                                          "Content-Type": "application/offset+octet-stream"},
                                file.slice(offset, end), function (e) {
          bar.value = (start + e.loaded) / file.size;
          say(T.sending.replace("{percent}", Math.floor(100 * (start + e.loaded) / file.size)));
        });
        if (xhr.status === 204) {
          offset = Number(xhr.getResponseHeader("Upload-Offset")); failures = 0;
          bar.value = offset / file.size;
          if (offset >= file.size) { return; }
        } else if (xhr.status === 409 || xhr.status >= 500) {
          offset = null; failures += 1; say(T.retrying); await sleep(1000 * failures);
        } else { throw {refused: refusal(xhr)}; }
      } catch (err) {
        if (err && err.refused) { throw err; }
        failures += 1; offset = null;
        if (failures > 8) { throw {refused: T.failed}; }
        say(T.retrying); await sleep(1000 * failures);
      }
    }
  }
  send.addEventListener("click", async function () {
    var file = picker.files && picker.files[0];
    if (!file) { picker.click(); return; }
    if (file.size > limit) { say(T.too_big); return; }
    send.disabled = true; picker.disabled = true; words.disabled = true;
    try {
      await upload(file);
      bar.value = 1; say(T.done); send.hidden = true;
    } catch (err) {
      say(err && err.refused ? err.refused : T.failed);
      send.disabled = false; picker.disabled = false; words.disabled = false;
    }
  });
})();
"""


def _document(title: str, lang: str, body: str, nonce: str) -> str:
    html_lang = "zh-Hans" if lang == "zh" else "en"
    return (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{html.escape(title)}</title>'
        f'<style nonce="{nonce}">{_STYLE}</style></head><body><main>{body}</main></body></html>'
    )


def upload_page(*, lang: str, endpoint: str, limit_bytes: int, nonce: str) -> str:
    """The upload page; ``endpoint`` is the upload resource relative to the page (``<token>/file``)."""
    limit_mb = mb_text(limit_bytes)
    words = {
        "endpoint": endpoint,
        "chunk": CHUNK_BYTES,
        "limit": limit_bytes,
        "sending": say("web_page_sending", lang, percent="{percent}"),
        "retrying": say("web_page_retrying", lang),
        "done": say("web_page_done", lang),
        "failed": say("web_page_failed", lang),
        "too_big": say("web_page_too_big", lang, limit_mb=limit_mb),
    }
    data = json.dumps(words, ensure_ascii=False).replace("</", "<\\/")
    title = say("web_page_title", lang)
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(say('web_page_intro', lang, limit_mb=limit_mb))}</p>"
        f'<label for="file">{html.escape(say("web_page_pick", lang))}</label>'
        '<input id="file" type="file" accept="video/*,audio/*">'
        f'<input id="caption" type="text" maxlength="500" placeholder="{html.escape(say("web_page_words", lang))}">'
        f'<button id="send" type="button">{html.escape(say("web_page_send", lang))}</button>'
        '<progress id="bar" max="1" value="0"></progress><p id="status" role="status"></p>'
        f'<script id="words" type="application/json">{data}</script>'
        f'<script nonce="{nonce}">{_SCRIPT}</script>'
    )
    return _document(title, lang, body, nonce)


def message_page(text: str, *, lang: str = "en", nonce: str) -> str:
    """A plain page with one sentence (no trace, no listing, nothing about what exists)."""
    return _document(text, lang, f"<p>{html.escape(text)}</p>", nonce)
