"""The 18 DCASE 2025/2026 Task 4 target classes in official index order, and name checks."""
from __future__ import annotations

from .errors import S5Error

CLASSES: tuple[str, ...] = (
    "AlarmClock", "BicycleBell", "Blender", "Buzzer", "Clapping", "Cough",
    "CupboardOpenClose", "Dishes", "Doorbell", "FootSteps", "HairDryer", "MechanicalFans",
    "MusicalKeyboard", "Percussion", "Pour", "Speech", "Typing", "VacuumCleaner",
)
CLASS_INDEX: dict[str, int] = {name: i for i, name in enumerate(CLASSES)}
SILENCE = "silence"
TASKS = ("dcase2025t4", "dcase2026t4")
ROLES = ("target", "interference", "background")


class UnknownClassError(S5Error):
    code = "unknown_class"


def check_class(name: str, where: str = "") -> str:
    """Return ``name`` if it is one of the 18 classes, else raise listing the accepted names."""
    if name in CLASS_INDEX:
        return name
    ctx = f" ({where})" if where else ""
    raise UnknownClassError(
        f"unknown class name {name!r}{ctx}; accepted names (case-sensitive): {', '.join(CLASSES)}"
    )
