"""``mvstudio``: the app, and headless ``render`` / ``analyze`` / ``plan`` / ``export`` /
``doctor`` commands.

Expected failures (bad input, FFmpeg errors, cancel) print one line and exit 2 (130 on Ctrl-C);
unexpected ones print one line too, with the traceback saved to a log file for a bug report.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import traceback
from pathlib import Path
from typing import Optional, Sequence

from mvstudio import __version__

EXIT_USAGE = 2
EXIT_CANCELLED = 130


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, got {text!r}") from None
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mvstudio", description="Beat-synchronised music videos from a song and a prompt. "
        "With no command, opens the app.")
    parser.add_argument("--version", action="version", version=f"MV Studio {__version__}")
    sub = parser.add_subparsers(dest="command")

    app = sub.add_parser("app", help="open the desktop app (the default)")
    app.add_argument("project", nargs="?", type=Path, help="a .mvstudio project or a song to open")

    render = sub.add_parser("render", help="render a video from a song, offline, without the app")
    render.add_argument("song", nargs="?", type=Path, help="the song (MP3, WAV, FLAC, OGG, M4A)")
    render.add_argument("--demo", action="store_true",
                        help="render the bundled demo song (synthesised on first use)")
    render.add_argument("--prompt", default=None, help="the creative prompt for the video")
    render.add_argument("--images", type=Path, default=None,
                        help="photo mode: a folder of your own pictures, used one per clip in "
                        "name order; with --template, --order or --pairs the best are chosen")
    render.add_argument("--order", choices=("given", "time"), default=None,
                        help="with --images: choose the best photos in name order or in the "
                        "order they were taken (EXIF)")
    render.add_argument("--pairs", action="store_true",
                        help="with --images: a first and a last photo per clip, the clip moving "
                        "from one to the other")
    render.add_argument("-o", "--output", type=Path, required=True, help="the MP4 to write")
    render.add_argument("--project", type=Path, default=None,
                        help="keep the work in this .mvstudio folder (reused and resumed if present)")
    render.add_argument("--size", type=_size, default=(1920, 1080), help="output size, e.g. 1920x1080")
    render.add_argument("--fps", type=int, default=30, help="output frame rate (default 30)")
    render.add_argument("--jobs", type=int, default=2, help="clips made at once (default 2)")
    render.add_argument("--seed", type=int, default=0, help="variation seed for the plan and stills")
    render.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    render.add_argument("--prompt-only", action="store_true",
                        help="no song: plan the video from --prompt alone and make a soundtrack "
                        "for it, offline unless --cloud-soundtrack (needs --duration)")
    render.add_argument("--cloud-soundtrack", action="store_true",
                        help="with --prompt-only and --project: make the soundtrack with MusicGen "
                        "on Replicate (paid: needs a Replicate token; the estimate is printed "
                        "first and the budget cap from the app's Settings holds)")
    _format_options(render)
    _story_options(render)

    plan = sub.add_parser("plan", help="plan a video for a song (or, with --duration and no song, "
                          "a prompt-only video with a music prompt per scene)")
    plan.add_argument("song", type=Path, nargs="?", help="the song to plan for")
    plan.add_argument("--prompt", required=True, help="the creative prompt for the video")
    _story_options(plan)
    plan.add_argument("--seed", type=int, default=0, help="variation seed for the plan")
    plan.add_argument("--fps", type=int, default=30, help="frame rate for the clip frames")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")

    analyze = sub.add_parser("analyze", help="analyse a song and print what was found")
    analyze.add_argument("song", type=Path)
    analyze.add_argument("--json", action="store_true", help="print the Audio Parser JSON")
    analyze.add_argument("--fps", type=int, default=30, help="frame rate for clip boundaries")
    analyze.add_argument("--lyrics", action="store_true",
                         help="transcribe the lyrics with OpenAI Whisper (needs an OpenAI key; "
                         "about $0.006 per minute)")
    analyze.add_argument("--cache", action=argparse.BooleanOptionalAction, default=True,
                         help="reuse the cached analysis of the same audio and settings "
                         "(default: on)")
    from mvstudio.tool_commands import add_commands

    add_commands(sub)  # export, doctor
    return parser


def _format_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aspect", default=None,
                        help="16:9 (1920x1080), 9:16 (1080x1920) or 1:1 (1080x1080); "
                        "overrides --size")
    parser.add_argument("--fit", default="crop",
                        help="crop (fill the frame, default) or pad (whole picture, black bars)")
    parser.add_argument("--quality", type=int, default=20,
                        help="H.264 CRF, 0-51, lower is better (default 20)")
    parser.add_argument("--audio-fade", type=float, default=0.0,
                        help="fade the song in and out over this many seconds (default 0)")
    parser.add_argument("--captions", default="sidecar",
                        help="sidecar (SRT/VTT beside the video when there are lyrics, default) "
                        "or burn (also drawn into the picture)")


def _render_options(args: argparse.Namespace):
    """The checked ``RenderOptions`` of a render command (``InputError`` on a bad value)."""
    from mvstudio.engine.render.options import RenderOptions

    return RenderOptions(aspect=args.aspect, fit=args.fit, crf=args.quality,
                         audio_fade=args.audio_fade, captions=args.captions).check()


def _story_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=None,
                        help="prompt-only: the video's length in seconds (5-600)")
    parser.add_argument("--template", default=None,
                        help="prompt-only: ad, story or mood (default: guessed from the prompt); "
                        "with --images: a scene template (property, wedding, tour)")
    parser.add_argument("--bpm", type=float, default=None,
                        help="prompt-only: the soundtrack's tempo (default: from the prompt's "
                        "genre or mood)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "app"
    try:
        if command == "render":
            return _render(args, parser)
        if command == "analyze":
            return _analyze(args)
        if command == "plan":
            return _plan(args, parser)
        if command in ("export", "doctor", "smoke"):
            from mvstudio.tool_commands import run

            return run(command, args)
        return _app(getattr(args, "project", None))
    except KeyboardInterrupt:
        print("mvstudio: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # noqa: BLE001 - the one place that turns errors into exit codes
        return _report_error(exc)


def _report_error(exc: BaseException) -> int:
    from mvstudio.engine.errors import Cancelled, MVError

    if isinstance(exc, Cancelled):
        print("mvstudio: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    if isinstance(exc, MVError):
        print(f"mvstudio: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    log = _save_crash_log(exc)
    where = f" (details in {log})" if log else ""
    print(f"mvstudio: internal error: {type(exc).__name__}: {exc}{where}".replace("\n", " "),
          file=sys.stderr)
    return 1


def _save_crash_log(exc: BaseException) -> Optional[Path]:
    try:
        from mvstudio.engine.userdirs import cache_dir

        path = cache_dir() / "crash.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return path
    except Exception:  # noqa: BLE001 - never fail while reporting a failure
        return None


def _render(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mvstudio.engine.events import CancelToken
    from mvstudio.engine.render_job import RenderJob, run_render_job
    from mvstudio.progress_bar import ProgressBar

    from mvstudio.engine.render.options import ASPECTS

    options = _render_options(args)
    song, prompt = _render_input(args, parser)
    width, height = ASPECTS.get(options.aspect, args.size)
    job = RenderJob(song=song, prompt=prompt, output=args.output, images=args.images,
                    project_dir=args.project, fps=args.fps, width=width, height=height,
                    concurrency=max(1, args.jobs), seed=args.seed,
                    settings=_photo_settings(args, parser), options=options)
    cancel = CancelToken()
    if args.prompt_only:
        from mvstudio.engine.prompt_job import run_prompt_only_job

        story = None if args.images else args.template  # with photos: a scene template
        work = run_prompt_only_job(job, args.duration, bpm=args.bpm, template=story,
                                   cloud=args.cloud_soundtrack, sink=ProgressBar(), cancel=cancel)
    else:
        work = run_render_job(job, ProgressBar(), cancel)
    try:
        summary = asyncio.run(work)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    if args.json:
        print(json.dumps(dataclasses.asdict(summary), indent=2))
    else:
        print(f"wrote {summary.output} ({summary.duration:.2f} s, {len(summary.clips)} clips, "
              f"{summary.bpm:.1f} BPM)", file=sys.stderr)
    if summary.render.get("audit"):
        print(summary.render["audit"]["summary"], file=sys.stderr)
    return 0


def _render_input(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[Path, str]:
    """The song and the prompt a render asks for (a usage error exits with 2)."""
    prompt = args.prompt
    _check_cloud_soundtrack(args, parser)
    if args.prompt_only:
        if args.demo or args.song is not None:
            parser.error("--prompt-only renders without a song: leave out SONG and --demo")
        if args.duration is None:
            parser.error("--prompt-only needs --duration SECONDS")
        song = Path()  # the soundtrack, made by the job
    elif args.duration is not None or args.bpm is not None or (args.template and not args.images):
        parser.error("--duration and --bpm go with --prompt-only, --template with --prompt-only "
                     "or --images")
    elif args.demo == (args.song is not None):
        parser.error("render needs a SONG or --demo (not both)")
    elif args.demo:
        song, demo_prompt = _demo_song()
        prompt = prompt or demo_prompt
    else:
        song = args.song
    if not prompt and args.images and args.template:
        from mvstudio.engine.photos.templates import get_template

        prompt = get_template(args.template).prompt
    if not prompt:
        parser.error("render needs --prompt TEXT (a sentence describing the video)")
    return song, prompt


def _check_cloud_soundtrack(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """A paid soundtrack only for a prompt-only story video kept in a project (its cost ledger,
    and the pieces an interrupted run goes on from)."""
    if not args.cloud_soundtrack:
        return
    if not args.prompt_only or args.images:
        parser.error("--cloud-soundtrack goes with --prompt-only (and no --images)")
    if args.project is None:
        parser.error("--cloud-soundtrack needs --project DIR: the project keeps what was paid "
                     "and lets an interrupted run go on without paying twice")


def _photo_settings(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict:
    """A new project's photo-library settings when ``--images`` comes with a way of choosing
    (``--template``, ``--order``, ``--pairs``); else none (every picture, in name order)."""
    if (args.order or args.pairs) and not args.images:
        parser.error("--order and --pairs go with --images")
    if not args.images or not (args.template or args.order or args.pairs):
        return {}
    from mvstudio.engine.photos.mode import PhotoMode, check_mode, mode_settings

    mode = check_mode(PhotoMode(sources=[str(args.images.resolve())], template=args.template or "",
                                order=args.order or "given", pairs=args.pairs))
    return mode_settings({}, mode)


def _plan(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mvstudio.engine.planning.prompt_only import plan_json, plan_prompt_only

    if args.song is not None:
        return _plan_song(args)
    if args.duration is None:
        parser.error("plan needs a SONG, or --duration SECONDS for a prompt-only video")
    analysis, plan = plan_prompt_only(args.prompt, args.duration, args.seed, bpm=args.bpm,
                                      template=args.template, fps=args.fps)
    data = plan_json(analysis, plan)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"{data['summary']}\n{data['duration']:.1f} s at {data['bpm']:g} BPM, "
          f"{len(data['scenes'])} scenes, {len(data['clips'])} clips")
    for scene in data["scenes"]:
        print(f"{scene['start']:7.2f}-{scene['end']:7.2f}  {scene['name']} [{scene['energy']}]"
              f"\n    music: {scene['music_prompt']}")
    return 0


def _plan_song(args: argparse.Namespace) -> int:
    """``plan SONG``: analyse (cached), plan with the configured planner (the rule director when
    it fails or there is no key), print the plan."""
    from mvstudio.engine.analysis.cache import analyze_cached
    from mvstudio.engine.planning.fallback import plan_or_fall_back
    from mvstudio.engine.planning.report import plan_report
    from mvstudio.engine.providers import providers_for
    from mvstudio.engine.settings import load_settings
    from mvstudio.progress_bar import ProgressBar

    settings = load_settings()
    analysis, _ = analyze_cached(args.song, args.fps, settings.analysis_settings(), ProgressBar())
    planner = providers_for(settings=settings).planner
    warn = lambda why: print(f"mvstudio: warning: {why}", file=sys.stderr)  # noqa: E731
    plan = asyncio.run(plan_or_fall_back(planner, analysis, args.prompt, args.seed, warn=warn))
    report = plan_report(analysis, plan, settings.default_video_model)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['summary']}\n{len(report['clips'])} clips at {report['bpm']:g} BPM, planned by "
          f"{report['origin']}" + "".join(f"\n  note: {n}" for n in report["notes"]))
    for clip in report["clips"]:
        print(f"{clip['start']:7.2f}-{clip['end']:7.2f}  [{clip['section']}] "
              f"{clip['visual_description']}")
    return 0


def _demo_song() -> tuple[Path, str]:
    from mvstudio.engine.demo import DEMO_PROMPT, ensure_demo_song

    return ensure_demo_song(), DEMO_PROMPT


def _analyze(args: argparse.Namespace) -> int:
    import time

    from mvstudio.engine.analysis.cache import AnalysisCache, analyze_cached
    from mvstudio.engine.analysis.parser_json import audio_parser_json
    from mvstudio.engine.settings import load_settings
    from mvstudio.progress_bar import ProgressBar

    began = time.monotonic()
    transcriber = _transcriber() if args.lyrics else None  # a missing key fails before the work
    cache = AnalysisCache() if args.cache else None
    settings = load_settings().analysis_settings()
    if cache is not None:
        analysis, hit = analyze_cached(args.song, args.fps, settings, ProgressBar(), cache=cache)
    else:
        from mvstudio.engine.analysis.analyze import analyze

        analysis, hit = analyze(args.song, args.fps, settings, ProgressBar()), False
    if transcriber is not None:
        from mvstudio.engine.analysis.lyrics import song_lyrics

        analysis.lyrics = asyncio.run(song_lyrics(args.song, transcriber,
                                                  audio_hash=analysis.audio_hash, cache=cache))
    data = audio_parser_json(analysis, cache_hit=hit,
                             processing_time=time.monotonic() - began if hit else None)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"{args.song.name}: {data['duration']:.1f} s, {data['bpm']:.1f} BPM, "
              f"{len(data['beat_timestamps'])} beats, {len(data['song_structure'])} sections, "
              f"mood {data['mood']['primary']}, {len(data['clip_boundaries'])} clips"
              + (f", {len(data['lyrics'])} lyric lines" if args.lyrics else ""))
    return 0


def _transcriber():
    """OpenAI transcription (key from the keyring or OPENAI_API_KEY; OPENAI_BASE_URL honoured)."""
    from mvstudio.engine.analysis.lyrics import keyed_transcriber
    from mvstudio.engine.errors import InputError

    transcriber = keyed_transcriber()
    if transcriber is None:
        raise InputError("--lyrics needs an OpenAI API key: store it in the app's settings or set "
                         "OPENAI_API_KEY")
    return transcriber


def _app(project: Optional[Path]) -> int:
    try:
        from mvstudio.ui.app import run_app
    except ImportError as exc:
        print(f"mvstudio: error: the desktop app cannot start: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_app(project)
