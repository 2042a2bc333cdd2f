"""The project archive opens on another machine; ``mvstudio export`` writes every format."""

from __future__ import annotations

import zipfile

import opentimelineio as otio
import pytest

from mvstudio.cli import main
from mvstudio.engine.errors import InputError
from mvstudio.engine.export import FORMATS, export_project
from mvstudio.engine.export.archive import archived_files
from mvstudio.engine.store.project_file import open_project
from test_export import make_store


@pytest.fixture
def saved(tmp_path):
    store, project = make_store(tmp_path / "here")
    yield store, project
    store.close()


def test_the_archive_unzips_into_a_project_that_opens_elsewhere(saved, tmp_path):
    store, project = saved
    folder = store.folder
    (folder / "recovery.json").write_text("{}")  # autosave, scratch and upgrade backups stay out
    (folder / "project.db.v3.bak").write_bytes(b"old")
    (folder / "media" / ".incoming-1234").write_bytes(b"half a file")
    (folder / ".work").mkdir()
    (folder / ".work" / "x.png").write_bytes(b"scratch")
    (folder / "renders").mkdir()
    (folder / "renders" / "preview.mp4").write_bytes(b"a preview")
    project.prompt = "changed but not saved"  # the archive holds the project as saved

    out = export_project(store, project, "zip", tmp_path / "Export.zip")
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        assert zf.testzip() is None
        zf.extractall(tmp_path / "elsewhere")
    top = folder.name
    media = {f"{top}/media/{n}" for n in store.media.names()}
    assert names == {f"{top}/project.db", f"{top}/media/", f"{top}/renders/preview.mp4", *media}
    assert [p.as_posix() for p in archived_files(folder)] == sorted(
        ["renders/preview.mp4", *(f"media/{n}" for n in store.media.names())])

    with open_project(tmp_path / "elsewhere" / top) as copy:
        assert copy.load() == store.load()
        assert copy.load().prompt == "a night ride"
        assert all(copy.media.verify(n) for n in store.media.names())


def test_an_archive_inside_its_own_project_is_refused(saved):
    store, project = saved
    with pytest.raises(InputError, match="inside the project folder"):
        export_project(store, project, "zip", store.folder / "renders" / "self.zip")


def test_the_export_command_writes_every_format(saved, tmp_path, capsys):
    store, _ = saved
    store.close()  # the command opens the project itself
    for suffix, _ in FORMATS.values():
        out = tmp_path / f"out{suffix}"
        assert main(["export", str(store.folder), "-o", str(out)]) == 0, capsys.readouterr().err
        assert out.stat().st_size > 0
    assert main(["export", str(store.folder), "--format", "otio", "-o",
                 str(tmp_path / "timeline.json")]) == 0
    timeline = otio.adapters.read_from_file(str(tmp_path / "timeline.json"), "otio_json")
    assert len(timeline.video_tracks()[0].find_clips()) > 1


@pytest.mark.parametrize("args, words", [
    (["-o", "{tmp}/out.mov"], "cannot tell the export format"),
    (["-o", "{tmp}/missing/out.otio"], "does not exist"),
])
def test_export_failures_are_one_line_and_exit_2(saved, tmp_path, capsys, args, words):
    store, _ = saved
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["export", str(store.folder), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mvstudio: error: ") and words in err[0], err


def test_exporting_a_folder_that_is_no_project_fails_cleanly(tmp_path, capsys):
    assert main(["export", str(tmp_path), "-o", str(tmp_path / "x.otio")]) == 2
    assert "not an MV Studio project" in capsys.readouterr().err
