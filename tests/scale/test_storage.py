"""Shared storage, both kinds, for real: a folder, and S3 through moto's server on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from bot.scale.storage import FolderStorage, Storage, StorageError, new_step_prefix, open_storage


@pytest.fixture(params=["folder", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "folder":
        yield open_storage(str(tmp_path / "shared"))
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"b{os.getpid()}-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    yield open_storage(f"s3://{bucket}/musiccog", s3_endpoint_url=endpoint)


def test_files_and_blobs_round_trip(storage: Storage, tmp_path: Path) -> None:
    prefix = new_step_prefix()
    source = tmp_path / "clip.bin"
    source.write_bytes(os.urandom(300_000))
    storage.put_file(f"{prefix}/in/0", source)
    storage.put_bytes(f"{prefix}/call", b"call")
    copy = tmp_path / "back" / "clip.bin"
    storage.get_file(f"{prefix}/in/0", copy)
    assert copy.read_bytes() == source.read_bytes()
    assert storage.get_bytes(f"{prefix}/call") == b"call"
    assert storage.get_bytes(f"{prefix}/result") is None
    storage.delete_prefix(prefix)
    assert storage.get_bytes(f"{prefix}/call") is None
    assert storage.sweep(0.0) == 0


def test_prefixes_are_unguessable_and_keys_only_ours(storage: Storage) -> None:
    prefixes = {new_step_prefix() for _ in range(100)}
    assert len(prefixes) == 100 and all(len(p.rsplit("/", 1)[1]) == 32 for p in prefixes)
    for bad in ("../etc/passwd", "steps/ABC", "steps//x", "/abs", "steps/a b", "steps/x/", "step\u00e9"):
        with pytest.raises(StorageError):
            storage.put_bytes(bad, b"x")


def test_sweep_deletes_only_old_steps(storage: Storage) -> None:
    old, fresh = new_step_prefix(), new_step_prefix()
    storage.put_bytes(f"{old}/call", b"old")
    if isinstance(storage, FolderStorage):
        stale = time.time() - 7200
        os.utime(storage.root / old, (stale, stale))
        assert storage.sweep(3600.0) == 1
    else:
        time.sleep(1.1)
        assert storage.sweep(0.5) == 1
    storage.put_bytes(f"{fresh}/call", b"fresh")
    assert storage.get_bytes(f"{old}/call") is None
    assert storage.get_bytes(f"{fresh}/call") == b"fresh"


def test_a_relative_folder_or_a_bucketless_url_is_refused() -> None:
    with pytest.raises(StorageError):
        open_storage("relative/folder")
    with pytest.raises(StorageError):
        open_storage("s3:///prefix")
