"""Registry of procedural generators per target class (name, version, duration range).

``generate(class_name, rng, rate, seconds=None)`` returns a peak-normalised float32 clip of the
requested length (random length in the class's range when ``seconds`` is None). The same
``(generator, seed)`` always yields the same clip; different seeds give different content.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..labels import check_class
from .bells import bicycle_bell, doorbell, mechanical_alarm
from .common import finish, n_of
from .cough import cough
from .cupboard import cupboard
from .electronic import buzzer, digital_alarm
from .impacts import dishes
from .liquids import pour
from .motors import blender, hair_dryer, mechanical_fan, vacuum_cleaner

GENERATOR_VERSION = 1


@dataclass(frozen=True)
class Generator:
    name: str
    label: str
    fn: Callable[[np.random.Generator, int, float], np.ndarray]
    seconds: tuple[float, float]


GENERATORS: tuple[Generator, ...] = (
    Generator("bicycle_bell", "BicycleBell", bicycle_bell, (0.6, 3.0)),
    Generator("doorbell", "Doorbell", doorbell, (1.5, 4.5)),
    Generator("blender", "Blender", blender, (3.0, 10.0)),
    Generator("hair_dryer", "HairDryer", hair_dryer, (3.0, 10.0)),
    Generator("mechanical_fan", "MechanicalFans", mechanical_fan, (4.0, 10.0)),
    Generator("vacuum_cleaner", "VacuumCleaner", vacuum_cleaner, (3.0, 10.0)),
    Generator("buzzer", "Buzzer", buzzer, (0.5, 4.0)),
    Generator("digital_alarm", "AlarmClock", digital_alarm, (2.0, 8.0)),
    Generator("mechanical_alarm", "AlarmClock", mechanical_alarm, (1.5, 6.0)),
    Generator("pour", "Pour", pour, (2.0, 8.0)),
    Generator("dishes", "Dishes", dishes, (1.0, 5.0)),
    Generator("cough", "Cough", cough, (0.4, 3.0)),
    Generator("cupboard", "CupboardOpenClose", cupboard, (0.8, 4.0)),
)
BY_NAME = {g.name: g for g in GENERATORS}


def procedural_classes() -> list[str]:
    return sorted({g.label for g in GENERATORS})


def generators_for(label: str) -> list[Generator]:
    check_class(label, "procedural generator")
    return [g for g in GENERATORS if g.label == label]


def render(generator: Generator, seed: int, rate: int, seconds: float | None = None) -> np.ndarray:
    """Clip of ``generator`` for ``seed``: exactly ``round(seconds * rate)`` samples."""
    rng = np.random.default_rng([GENERATOR_VERSION, seed, sum(map(ord, generator.name))])
    if seconds is None:
        seconds = float(rng.uniform(*generator.seconds))
    x = generator.fn(rng, rate, seconds)
    n = n_of(seconds, rate)
    x = np.pad(x[:n], (0, max(0, n - len(x))))
    return finish(x, rate, rng)


def generate(label: str, rng: np.random.Generator, rate: int, seconds: float | None = None) -> np.ndarray:
    """A clip of class ``label`` from one of its generators, chosen and seeded by ``rng``."""
    gens = generators_for(label)
    if not gens:
        raise ValueError(f"no procedural generator for {label}; generators exist for {', '.join(procedural_classes())}")
    g = gens[int(rng.integers(len(gens)))]
    return render(g, int(rng.integers(2**31)), rate, seconds)
