"""Natural-looking source footage: a :class:`Programme` is a run of shots of procedurally drawn
scenes, and its picture is a function of *source time* (:meth:`ProgrammePainter.frame`).

Shots are landscapes (smooth-noise hills under a cloudy sky, birds), streets (buildings, cars),
rooms (a person walking, a slow zoom), water (moving ripples, a boat) and fast ones (a train's
coloured cars passing the camera at 1.5–3 frame widths a second, with motion blur — the kind of
motion the clip-grid engine took for an edit). The camera pans, zooms and shakes a little, the
sensor adds grain, and shots follow each other by hard cuts or fades through black. Sizes are
relative to the frame, so one programme looks the same at any resolution.

The sound of a programme is in :mod:`.natural_sound`; edited versions and their ground truth are in
:mod:`.edits`. Everything is drawn from the programme's seed, never from the clock.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np

ShotKind = Literal["landscape", "street", "room", "water", "train"]
SHOT_KINDS: tuple[ShotKind, ...] = ("landscape", "street", "room", "water", "train")
FADE_SECONDS = 0.4  # each side of a fade through black
GRAIN = 3.0  # sensor noise, standard deviation in 8-bit levels


@dataclass(frozen=True)
class Shot:
    """`seconds` of one scene; `fade_in`: the cut into it is a fade through black."""

    seconds: float
    kind: ShotKind
    seed: int
    fade_in: bool = False


@dataclass(frozen=True)
class Programme:
    """Source footage: `seconds` long, its shots and sound drawn from `seed`. `fast` fast shots
    (trains) at least are among them. `black`: a black picture and silence (a lead-in slate).

    The footage was shot at `fps` frames a second: the picture at any time is the frame shot at or
    before it, as in a master that versions are cut from (an edit on its frames shows the very same
    pictures) or converted from (another frame rate shows the nearest earlier frames). The sound
    is continuous."""

    seed: int
    seconds: float
    fast: int = 1
    black: bool = False
    fps: int = 30

    @functools.cached_property
    def shots(self) -> tuple[Shot, ...]:
        if self.black:
            return (Shot(self.seconds, "room", 0),)
        rng = np.random.default_rng([self.seed, 1])
        lengths: list[float] = []
        while sum(lengths) < self.seconds:
            lengths.append(float(rng.uniform(3.5, 8.5)))
        lengths[-1] -= sum(lengths) - self.seconds
        if len(lengths) > 1 and lengths[-1] < 2.0:  # no last shot too short to see
            lengths[-2] += lengths.pop()
        kinds: list[ShotKind] = []
        for _ in lengths:
            choices = [kind for kind in SHOT_KINDS if kind != "train" and (not kinds or kind != kinds[-1])]
            kinds.append(choices[int(rng.integers(len(choices)))])
        # Fast shots replace some of the others, never two in a row.
        slots = [number for number in range(len(kinds))]
        rng.shuffle(slots)
        placed = 0
        for number in slots:
            if placed >= self.fast:
                break
            neighbours = kinds[max(0, number - 1) : number + 2]
            if "train" not in neighbours:
                kinds[number] = "train"
                placed += 1
        return tuple(
            Shot(
                round(seconds, 3),
                kind,
                seed=int(rng.integers(1 << 30)),
                fade_in=number > 0 and bool(rng.random() < 0.3),
            )
            for number, (seconds, kind) in enumerate(zip(lengths, kinds, strict=True))
        )

    def shot_starts(self) -> list[float]:
        return [float(start) for start in np.cumsum([0.0, *(shot.seconds for shot in self.shots)])[:-1]]


# --- drawing helpers ----------------------------------------------------------------------------


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """float32 values in 0–1 varying smoothly over `cell` pixels (bilinear upsampling)."""
    rows, cols = max(2, int(height / cell) + 2), max(2, int(width / cell) + 2)
    coarse = rng.random((rows, cols)).astype(np.float32)
    ys = np.linspace(0, rows - 1.001, height) if height > 1 else np.zeros(1)
    xs = np.linspace(0, cols - 1.001, width) if width > 1 else np.zeros(1)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0).astype(np.float32)[:, None], (xs - x0).astype(np.float32)
    top = coarse[y0] * (1 - fy) + coarse[y0 + 1] * fy
    return np.asarray(top[:, x0] * (1 - fx) + top[:, x0 + 1] * fx, np.float32)


def fractal_noise(rng: np.random.Generator, height: int, width: int, cell: float, octaves: int = 4) -> np.ndarray:
    """Octaves of smooth noise (each half the cell and half the weight), normalised to 0–1."""
    total = np.zeros((height, width), np.float32)
    weight = 1.0
    for _ in range(octaves):
        total += weight * smooth_noise(rng, height, width, max(1.5, cell))
        cell /= 2
        weight /= 2
    total -= total.min()
    return total / max(float(total.max()), 1e-6)


def blob(image: np.ndarray, cx: float, cy: float, rx: float, ry: float, colour: np.ndarray, alpha: float = 1.0) -> None:
    """An ellipse painted into `image` (float32 H×W×3) in place, with a soft one-pixel edge."""
    height, width = image.shape[:2]
    left, right = max(0, int(cx - rx - 1)), min(width, int(cx + rx + 2))
    top, bottom = max(0, int(cy - ry - 1)), min(height, int(cy + ry + 2))
    if left >= right or top >= bottom:
        return
    ys, xs = np.ogrid[top:bottom, left:right]
    distance = np.sqrt(((xs - cx) / max(rx, 0.5)) ** 2 + ((ys - cy) / max(ry, 0.5)) ** 2)
    cover = np.clip((1 - distance) * min(rx, ry) + 0.5, 0, 1)[..., None] * alpha
    region = image[top:bottom, left:right]
    region += (colour - region) * cover


def box(image: np.ndarray, left: float, top: float, right: float, bottom: float, colour: np.ndarray) -> None:
    height, width = image.shape[:2]
    x0, x1 = max(0, round(left)), min(width, round(right))
    y0, y1 = max(0, round(top)), min(height, round(bottom))
    if x0 < x1 and y0 < y1:
        image[y0:y1, x0:x1] = colour


def _colour(rng: np.random.Generator, low: float, high: float) -> np.ndarray:
    return rng.uniform(low, high, 3).astype(np.float32)


# --- scenes ------------------------------------------------------------------------------------


@dataclass
class _Mover:
    """Something moving across the world: position (in frame heights) at time t is start + v·t,
    wrapping around the world's width; `bob` makes it rise and fall (birds)."""

    x: float
    y: float
    vx: float
    vy: float
    rx: float
    ry: float
    colour: np.ndarray
    bob: float = 0.0
    shape: Literal["blob", "car", "person", "boat"] = "blob"


