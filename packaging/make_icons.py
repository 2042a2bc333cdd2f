"""Draw the app icon: ``resources/icons/mvstudio.svg`` and PNGs at 16-512 px, ``.ico``, ``.icns``.

A rounded square in a violet-to-pink gradient with two beat bars and a play triangle in white.
The SVG and the bitmaps share one geometry (``SHAPES``, in units of the icon's side), so they
match; run this again after changing it:  ``python packaging/make_icons.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
TOP_LEFT, BOTTOM_RIGHT = (0x6D, 0x28, 0xD9), (0xDB, 0x27, 0x77)
MARGIN, RADIUS = 0.06, 0.2
BARS = ((0.25, 0.20), (0.345, 0.34))  # (x centre, height), centred vertically
BAR_WIDTH = 0.06
TRIANGLE = ((0.43, 0.30), (0.43, 0.70), (0.76, 0.50))


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def svg(side: int = 512) -> str:
    s = lambda v: f"{v * side:g}"  # noqa: E731
    bars = "".join(
        f'<rect x="{s(x - BAR_WIDTH / 2)}" y="{s(0.5 - h / 2)}" width="{s(BAR_WIDTH)}" '
        f'height="{s(h)}" rx="{s(BAR_WIDTH / 2)}" fill="#fff"/>' for x, h in BARS)
    points = " ".join(f"{s(x)},{s(y)}" for x, y in TRIANGLE)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
            f'viewBox="0 0 {side} {side}">'
            f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
            f'<stop offset="0" stop-color="{_hex(TOP_LEFT)}"/>'
            f'<stop offset="1" stop-color="{_hex(BOTTOM_RIGHT)}"/></linearGradient></defs>'
            f'<rect x="{s(MARGIN)}" y="{s(MARGIN)}" width="{s(1 - 2 * MARGIN)}" '
            f'height="{s(1 - 2 * MARGIN)}" rx="{s(RADIUS)}" fill="url(#g)"/>'
            f'{bars}<polygon points="{points}" fill="#fff"/></svg>\n')


def bitmap(side: int = 2048) -> Image.Image:
    """The icon drawn at ``side`` px (draw large, then scale down for smooth edges)."""
    down = Image.linear_gradient("L")  # 0 at the top, 255 at the bottom
    ramp = Image.blend(down, down.rotate(90), 0.5).resize((side, side))  # along the diagonal
    colour = Image.merge("RGB", [ramp.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
                                 for a, b in zip(TOP_LEFT, BOTTOM_RIGHT)])
    mask = Image.new("L", (side, side), 0)
    p = lambda v: round(v * side)  # noqa: E731
    ImageDraw.Draw(mask).rounded_rectangle((p(MARGIN), p(MARGIN), p(1 - MARGIN), p(1 - MARGIN)),
                                           radius=p(RADIUS), fill=255)
    icon = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    icon.paste(colour, mask=mask)
    draw = ImageDraw.Draw(icon)
    for x, h in BARS:
        draw.rounded_rectangle((p(x - BAR_WIDTH / 2), p(0.5 - h / 2), p(x + BAR_WIDTH / 2),
                                p(0.5 + h / 2)), radius=p(BAR_WIDTH / 2), fill="white")
    draw.polygon([(p(x), p(y)) for x, y in TRIANGLE], fill="white")
    return icon


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "mvstudio.svg").write_text(svg(), encoding="utf-8")
    big = bitmap()
    for size in SIZES:
        big.resize((size, size), Image.LANCZOS).save(OUT / f"mvstudio-{size}.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(
        OUT / "mvstudio.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    big.resize((1024, 1024), Image.LANCZOS).save(OUT / "mvstudio.icns")


if __name__ == "__main__":
    main()
