"""A project's work in other tools' formats: editors' timelines, lyrics as subtitles, an archive.

``export_project(store, project, fmt, out)`` writes one format; the file appears only when it is
complete (``render.output.atomic_output``).  Timelines go through OpenTimelineIO
(``export.timeline``), subtitles are written here (``export.subtitles``), the archive zips the
saved project folder (``export.archive``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

from mvstudio.engine.errors import InputError
from mvstudio.engine.render.output import atomic_output

if TYPE_CHECKING:  # kept light: the CLI reads FORMATS while it builds its parser
    from mvstudio.engine.model import Project
    from mvstudio.engine.store.project_file import ProjectFile

# format -> (file suffix, what it is)
FORMATS = {
    "otio": (".otio", "OpenTimelineIO timeline"),
    "fcpxml": (".fcpxml", "Final Cut Pro X XML"),
    "edl": (".edl", "CMX 3600 EDL"),
    "srt": (".srt", "SubRip subtitles (lyrics)"),
    "vtt": (".vtt", "WebVTT subtitles (lyrics)"),
    "zip": (".zip", "project archive"),
}


def format_for(out: Path, fmt: Optional[str] = None) -> str:
    """``fmt`` checked, or the format that ``out``'s suffix names."""
    if fmt is None:
        fmt = next((f for f, (suffix, _) in FORMATS.items() if out.suffix.lower() == suffix), None)
        if fmt is None:
            raise InputError(f"cannot tell the export format from '{out.name}': use one of "
                             + ", ".join(s for s, _ in FORMATS.values()))
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    return fmt


def export_project(store: "ProjectFile", project: "Project", fmt: str, out: Path | str) -> Path:
    """Write ``project`` (open in ``store``) to ``out`` as ``fmt``; returns ``out``.

    The archive is of the project as saved in ``store``; every other format is of ``project``.
    """
    out = Path(out)
    fmt = format_for(out, fmt)
    if out.is_dir():
        raise InputError(f"cannot export to {out}: it is a folder")
    if fmt == "zip" and out.resolve().is_relative_to(store.folder.resolve()):
        raise InputError("the archive cannot be written inside the project folder it archives")
    with atomic_output(out) as temp:
        if fmt in ("otio", "fcpxml", "edl"):
            from mvstudio.engine.export.timeline import write_timeline

            write_timeline(project, store.media, fmt, temp)
        elif fmt in ("srt", "vtt"):
            from mvstudio.engine.export import subtitles

            text = getattr(subtitles, fmt)(project.analysis)
            temp.write_text(text, encoding="utf-8")
        else:
            from mvstudio.engine.export.archive import write_archive

            write_archive(store, temp)
    return out