@dataclass
class _ShotPainter:
    """One shot drawn at width×height: a world picture larger than the frame (built once), a
    camera moving over it, and movers drawn on top."""

    shot: Shot
    width: int
    height: int
    world: np.ndarray = field(init=False)
    movers: list[_Mover] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.shot.seed, SHOT_KINDS.index(self.shot.kind)])
        self.rng = rng
        kind = self.shot.kind
        # Camera: a pan speed (frame widths a second), a zoom rate, a shake.
        self.pan = float(rng.uniform(0.02, 0.08)) * (1 if rng.random() < 0.5 else -1)
        self.zoom_rate = 0.0
        if kind == "train":
            self.pan = float(rng.uniform(1.5, 3.0)) * (1 if rng.random() < 0.5 else -1)
        if kind == "room":
            self.pan = 0.0
            self.zoom_rate = float(rng.uniform(0.015, 0.035)) * (1 if rng.random() < 0.7 else -1)
        self.shake = float(rng.uniform(0.003, 0.008))  # in frame heights
        self.shake_waves = [(float(rng.uniform(0.5, 3.0)), float(rng.uniform(0, 2 * math.pi))) for _ in range(6)]
        travel = abs(self.pan) * self.shot.seconds if kind != "train" else 0.0
        world_width = int(self.width * (1.1 + travel)) + 8
        world_height = int(self.height * 1.1) + 8
        self.world_width, self.world_height = world_width, world_height
        painter = getattr(self, f"_paint_{kind}")
        self.world = np.clip(painter(rng, world_height, world_width), 0, 255).astype(np.uint8)
        self.flicker = (float(rng.uniform(0.2, 0.9)), float(rng.uniform(0, 2 * math.pi)))

    # Worlds: float32 H×W×3 pictures, values 0–255.

    def _sky(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        top, bottom = _colour(rng, 40, 120) * np.array([0.6, 0.8, 1.4], np.float32), _colour(rng, 150, 230)
        along = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
        sky = np.broadcast_to(top * (1 - along) + bottom * along, (height, width, 3)).copy()
        clouds = np.clip((fractal_noise(rng, height, width, self.height * 0.5) - 0.45) * 3, 0, 1)[..., None]
        sky += (245 - sky) * clouds * float(rng.uniform(0.4, 0.9))
        return sky

    def _paint_landscape(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        horizon = int(height * rng.uniform(0.35, 0.55))
        world = self._sky(rng, height, width)
        ys = np.arange(height, dtype=np.float32)[:, None]
        for layer in range(3):
            ridge = horizon + (layer * 0.12 - 0.05) * height
            ridge_line = ridge - smooth_noise(rng, 1, width, self.height * (0.9 - 0.2 * layer))[0] * height * 0.25
            ground = _colour(rng, 40, 110) * np.array([0.8, 1.2, 0.6], np.float32) * (1.0 - 0.2 * layer)
            texture = fractal_noise(rng, height, width, self.height * 0.08, octaves=3)[..., None]
            inside = (ys >= ridge_line[None, :])[..., None]
            world = np.where(inside, ground * (0.75 + 0.5 * texture), world)
        for _ in range(int(rng.integers(2, 5))):  # birds
            self.movers.append(
                _Mover(
                    x=float(rng.uniform(0, width / self.height)),
                    y=float(rng.uniform(0.1, horizon / self.height * 0.8)),
                    vx=float(rng.uniform(-0.25, 0.25)),
                    vy=0.0,
                    rx=0.012,
                    ry=0.007,
                    colour=np.full(3, 30, np.float32),
                    bob=0.02,
                )
            )
        return world

    def _paint_street(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        street = int(height * 0.78)
        world = self._sky(rng, height, width)
        x = 0.0
        while x < width:
            building_width = float(rng.uniform(0.15, 0.45)) * self.height
            top = height * float(rng.uniform(0.1, 0.55))
            wall = _colour(rng, 60, 180)
            region = world[int(top) : street, int(x) : int(x + building_width)]
            shade = 0.85 + 0.3 * smooth_noise(rng, region.shape[0], region.shape[1], self.height * 0.1)[..., None]
            region[:] = wall * shade
            window = _colour(rng, 20, 70) if rng.random() < 0.5 else _colour(rng, 180, 240)
            step = self.height * float(rng.uniform(0.06, 0.1))
            wy = top + step * 0.5
            while wy + step * 0.5 < street - step:
                wx = x + step * 0.4
                while wx + step * 0.5 < x + building_width:
                    if rng.random() < 0.85:
                        box(world, wx, wy, wx + step * 0.5, wy + step * 0.6, window * float(rng.uniform(0.8, 1.2)))
                    wx += step
                wy += step
            x += building_width + float(rng.uniform(0, 0.05)) * self.height
        world[street:] = _colour(rng, 50, 80)
        world[street:] *= 0.9 + 0.2 * fractal_noise(rng, height - street, width, self.height * 0.05, 3)[..., None]
        lane = street + (height - street) // 2
        for dash in range(0, width, int(self.height * 0.2)):
            box(world, dash, lane, dash + self.height * 0.1, lane + max(1, self.height * 0.012), np.full(3, 220.0))
        for _ in range(int(rng.integers(2, 4))):
            direction = 1 if rng.random() < 0.5 else -1
            self.movers.append(
                _Mover(
                    x=float(rng.uniform(0, width / self.height)),
                    y=float(rng.uniform(street / self.height + 0.03, 0.97)),
                    vx=direction * float(rng.uniform(0.2, 0.9)),
                    vy=0.0,
                    rx=0.09,
                    ry=0.035,
                    colour=_colour(rng, 30, 230),
                    shape="car",
                )
            )
        return world

    def _paint_room(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        floor_line = int(height * rng.uniform(0.62, 0.75))
        wall = _colour(rng, 120, 220)
        across = np.linspace(0.8, 1.1, width, dtype=np.float32)[None, :, None]
        world = np.broadcast_to(wall * across, (height, width, 3)).copy()
        world *= 0.92 + 0.16 * fractal_noise(rng, height, width, self.height * 0.3, 3)[..., None]
        wood = _colour(rng, 90, 160) * np.array([1.1, 0.8, 0.55], np.float32)
        planks = fractal_noise(rng, height - floor_line, width, self.height * 0.04, 2)
        plank_rows = (np.arange(height - floor_line)[:, None] // max(2, int(self.height * 0.05))) % 2
        world[floor_line:] = wood * (0.75 + 0.3 * planks + 0.08 * plank_rows)[..., None]
        window_left = float(rng.uniform(0.1, 0.6)) * width
        box(world, window_left, height * 0.12, window_left + self.height * 0.5, height * 0.45, _colour(rng, 200, 255))
        for _ in range(int(rng.integers(2, 4))):  # furniture
            left = float(rng.uniform(0, width))
            furniture_width = float(rng.uniform(0.15, 0.4)) * self.height
            furniture_top = floor_line - float(rng.uniform(0.1, 0.35)) * self.height
            box(
                world,
                left,
                furniture_top,
                left + furniture_width,
                floor_line + self.height * 0.05,
                _colour(rng, 20, 120),
            )
        self.movers.append(
            _Mover(
                x=float(rng.uniform(0.2, 1.0)),
                y=floor_line / self.height - 0.18,
                vx=float(rng.uniform(-0.12, 0.12)),
                vy=0.0,
                rx=0.06,
                ry=0.2,
                colour=_colour(rng, 20, 200),
                shape="person",
            )
        )
        return world

    def _paint_water(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        horizon = int(height * rng.uniform(0.3, 0.45))
        world = self._sky(rng, height, width)
        self.horizon = horizon
        self.sea = _colour(rng, 70, 150) * np.array([0.5, 0.9, 1.25], np.float32)
        # Two ripple fields, larger than the frame, scrolled against each other as time goes on.
        self.ripples = [fractal_noise(rng, height * 2, width * 2, self.height * 0.06, 3) for _ in range(2)]
        self.ripple_speed = [(float(rng.uniform(-0.15, 0.15)), float(rng.uniform(0.03, 0.1))) for _ in range(2)]
        world[horizon:] = self.sea
        self.movers.append(
            _Mover(
                x=float(rng.uniform(0.2, 1.2)),
                y=horizon / self.height + 0.08,
                vx=float(rng.uniform(-0.08, 0.08)),
                vy=0.0,
                rx=0.08,
                ry=0.03,
                colour=_colour(rng, 150, 250),
                shape="boat",
            )
        )
        return world

    def _paint_train(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        # A long train: cars of one colour each, windows, dark gaps; the world repeats (wraps).
        width = int(self.width * 6)
        self.world_width = width
        world = self._sky(rng, height, width)
        x = 0.0
        body_top, body_bottom = height * 0.15, height * 0.85
        while x < width:
            car_length = float(rng.uniform(0.8, 1.6)) * self.height
            paint = _colour(rng, 40, 230)
            box(world, x, body_top, x + car_length, body_bottom, paint)
            stripe = _colour(rng, 0, 255)
            box(world, x, body_bottom - self.height * 0.1, x + car_length, body_bottom - self.height * 0.06, stripe)
            wx = x + self.height * 0.08
            while wx + self.height * 0.12 < x + car_length:
                box(
                    world,
                    wx,
                    body_top + self.height * 0.1,
                    wx + self.height * 0.12,
                    body_top + self.height * 0.3,
                    _colour(rng, 20, 90),
                )
                wx += self.height * float(rng.uniform(0.16, 0.22))
            x += car_length
            box(world, x, body_top, x + self.height * 0.04, body_bottom, np.full(3, 15.0))
            x += self.height * 0.04
        world[int(body_bottom) :] = _colour(rng, 60, 100)
        world *= 0.9 + 0.2 * fractal_noise(rng, height, width, self.height * 0.15, 3)[..., None]
        return world

    # The camera and each frame.

    def frame(self, t: float) -> np.ndarray:
        """float32 H×W×3 picture at `t` seconds into the shot (before fades and grain)."""
        h = self.height
        shake_x = sum(math.sin(2 * math.pi * f * t + p) for f, p in self.shake_waves[:3]) * self.shake * h / 2
        shake_y = sum(math.sin(2 * math.pi * f * t + p) for f, p in self.shake_waves[3:]) * self.shake * h / 2
        # Zooming in from 1×, or out to 1× (a negative rate).
        zoom = 1.0 + (self.zoom_rate * t if self.zoom_rate >= 0 else -self.zoom_rate * (self.shot.seconds - t))
        centre_y = self.world.shape[0] / 2 + shake_y
        if self.shot.kind == "train":
            # Motion blur: the average of the picture at the start and the middle of the exposure.
            views = [self._view(self._centre_x(t + k / 90) + shake_x, centre_y, 1.0, wrap=True) for k in (0, 1)]
            image = (views[0].astype(np.float32) + views[1]) / 2
        else:
            centre_x = self._centre_x(t) + shake_x
            image = self._view(centre_x, centre_y, zoom, wrap=False).astype(np.float32)
            if self.shot.kind == "water":
                self._water(image, t)
            for mover in self.movers:
                self._draw(image, mover, t, centre_x, centre_y, zoom)
        flicker = 1.0 + 0.02 * math.sin(2 * math.pi * self.flicker[0] * t + self.flicker[1])
        image *= flicker
        return cast(np.ndarray, image)

    def _centre_x(self, t: float) -> float:
        """The world column at the middle of the frame at `t` (before shake)."""
        w = self.width
        if self.shot.kind == "train":
            return w / 2 + self.pan * w * t
        travel = self.pan * w * t if self.pan >= 0 else self.pan * w * (t - self.shot.seconds)
        return w / 2 + travel + 4

    def _view(self, centre_x: float, centre_y: float, zoom: float, *, wrap: bool) -> np.ndarray:
        h, w = self.height, self.width
        world_h, world_w = self.world.shape[:2]
        if zoom == 1.0:  # the common case, by slicing (the same pixels as the general case)
            left = math.floor(centre_x - w / 2 + 0.5)
            top = min(max(math.floor(centre_y - h / 2 + 0.5), 0), world_h - h)
            if wrap:
                left %= world_w
                if left + w <= world_w:
                    return self.world[top : top + h, left : left + w]
            elif 0 <= left <= world_w - w:
                return self.world[top : top + h, left : left + w]
        cols = np.floor(centre_x + (np.arange(w) - w / 2 + 0.5) / zoom).astype(np.int64)
        rows = np.floor(centre_y + (np.arange(h) - h / 2 + 0.5) / zoom).astype(np.int64)
        cols = cols % world_w if wrap else np.clip(cols, 0, world_w - 1)
        rows = np.clip(rows, 0, world_h - 1)
        return cast(np.ndarray, self.world.take(rows, axis=0).take(cols, axis=1))

    def _water(self, image: np.ndarray, t: float) -> None:
        h, w = self.height, self.width
        horizon = int(self.horizon - (self.world.shape[0] - h) / 2)
        if horizon >= h:
            return
        shade = np.zeros((h - max(0, horizon), w), np.float32)
        for field_, (vx, vy) in zip(self.ripples, self.ripple_speed, strict=True):
            y0 = int((vy * t * h) % (field_.shape[0] - h))
            x0 = int((vx * t * h) % (field_.shape[1] - w))
            shade += field_[y0 + max(0, horizon) : y0 + h, x0 : x0 + w]
        depth = np.linspace(0.7, 1.2, shade.shape[0], dtype=np.float32)[:, None]
        water = self.sea * (0.6 + 0.4 * shade * depth)[..., None]
        sparkle = np.clip((shade - 1.55) * 8, 0, 1)[..., None]
        image[max(0, horizon) :] = water + (250 - water) * sparkle

    def _draw(self, image: np.ndarray, mover: _Mover, t: float, centre_x: float, centre_y: float, zoom: float) -> None:
        h, w = self.height, self.width
        world_units = self.world_width / h
        x = (mover.x + mover.vx * t) % world_units * h
        y = (mover.y + mover.vy * t + mover.bob * math.sin(7 * t + mover.x * 10)) * h
        # World → frame: the inverse of _view's mapping.
        fx = (x - centre_x) * zoom + w / 2
        fy = (y - centre_y) * zoom + h / 2
        rx, ry = mover.rx * h * zoom, mover.ry * h * zoom
        if mover.shape == "car":
            box(image, fx - rx, fy - ry, fx + rx, fy + ry * 0.4, mover.colour)
            box(image, fx - rx * 0.6, fy - ry * 1.6, fx + rx * 0.5, fy - ry, mover.colour * 0.8)
            for side in (-0.6, 0.6):
                blob(image, fx + side * rx, fy + ry * 0.5, ry * 0.45, ry * 0.45, np.full(3, 20, np.float32))
        elif mover.shape == "person":
            sway = math.sin(3 * t) * rx * 0.1
            blob(image, fx + sway, fy - ry * 0.75, rx * 0.45, ry * 0.22, np.array([225, 180, 150], np.float32))
            box(image, fx - rx * 0.6, fy - ry * 0.5, fx + rx * 0.6, fy + ry * 0.6, mover.colour)
            box(image, fx - rx * 0.5, fy + ry * 0.6, fx + rx * 0.5, fy + ry, mover.colour * 0.5)
        elif mover.shape == "boat":
            box(image, fx - rx, fy - ry * 0.3, fx + rx, fy + ry * 0.6, mover.colour)
            box(image, fx - rx * 0.1, fy - ry * 3, fx + rx * 0.05, fy - ry * 0.3, np.full(3, 60, np.float32))
            blob(image, fx + rx * 0.4, fy - ry * 1.6, rx * 0.45, ry * 1.2, np.full(3, 240, np.float32), 0.9)
        else:
            blob(image, fx, fy, rx, ry, mover.colour)


@functools.lru_cache(maxsize=8)
def _grain(width: int, height: int, seed: int) -> np.ndarray:
    """A field of sensor noise larger than the frame, cropped at a different place every frame."""
    rng = np.random.default_rng([seed, width, height])
    luma = rng.normal(0, GRAIN, size=(height + 64, width + 64, 1))
    chroma = rng.normal(0, GRAIN / 3, size=(height + 64, width + 64, 3))
    return (luma + chroma).astype(np.float32)


class ProgrammePainter:
    """Pictures of `programme` at width×height: `frame(s)` is the picture at source time s."""

    def __init__(self, programme: Programme, width: int, height: int) -> None:
        self.programme, self.width, self.height = programme, width, height
        self.starts = programme.shot_starts()
        self._painters: dict[int, _ShotPainter] = {}

    def shot_at(self, source_time: float) -> int:
        return max(0, min(len(self.starts) - 1, int(np.searchsorted(self.starts, source_time, side="right")) - 1))

    def frame(self, source_time: float) -> np.ndarray:
        """uint8 H×W×3 RGB at `source_time` seconds of the programme (clamped to its length)."""
        if self.programme.black:
            return np.zeros((self.height, self.width, 3), np.uint8)
        fps = self.programme.fps
        source_time = min(max(source_time, 0.0), self.programme.seconds - 1e-6)
        source_time = math.floor(source_time * fps + 1e-6) / fps  # the frame shot at or before it
        number = self.shot_at(source_time)
        image = self.shot_frame(number, source_time - self.starts[number])
        image *= self._fade(number, source_time)
        # Grain is part of the source (the camera's): the same moment has the same grain in
        # every version, as in copies of one master. Its place follows the time in milliseconds.
        grain = _grain(self.width, self.height, self.programme.seed)
        step = round(source_time * 1000)
        dy, dx = (step * 7919) % 64, (step * 104729) % 64
        image += grain[dy : dy + self.height, dx : dx + self.width]
        return cast(np.ndarray, np.clip(image, 0, 255).astype(np.uint8))

    def shot_frame(self, number: int, t: float) -> np.ndarray:
        """float32 picture of shot `number` at `t` seconds into it (no fade, no grain)."""
        if number not in self._painters:
            if len(self._painters) >= 3:  # shots play in order; keep a few for edits that jump back
                self._painters.pop(next(iter(self._painters)))
            self._painters[number] = _ShotPainter(self.programme.shots[number], self.width, self.height)
        return self._painters[number].frame(t)

    def _fade(self, number: int, source_time: float) -> float:
        shots = self.programme.shots
        into = source_time - self.starts[number]
        factor = 1.0
        if shots[number].fade_in and into < FADE_SECONDS:
            factor = min(factor, into / FADE_SECONDS)
        if number + 1 < len(shots) and shots[number + 1].fade_in:
            left = self.starts[number] + shots[number].seconds - source_time
            factor = min(factor, left / FADE_SECONDS)
        return max(0.0, factor)

    def black_stretches(self) -> list[tuple[float, float]]:
        """Source times where the picture is fading through black (no edit should be put there)."""
        return [
            (start - FADE_SECONDS, start + FADE_SECONDS)
            for start, shot in zip(self.starts, self.programme.shots, strict=True)
            if shot.fade_in
        ]
