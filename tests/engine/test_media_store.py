"""Content-addressed media: names, dedupe, verify, adoption, garbage and disk failures."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile

import pytest

from mvstudio.engine.errors import StoreError
from mvstudio.engine.store import media as media_mod
from mvstudio.engine.store.media import MediaStore


@pytest.fixture
def store(tmp_path) -> MediaStore:
    return MediaStore(tmp_path / "media")


def test_put_names_by_content_and_dedupes(store, tmp_path):
    name = store.put_bytes(b"frame data", "PNG")
    assert name == hashlib.sha256(b"frame data").hexdigest() + ".png"
    assert store.path(name).read_bytes() == b"frame data" and store.verify(name)
    src = tmp_path / "Take 1.PNG"
    src.write_bytes(b"frame data")
    assert store.put_file(src) == name  # extension from the suffix, lower-cased
    assert store.put_file(src, "jpg") != name
    assert len(store.names()) == 2 and not list(store.root.glob(".*"))


def test_tampered_or_missing_file_fails_verify(store):
    name = store.put_bytes(b"original", "mp4")
    store.path(name).write_bytes(b"originaL")
    assert not store.verify(name)
    assert not store.verify("0" * 64 + ".mp4")


def test_adopt_moves_the_file_in(store, tmp_path):
    tmp = tmp_path / "download.part"
    tmp.write_bytes(b"video")
    name = store.adopt(tmp, "mp4")
    assert not tmp.exists() and store.verify(name)
    tmp.write_bytes(b"video")
    assert store.adopt(tmp, "mp4") == name and not tmp.exists()
    assert store.names() == [name]


def test_adopt_across_disks_copies_then_deletes(store, tmp_path, monkeypatch):
    tmp = tmp_path / "download.part"
    tmp.write_bytes(b"far away")
    real_replace = os.replace

    def cross_device(src, dst):
        if str(src) == str(tmp):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", cross_device)
    name = store.adopt(tmp, "bin")
    assert store.verify(name) and not tmp.exists()


def test_unused_lists_unreferenced_files(store):
    keep = store.put_bytes(b"keep", "png")
    drop = store.put_bytes(b"drop", "png")
    (store.root / ".incoming-x.part").write_bytes(b"partial")
    assert store.unused({keep}) == [drop]
    store.remove(drop)
    assert store.names() == [keep]


def test_names_that_escape_the_folder_are_refused(store):
    with pytest.raises(StoreError):
        store.path("../project.db")
    assert not store.exists("../project.db")


class _FullDiskFile:
    """A file object whose writes fail the way a full disk does."""

    def __init__(self, real):
        self.real = real

    def write(self, _data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()


def test_full_disk_is_a_one_line_store_error_and_leaves_no_file(store, tmp_path, monkeypatch):
    src = tmp_path / "song.wav"
    src.write_bytes(b"x" * 5000)
    store.put_bytes(b"already here", "png")
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: _FullDiskFile(real_fdopen(*a, **k)))
    with pytest.raises(StoreError) as err:
        store.put_file(src)
    message = str(err.value)
    assert "song.wav" in message and "disk is full" in message and "\n" not in message
    assert [p.name for p in store.root.iterdir()] == store.names() and len(store.names()) == 1


def test_permission_error_names_the_file(store, tmp_path, monkeypatch):
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"clip")

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(StoreError, match="clip.mp4.*Permission denied"):
        store.put_file(src)


def test_failed_fsync_removes_the_temp_file(store, monkeypatch):
    def no_space(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media_mod.os, "fsync", no_space)
    with pytest.raises(StoreError, match="disk is full"):
        store.put_bytes(b"data", "bin")
    assert list(store.root.iterdir()) == []
