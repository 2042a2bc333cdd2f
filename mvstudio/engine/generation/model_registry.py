"""The cloud models MV Studio can run, as data: ``resources/models.json``.

An entry names the model (``ref`` owner/name; ``version`` hash where the model needs one), maps our
request onto its inputs (``inputs``: our field -> its input name; ``fixed``: constant inputs;
``when_given``: inputs added when one of our fields is given), states its limits (``seconds`` as
a list or a ``{min, max, step}`` range, or ``frames`` as a range at ``fps``;
``seconds_by_resolution``; ``resolutions``, ``aspect_ratios``, ``sizes``) and its price (``per``
image, video, second of output or gpu_second of ``metrics.predict_time``; ``usd`` a number or one
per resolution).

A ``models.json`` in the user config folder overrides entries key by key (or adds whole new ones),
so a new version hash or price needs no new release; a broken file is one ``RegistryError`` line
naming the file, the model and the problem.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from mvstudio.engine.errors import ProviderError
from mvstudio.engine.resources import load_json, resources_dir

FILE_FIELDS = ("image", "last_image", "reference", "audio")
FIELDS = {"prompt", "negative_prompt", "seed", "seconds", "frames", "fps", "resolution",
          "aspect_ratio", "width", "height", *FILE_FIELDS}
KINDS = {"image", "video", "music"}
PRICE_UNITS = {"image", "video", "second", "gpu_second"}
_REF = re.compile(r"^[\w.-]+/[\w.-]+$")
_VERSION = re.compile(r"^[0-9a-f]{64}$")
USER_FILE = "models.json"


class RegistryError(ProviderError):
    """The model table (bundled or the user's) is broken, or names no such model."""


@dataclass(frozen=True)
class Job:
    """A request as the registry sees it: an ``ImageRequest``, ``ClipRequest`` or music request."""

    prompt: str
    seed: Optional[int] = None
    width: int = 0
    height: int = 0
    seconds: Optional[float] = None
    negative_prompt: str = ""
    files: Mapping[str, Path] = field(default_factory=dict)  # FILE_FIELDS that are given


def job_of(request: Any) -> Job:
    """The ``Job`` of any request object (fields it lacks count as not given)."""
    seconds = getattr(request, "seconds", None)
    frames, fps = getattr(request, "frames", None), getattr(request, "fps", None)
    if seconds is None and frames and fps:
        seconds = frames / fps
    files = {name: Path(p) for name in FILE_FIELDS if (p := getattr(request, name, None))}
    return Job(prompt=request.prompt, seed=getattr(request, "seed", None),
               width=getattr(request, "width", 0), height=getattr(request, "height", 0),
               seconds=seconds, negative_prompt=getattr(request, "negative_prompt", "") or "",
               files=files)


@dataclass(frozen=True)
class Price:
    per: str
    usd: float | Mapping[str, float]
    typical_gpu_seconds: float = 0.0
    gpu_seconds_per_output_second: float = 0.0

    def rate(self, resolution: Optional[str]) -> float:
        if isinstance(self.usd, Mapping):
            return float(self.usd.get(resolution or "", max(self.usd.values())))
        return float(self.usd)


@dataclass(frozen=True)
class ModelSpec:
    key: str
    kind: str
    ref: str
    price: Price
    version: Optional[str] = None
    inputs: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    when_given: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    durations: tuple[float, ...] = ()  # every length it can make, in seconds, ascending
    by_resolution: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    fps: Optional[int] = None
    resolutions: tuple[str, ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    sizes: tuple[tuple[int, int], ...] = ()
    timeout: float = 600.0
    about: str = ""

    @property
    def first_frame(self) -> bool:
        return "image" in self.inputs

    @property
    def last_frame(self) -> bool:
        return "last_image" in self.inputs

    @property
    def identifier(self) -> str:
        """``owner/name`` or ``owner/name:version``."""
        return f"{self.ref}:{self.version}" if self.version else self.ref

    def fingerprint(self) -> str:
        """Provider, model, version and a digest of the input mapping (all change the output)."""
        mapping = json.dumps([self.inputs, self.fixed, self.when_given], sort_keys=True)
        return (f"replicate:{self.ref}:{self.version or 'latest'}:"
                f"{hashlib.sha256(mapping.encode()).hexdigest()[:12]}")


# ---------------------------------------------------------------------------------- loading


def _number(value: Any, least: float = 0.0) -> bool:
    """``value`` is a number (not a bool) >= ``least``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= least


def _expand(spec: Any, where: str) -> tuple[float, ...]:
    """A list of numbers, or a ``{min, max, step}`` range, as ascending values."""
    if isinstance(spec, dict):
        lo, hi, step = spec.get("min"), spec.get("max"), spec.get("step", 1)
        if not all(_number(v, 1e-9) for v in (lo, hi, step)) or hi < lo:
            raise ValueError(f"{where} must be {{min, max, step}} with 0 < min <= max, step > 0")
        return tuple(lo + i * step for i in range(int((hi - lo) / step + 1e-9) + 1))
    if isinstance(spec, list) and spec and all(_number(v, 1e-9) for v in spec):
        return tuple(sorted(spec))
    raise ValueError(f"{where} must be a list of positive numbers or {{min, max, step}}")


def _price(raw: Any) -> Price:
    if not isinstance(raw, dict) or raw.get("per") not in PRICE_UNITS:
        raise ValueError(f"price.per must be one of {', '.join(sorted(PRICE_UNITS))}")
    usd = raw.get("usd")
    values = list(usd.values()) if isinstance(usd, dict) and usd else [usd]
    if not all(_number(v) for v in values):
        raise ValueError("price.usd must be a number >= 0, or one per resolution")
    return Price(raw["per"], dict(usd) if isinstance(usd, dict) else float(usd),
                 float(raw.get("typical_gpu_seconds", 0)),
                 float(raw.get("gpu_seconds_per_output_second", 0)))


def _durations(raw: dict) -> tuple[tuple[float, ...], Optional[int]]:
    fps = raw.get("fps")
    if fps is not None and (not isinstance(fps, int) or fps <= 0):
        raise ValueError("fps must be a positive whole number")
    if "frames" in raw:
        if fps is None:
            raise ValueError("'frames' needs 'fps'")
        return tuple(n / fps for n in _expand(raw["frames"], "frames")), fps
    if "seconds" in raw:
        return _expand(raw["seconds"], "seconds"), fps
    if raw["kind"] != "image":
        raise ValueError("a video or music model needs 'seconds' or 'frames'")
    return (), fps


def parse_model(key: str, raw: Any) -> ModelSpec:
    """One validated entry; ``ValueError`` with the problem otherwise."""
    if not isinstance(raw, dict):
        raise ValueError("must be an object")
    if raw.get("kind") not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(KINDS))}")
    if not isinstance(raw.get("ref"), str) or not _REF.match(raw["ref"]):
        raise ValueError("ref must be 'owner/name'")
    version = raw.get("version")
    if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
        raise ValueError("version must be a 64-character hex hash")
    inputs = raw.get("inputs")
    if not isinstance(inputs, dict) or "prompt" not in inputs or not all(
            isinstance(v, str) and v for v in inputs.values()):
        raise ValueError("inputs must map at least 'prompt' to the model's input names")
    unknown = sorted(set(inputs) - FIELDS) + sorted(set(raw.get("when_given", {})) - FIELDS)
    if unknown:
        raise ValueError(f"unknown field '{unknown[0]}' (known: {', '.join(sorted(FIELDS))})")
    for name in ("fixed", "when_given", "seconds_by_resolution"):
        if not isinstance(raw.get(name, {}), dict):
            raise ValueError(f"{name} must be an object")
    if not all(isinstance(v, dict) for v in raw.get("when_given", {}).values()):
        raise ValueError("when_given must map fields to objects of inputs")
    durations, fps = _durations(raw)
    resolutions = tuple(raw.get("resolutions", ()))
    by_resolution = {res: _expand(v, f"seconds_by_resolution.{res}")
                     for res, v in raw.get("seconds_by_resolution", {}).items()}
    if "resolution" in inputs and not resolutions:
        raise ValueError("maps 'resolution' but lists no resolutions")
    if any(_lines(r) is None for r in resolutions):
        raise ValueError("resolutions must look like '720p'")
    sizes = tuple(tuple(s) for s in raw.get("sizes", ()))
    if not all(len(s) == 2 and all(isinstance(v, int) and v > 0 for v in s) for s in sizes):
        raise ValueError("sizes must be [width, height] pairs")
    timeout = raw.get("timeout", 600)
    if not _number(timeout, 1e-9):
        raise ValueError("timeout must be a number of seconds > 0")
    return ModelSpec(
        key=key, kind=raw["kind"], ref=raw["ref"], price=_price(raw.get("price")),
        version=version, inputs=dict(inputs), fixed=dict(raw.get("fixed", {})),
        when_given=dict(raw.get("when_given", {})), durations=durations,
        by_resolution=by_resolution, fps=fps, resolutions=resolutions,
        aspect_ratios=tuple(raw.get("aspect_ratios", ())), sizes=sizes, timeout=float(timeout),
        about=str(raw.get("about", "")))


def user_file() -> Path:
    from mvstudio.engine.userdirs import config_dir

    return config_dir() / USER_FILE


def _read_user_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise RegistryError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise RegistryError(f"{path}: needs an object \"models\" of model entries")
    return data["models"]


def load_registry(user: Optional[Path] = None) -> dict[str, ModelSpec]:
    """Every model: the bundled table with the user's file (``user`` or the config folder's)
    laid over it entry by entry."""
    entries = copy.deepcopy(load_json("models.json")["models"])
    sources = {key: str(resources_dir() / "models.json") for key in entries}
    path = user if user is not None else user_file()
    if path.is_file():
        for key, override in _read_user_file(path).items():
            if isinstance(override, dict) and isinstance(entries.get(key), dict):
                entries[key] = {**entries[key], **override}
            else:
                entries[key] = override
            sources[key] = str(path)
    models = {}
    for key, raw in entries.items():
        try:
            models[key] = parse_model(key, raw)
        except ValueError as exc:
            raise RegistryError(f"{sources[key]}: model '{key}': {exc}") from None
    return models


def get_model(key: str, registry: Optional[Mapping[str, ModelSpec]] = None) -> ModelSpec:
    registry = load_registry() if registry is None else registry
    if key not in registry:
        raise RegistryError(f"unknown model '{key}' (known: {', '.join(sorted(registry))})")
    return registry[key]


def find_model(name: str, kind: str,
               registry: Optional[Mapping[str, ModelSpec]] = None) -> ModelSpec:
    """The ``kind`` model called ``name``: a registry key, or an ``owner/name`` ref (as the
    settings may hold one)."""
    registry = load_registry() if registry is None else registry
    name = name.strip()
    spec = registry.get(name) or next((m for m in registry.values()
                                       if m.ref == name and m.kind == kind), None)
    if spec is None or spec.kind != kind:
        known = ", ".join(sorted(k for k, m in registry.items() if m.kind == kind))
        raise RegistryError(f"unknown {kind} model '{name}' (known: {known})")
    return spec


# ---------------------------------------------------------------------------------- choices


def _lines(resolution: str) -> Optional[int]:
    match = re.fullmatch(r"(\d+)p", resolution)
    return int(match.group(1)) if match else None


def choose_resolution(model: ModelSpec, width: int, height: int,
                      preferred: Optional[str] = None) -> Optional[str]:
    """``preferred`` if the model has it, else the smallest that covers the frame's short side
    (else the largest); None for a model without resolutions."""
    if not model.resolutions:
        return None
    if preferred in model.resolutions:
        return preferred
    ranked = sorted(model.resolutions, key=_lines)
    short = min(width, height) if width and height else 0
    return next((r for r in ranked if _lines(r) >= short), ranked[-1])


def allowed_seconds(model: ModelSpec, resolution: Optional[str] = None) -> tuple[float, ...]:
    return model.by_resolution.get(resolution or "", model.durations)


def choose_duration(model: ModelSpec, wanted: float,
                    resolution: Optional[str] = None) -> Optional[float]:
    """The shortest allowed length >= ``wanted``, else the longest (the composer fits the
    rest); None for a model that makes stills."""
    allowed = allowed_seconds(model, resolution)
    if not allowed:
        return None
    return next((s for s in allowed if s >= wanted - 1e-9), allowed[-1])


def _ratio(text: str) -> Optional[float]:
    match = re.fullmatch(r"(\d+):(\d+)", text)
    return int(match.group(1)) / int(match.group(2)) if match else None


def nearest_aspect(ratios: tuple[str, ...], width: int, height: int) -> Optional[str]:
    """The listed ``w:h`` closest (in log ratio) to ``width``x``height``."""
    usable = [r for r in ratios if _ratio(r)]
    if not usable or not width or not height:
        return None
    return min(usable, key=lambda r: abs(math.log(_ratio(r) * height / width)))


def nearest_size(sizes: tuple[tuple[int, int], ...], width: int,
                 height: int) -> Optional[tuple[int, int]]:
    if not sizes or not width or not height:
        return None
    return min(sizes, key=lambda s: abs(math.log(s[0] * height / (s[1] * width))))


# ---------------------------------------------------------------------------------- use


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 3)


def build_input(model: ModelSpec, request: Any, uploaded_urls: Mapping[str, str],
                resolution: Optional[str] = None) -> dict[str, Any]:
    """The model's ``input`` for ``request``; ``uploaded_urls`` gives the URL (or data URI) of
    each file field of the request (see ``files_to_send``)."""
    job = job_of(request)
    res = choose_resolution(model, job.width, job.height, resolution)
    values: dict[str, Any] = {"prompt": job.prompt, "seed": job.seed, "resolution": res,
                              "negative_prompt": job.negative_prompt or None,
                              "aspect_ratio": nearest_aspect(model.aspect_ratios, job.width,
                                                             job.height)}
    if job.seconds is not None:
        seconds = choose_duration(model, job.seconds, res)
        if seconds is not None:
            values["seconds"] = _plain(seconds)
            values["fps"] = model.fps
            values["frames"] = round(seconds * model.fps) if model.fps else None
    size = nearest_size(model.sizes, job.width, job.height)
    if size:
        values["width"], values["height"] = size
    for name in FILE_FIELDS:
        if name in job.files:
            values[name] = uploaded_urls[name]
    out = dict(model.fixed)
    for ours, theirs in model.inputs.items():
        if values.get(ours) is not None:
            out[theirs] = values[ours]
    for ours, extra in model.when_given.items():
        if values.get(ours) is not None:
            out.update(extra)
    return out


def files_to_send(model: ModelSpec, request: Any) -> dict[str, Path]:
    """The request's files that the model takes (field -> path)."""
    return {k: p for k, p in job_of(request).files.items() if k in model.inputs}


def cost(model: ModelSpec, *, outputs: int = 1, seconds: float = 0.0,
         predict_time: Optional[float] = None, resolution: Optional[str] = None) -> float:
    """USD for a finished prediction: per output, per second of output, or per GPU second."""
    price = model.price
    rate = price.rate(resolution)
    if price.per in ("image", "video"):
        return rate * outputs
    if price.per == "second":
        return rate * seconds
    if predict_time is None:
        predict_time = price.typical_gpu_seconds + price.gpu_seconds_per_output_second * seconds
    return rate * predict_time


def ceiling(model: ModelSpec, request: Any, resolution: Optional[str] = None,
            timeout: Optional[float] = None) -> float:
    """The most ``request`` can cost: its estimate, or for GPU-time prices the whole ``timeout``
    (the model's) of GPU time, after which the prediction is cancelled."""
    if model.price.per != "gpu_second":
        return estimate(model, request, resolution)
    return model.price.rate(resolution) * (timeout or model.timeout)


def estimate(model: ModelSpec, request: Any, resolution: Optional[str] = None) -> float:
    """USD that ``request`` should cost before it runs (GPU-time models use typical times)."""
    job = job_of(request)
    res = choose_resolution(model, job.width, job.height, resolution)
    seconds = choose_duration(model, job.seconds, res) if job.seconds is not None else None
    return cost(model, seconds=seconds or 0.0, resolution=res)
