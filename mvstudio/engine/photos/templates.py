"""Scene templates (``resources/scene_templates.json``): what each scene of a photo video wants.

A template (a property tour, a wedding, a tour diary) is a sequence of scenes.  Each scene names
the photo it wants (keywords, orientation, brightness), the shot, a camera move (words for
prompts and cloud models, and the offline animator's ``move``), its energy, its share of the video
and a music prompt.  ``match`` scores how well a photo fits a scene offline, from the words of its
folder and file names and EXIF description, its orientation and its brightness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mvstudio.engine.errors import InputError
from mvstudio.engine.model import ENERGY_LEVELS
from mvstudio.engine.render.commands import MOVES
from mvstudio.engine.resources import load_json

if TYPE_CHECKING:
    from mvstudio.engine.photos.library import PhotoInfo

ORIENTATIONS = ("any", "landscape", "portrait")
BRIGHTNESS = ("any", "bright", "dark")
SCENE_FIELDS = ("key", "name", "description", "camera", "move", "motion", "energy",
                "music_prompt")


@dataclass(frozen=True)
class TemplateScene:
    key: str
    name: str
    description: str
    keywords: tuple[str, ...]
    orientation: str
    brightness: str
    camera: str
    move: str
    motion: str
    energy: str
    weight: float
    music_prompt: str


@dataclass(frozen=True)
class SceneTemplate:
    key: str
    name: str
    about: str
    prompt: str  # the subject when the user gives no prompt
    mood: str
    bpm: float
    scenes: tuple[TemplateScene, ...]

    def scene(self, name: str) -> TemplateScene | None:
        """The scene called ``name`` (as plan scenes are named), if any."""
        return next((s for s in self.scenes if s.name == name), None)


def template_problems(data: dict) -> list[str]:
    """Everything wrong with a scene-templates document (empty: usable)."""
    problems = []
    moods = load_json("director.json")["moods"]
    templates = data.get("templates")
    if not isinstance(templates, dict) or not templates:
        return ["no templates"]
    if data.get("default_template") not in templates:
        problems.append("default_template names no template")
    for key, t in templates.items():
        where = f"template {key}"
        for name in ("name", "about", "prompt"):
            if not isinstance(t.get(name), str) or not t[name].strip():
                problems.append(f"{where}: {name} is missing")
        if t.get("mood") not in moods:
            problems.append(f"{where}: mood must be one of {', '.join(moods)}")
        if not isinstance(t.get("bpm"), (int, float)) or not 60 <= t["bpm"] <= 200:
            problems.append(f"{where}: bpm must be 60-200")
        scenes = t.get("scenes")
        if not isinstance(scenes, list) or not scenes:
            problems.append(f"{where}: no scenes")
            continue
        problems += [f"{where}, scene {i + 1}: {p}" for i, s in enumerate(scenes)
                     for p in _scene_problems(s)]
        names = [s.get("name") for s in scenes]
        if len(set(names)) != len(names):
            problems.append(f"{where}: two scenes share a name")
    return problems


def _scene_problems(scene: dict) -> list[str]:
    problems = [f"{name} is missing" for name in SCENE_FIELDS
                if not isinstance(scene.get(name), str) or not scene[name].strip()]
    wants = scene.get("wants") or {}
    if not isinstance(wants.get("keywords"), list):
        problems.append("wants.keywords must be a list")
    if wants.get("orientation", "any") not in ORIENTATIONS:
        problems.append(f"wants.orientation must be one of {', '.join(ORIENTATIONS)}")
    if wants.get("brightness", "any") not in BRIGHTNESS:
        problems.append(f"wants.brightness must be one of {', '.join(BRIGHTNESS)}")
    if scene.get("move") not in MOVES:
        problems.append(f"move must be one of {', '.join(MOVES)}")
    if scene.get("energy") not in ENERGY_LEVELS:
        problems.append(f"energy must be one of {', '.join(ENERGY_LEVELS)}")
    if not isinstance(scene.get("weight"), (int, float)) or scene["weight"] <= 0:
        problems.append("weight must be a positive number")
    return problems


def _scene(data: dict) -> TemplateScene:
    wants = data["wants"]
    return TemplateScene(
        key=data["key"], name=data["name"], description=data["description"],
        keywords=tuple(w.lower() for w in wants["keywords"]),
        orientation=wants.get("orientation", "any"), brightness=wants.get("brightness", "any"),
        camera=data["camera"], move=data["move"], motion=data["motion"], energy=data["energy"],
        weight=float(data["weight"]), music_prompt=data["music_prompt"])


def scene_templates() -> dict[str, SceneTemplate]:
    """Every template by key (``InputError`` naming the first problem of a broken file)."""
    data = load_json("scene_templates.json")
    problems = template_problems(data)
    if problems:
        raise InputError(f"resources/scene_templates.json is broken: {problems[0]}")
    return {key: SceneTemplate(key, t["name"], t["about"], t["prompt"], t["mood"],
                               float(t["bpm"]), tuple(_scene(s) for s in t["scenes"]))
            for key, t in data["templates"].items()}


def get_template(key: str) -> SceneTemplate:
    templates = scene_templates()
    if key not in templates:
        raise InputError(f"unknown scene template {key!r}: use one of {', '.join(templates)}")
    return templates[key]


# --------------------------------------------------------------------------- offline matching

KEYWORD_WEIGHT, ORIENTATION_WEIGHT, BRIGHTNESS_WEIGHT = 0.55, 0.2, 0.15
BASE_MATCH = 1.0 - KEYWORD_WEIGHT - ORIENTATION_WEIGHT - BRIGHTNESS_WEIGHT


def keyword_hits(scene: TemplateScene, words: set[str]) -> list[str]:
    """The scene's keywords among ``words`` (a plural or a longer compound counts: "bedrooms")."""
    return [k for k in scene.keywords if any(w == k or (w.startswith(k) and len(k) > 3)
                                             for w in words)]


def match(scene: TemplateScene, photo: "PhotoInfo") -> tuple[float, str]:
    """How well ``photo`` fits ``scene`` (0-1) and why, in a few words."""
    hits = keyword_hits(scene, set(photo.words))
    wants_shape = scene.orientation in ("any", photo.orientation)
    wants_light = scene.brightness == "any" or \
        (scene.brightness == "bright") == (photo.mean >= 0.45)
    score = BASE_MATCH + KEYWORD_WEIGHT * (1.0 if hits else 0.0) + \
        ORIENTATION_WEIGHT * (1.0 if wants_shape else 0.3) + \
        BRIGHTNESS_WEIGHT * (1.0 if wants_light else 0.4)
    why = [f"named {', '.join(hits[:2])}"] if hits else []
    if not wants_shape:
        why.append(f"{photo.orientation}, not {scene.orientation}")
    if not wants_light:
        why.append(f"not {scene.brightness}")
    return score, "; ".join(why)
