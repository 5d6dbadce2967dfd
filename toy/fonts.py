"""Glyphs of real typefaces: the Google Fonts families that ``make install`` puts in the
environment as ``fontpkg-*`` wheels (the extra ``glyphs``; their versions are pinned in
requirements/pins.txt), rendered by Pillow's FreeType. Nothing is downloaded.

``split_families(parts)`` deals the families into disjoint groups (one per set: a
teacher's training images, the students', the validation images), so a test set can be
written in typefaces no model trained on. ``glyph_mask`` gives one character as an ink
mask in ``[0, 1]``, cropped to its ink, at a chosen weight, slant and height.
"""

import functools

import numpy as np
from PIL import Image, ImageDraw

from ldrld_core.errors import ConfigError

# Latin families of every kind (sans, serif, slab, mono, handwriting, display), each with
# digits and both cases; the order is fixed so that a split from a seed is reproducible
FAMILIES = (
    "roboto open-sans lato montserrat inter poppins nunito raleway work-sans fira-sans pt-sans source-sans-3 "
    "oswald barlow karla rubik cabin josefin-sans exo-2 titillium-web archivo mukta dm-sans ibm-plex-sans "
    "merriweather lora pt-serif noto-serif eb-garamond libre-baskerville crimson-text playfair-display bitter "
    "roboto-slab zilla-slab arvo domine vollkorn spectral literata source-serif-4 roboto-mono source-code-pro "
    "inconsolata jetbrains-mono ibm-plex-mono space-mono caveat kalam indie-flower permanent-marker delius "
    "comfortaa quicksand righteous fredoka orbitron"
).split()
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
RENDER_SIZE = 64  # the font size glyphs are drawn at before they are scaled to their height


def _fontpkg():
    try:
        import fontpkg.pil
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "the glyph data sets need the typefaces packaged as fontpkg-* wheels: "
            "pip install -e .[glyphs] (which `make install` does)"
        ) from None
    return fontpkg


def installed_families():
    """The families of FAMILIES that are installed, in FAMILIES' order."""
    have = _fontpkg().families()
    missing = [f for f in FAMILIES if f not in have]
    if missing:
        raise ModuleNotFoundError(
            f"typeface packages missing: {', '.join('fontpkg-' + f for f in missing)} "
            "(pip install -e .[glyphs], which `make install` does)"
        )
    return list(FAMILIES)


def split_families(sizes, seed=0):
    """Disjoint groups of ``sizes[k]`` installed families each, dealt from a permutation by ``seed``."""
    families = installed_families()
    if sum(sizes) > len(families):
        raise ConfigError(f"{sum(sizes)} typefaces asked for ({sizes}), {len(families)} are packaged")
    order = np.random.default_rng(seed).permutation(len(families))
    groups, start = [], 0
    for size in sizes:
        groups.append([families[i] for i in order[start : start + size]])
        start += size
    return groups


@functools.lru_cache(maxsize=1024)
def _font(family, weight):
    """``family`` at RENDER_SIZE and the available weight nearest to ``weight``."""
    return _fontpkg().pil.truetype(family, RENDER_SIZE, weight=int(weight), nearest=True)


@functools.lru_cache(maxsize=4096)
def _rendered(family, char, weight):
    """``char`` in ``family`` at ``weight``, drawn at RENDER_SIZE, cropped to its ink (uint8)."""
    font = _font(family, weight)
    left, top, right, bottom = font.getbbox(char)
    canvas = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(canvas).text((4 - left, 4 - top), char, fill=255, font=font)
    ink = np.asarray(canvas)
    rows, cols = np.flatnonzero(ink.max(1) > 32), np.flatnonzero(ink.max(0) > 32)
    if len(rows) == 0:
        raise ConfigError(f"typeface {family} draws no ink for {char!r}")
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def glyph_mask(family, char, height, weight=400, slant=0.0, rotate=0.0):
    """``char`` of ``family`` as a float ink mask ``(h, w)`` in ``[0, 1]``, ``h`` = ``height``
    pixels, sheared by ``slant`` (x shift per unit of height) and turned by ``rotate`` degrees,
    cropped to its ink."""
    return shape_mask(_rendered(family, char, int(weight)), height, slant, rotate)


def shape_mask(ink, height, slant=0.0, rotate=0.0):
    """A uint8 ink image (any source: a typeface, a handwritten scan) sheared, turned, scaled to
    ``height`` pixels of ink and cropped to it, as floats in ``[0, 1]``."""
    img = Image.fromarray(np.ascontiguousarray(ink))
    if slant:
        w, h = img.size
        pad = int(abs(slant) * h) + 1
        img = img.transform(
            (w + pad, h), Image.AFFINE, (1, slant, -pad if slant > 0 else 0, 0, 1, 0), resample=Image.BILINEAR
        )
    if rotate:
        img = img.rotate(rotate, resample=Image.BILINEAR, expand=True)
    ink = np.asarray(img)
    rows, cols = np.flatnonzero(ink.max(1) > 32), np.flatnonzero(ink.max(0) > 32)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = height / ink.shape[0]
    width = max(2, round(ink.shape[1] * scale))
    out = np.asarray(Image.fromarray(ink).resize((width, int(height)), Image.LANCZOS), np.float32) / 255.0
    return np.clip(out, 0.0, 1.0)


@functools.lru_cache(maxsize=8192)
def baseline_text(family, text, weight=400):
    """``text`` in ``family`` at ``weight``, drawn at RENDER_SIZE on its own baseline:
    ``(ink uint8 (h, w), baseline row, cap height)``. Unlike ``glyph_mask`` the ink is not
    cropped vertically to itself, so a character keeps its place and size relative to the
    line (``o`` stays smaller than ``O``, ``g`` hangs below the baseline, ``'`` sits high);
    ``cap height`` is the height of ``H`` in pixels, the unit a renderer scales by."""
    font = _font(family, weight)
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    cap = -font.getbbox("H", anchor="ls")[1]
    top, bottom = min(top, -cap) - 4, max(bottom, 0) + 4  # the canvas holds the caps' line too
    canvas = Image.new("L", (right - left + 8, bottom - top), 0)
    ImageDraw.Draw(canvas).text((4 - left, -top), text, fill=255, font=font, anchor="ls")
    ink = np.asarray(canvas)
    if ink.max() <= 32:
        raise ConfigError(f"typeface {family} draws no ink for {text!r}")
    return ink, -top, cap
