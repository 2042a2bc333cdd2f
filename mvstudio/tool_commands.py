"""The ``export``, ``doctor`` and (hidden) ``smoke`` commands of ``mvstudio`` (see ``cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional

HIDDEN = ("smoke",)


def add_commands(sub) -> None:
    """Add the commands to ``sub`` (the subparsers of ``cli.build_parser``), last."""
    from mvstudio.engine.export import FORMATS

    export = sub.add_parser("export", help="export a project: its timeline for an editor, its "
                            "lyrics as subtitles, or the whole project as a .zip")
    export.add_argument("project", type=Path, help="the .mvstudio project folder")
    export.add_argument("--format", choices=list(FORMATS), default=None,
                        help="otio, fcpxml, edl, srt, vtt or zip (default: from the -o suffix)")
    export.add_argument("-o", "--output", type=Path, required=True, help="the file to write")

    doctor = sub.add_parser("doctor", help="check FFmpeg, keys, folders and caches")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")

    smoke = sub.add_parser("smoke")  # the packaged app's self-test, see ui/smoke.py
    smoke.add_argument("--out", type=Path, required=True)
    sub.metavar = "{" + ",".join(n for n in sub.choices if n not in HIDDEN) + "}"


def run(command: str, args: argparse.Namespace) -> Optional[int]:
    """The exit code of ``command``, or None when it is not one of these."""
    if command == "export":
        return _export(args)
    if command == "doctor":
        return _doctor(args)
    if command == "smoke":
        from mvstudio.ui.smoke import run_smoke

        return run_smoke(args.out)
    return None


def _export(args: argparse.Namespace) -> int:
    from mvstudio.engine.export import export_project, format_for
    from mvstudio.engine.store.project_file import open_project

    fmt = format_for(args.output, args.format)  # a bad name fails before the project is opened
    with open_project(args.project) as store:
        export_project(store, store.load(), fmt, args.output)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from mvstudio.engine.doctor import as_json, healthy, report, run_checks

    checks = run_checks()
    print(json.dumps(as_json(checks), indent=2) if args.json else report(checks))
    if not healthy(checks):
        print("mvstudio: doctor: something essential is broken (the 'fail' lines)",
              file=sys.stderr)
        return 1
    return 0
