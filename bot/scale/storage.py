"""Shared storage for scale-out mode: where a step's media, call and result pass between the bot and a worker.

``MUSICCOG_STORAGE`` names it: a folder every machine mounts (``/mnt/musiccog``), or S3-compatible object
storage (``s3://bucket/prefix``, endpoint from ``MUSICCOG_S3_ENDPOINT_URL``, credentials from the standard
AWS variables, read by boto3 itself and never by us).

Keys are made here only: :func:`new_step_prefix` is 128 random bits, and the names under it are our own
fixed words and counters (``call``, ``result``, ``in/3``, ``out/<attempt>/0``), so nothing a user sent ever
reaches a key or a path. Everything is blocking (boto3, file copies): callers run it in a thread.

Why boto3 and not aiobotocore: the transfers are whole files to and from disk, which boto3's managed
transfer does in parallel parts with no buffering in memory; the async client has no such transfer, pins
one exact botocore version, and the worker's side of a step is blocking anyway.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from bot.errors import MusicCogError

__all__ = ["FolderStorage", "S3Storage", "Storage", "StorageError", "new_step_prefix", "open_storage"]

logger = logging.getLogger(__name__)

_KEY = re.compile(r"^[a-z0-9]+(?:/[a-z0-9]+)*$")
_STEPS = "steps"


class StorageError(MusicCogError):
    """The shared storage is misconfigured or a key is not one of ours."""


def new_step_prefix() -> str:
    """A fresh, unguessable prefix for one step's objects."""
    return f"{_STEPS}/{secrets.token_hex(16)}"


def _checked(key: str) -> str:
    """Only keys this module's callers make (lower-case hex words and counters) are ever used."""
    if not _KEY.match(key):
        raise StorageError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    """Whole files and small blobs under keys; what both sides of a step use."""

    def put_file(self, key: str, path: Path) -> None: ...

    def get_file(self, key: str, path: Path) -> None: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes | None:
        """The blob, or None when there is none (yet)."""
        ...

    def delete_prefix(self, prefix: str) -> None: ...

    def sweep(self, older_than_s: float) -> int:
        """Delete step objects older than this (left by a crashed side); returns how many."""
        ...


class FolderStorage:
    """A folder every machine mounts. Writes land under a temporary name and are renamed into place, so a
    reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_checked(key).split("/"))

    def _place(self, target: Path, write: Any) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            write(partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def put_file(self, key: str, path: Path) -> None:
        self._place(self._path(key), lambda partial: shutil.copyfile(path, partial))

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(key), path)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._place(self._path(key), lambda partial: partial.write_bytes(data))

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def sweep(self, older_than_s: float) -> int:
        removed = 0
        now = time.time()
        for step in (self.root / _STEPS).glob("*"):
            try:
                if now - step.stat().st_mtime >= older_than_s:
                    shutil.rmtree(step, ignore_errors=True)
                    removed += 1
            except OSError:
                continue
        return removed


class S3Storage:
    """A bucket (and a prefix in it) on any S3-compatible server."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str | None = None) -> None:
        import boto3  # only when S3 is configured
        from boto3.s3.transfer import TransferConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self._transfer = TransferConfig(multipart_threshold=64 * 1024 * 1024, max_concurrency=4)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{_checked(key)}" if self.prefix else _checked(key)

    def put_file(self, key: str, path: Path) -> None:
        self._client.upload_file(str(path), self.bucket, self._key(key), Config=self._transfer)

    def get_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._client.download_file(self.bucket, self._key(key), str(path), Config=self._transfer)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get_bytes(self, key: str) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self._client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def _objects(self, prefix: str) -> list[dict[str, Any]]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item for page in pages for item in page.get("Contents", [])]

    def _delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": key} for key in keys[start : start + 1000]]
            self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})

    def delete_prefix(self, prefix: str) -> None:
        self._delete([item["Key"] for item in self._objects(self._key(prefix) + "/")])

    def sweep(self, older_than_s: float) -> int:
        cutoff = time.time() - older_than_s
        old = [
            item["Key"] for item in self._objects(self._key(_STEPS) + "/") if item["LastModified"].timestamp() < cutoff
        ]
        self._delete(old)
        return len(old)


def open_storage(location: str, *, s3_endpoint_url: str | None = None) -> Storage:
    """``/a/folder`` (or ``file:///a/folder``) or ``s3://bucket/prefix``."""
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise StorageError("MUSICCOG_STORAGE=s3://… needs a bucket name")
        return S3Storage(bucket, prefix, endpoint_url=s3_endpoint_url)
    folder = Path(location.removeprefix("file://")).expanduser()
    if not folder.is_absolute():
        raise StorageError("MUSICCOG_STORAGE must be an absolute folder or s3://bucket/prefix")
    folder.mkdir(parents=True, exist_ok=True)
    return FolderStorage(folder)
