"""The source manifest (``trainer/resources/library_manifest.json``): loading, validation, matching.

Each source names a Debian package (name, version pattern, licence) and file entries (glob inside
the package, role, class/category, grouping). Roles: ``target`` (a clip of one of the 18 classes),
``oneshot`` (material for an event sequencer; ``also_target`` keeps it as a target clip too),
``interference`` (explicit allow-list of non-target sounds, with a category) and ``background``.
Validation fails loudly: unknown classes (listing the accepted names), an interference category
named like a target class, an interference path containing a keyword of a target class
(bell, door, clap, ...), or a path claimed by two roles.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..labels import CLASSES, check_class

MANIFEST_FORMAT = "s5-library-manifest"
# In a checkout trainer/resources/; in an installed package s5trainer/resources/ (pyproject.toml).
_INSTALLED_MANIFEST = Path(__file__).resolve().parents[1] / "resources" / "library_manifest.json"
DEFAULT_MANIFEST = (_INSTALLED_MANIFEST if _INSTALLED_MANIFEST.is_file()
                    else Path(__file__).resolve().parents[2] / "resources" / "library_manifest.json")
ROLES = ("target", "oneshot", "interference", "background")


@dataclass(frozen=True)
class FileEntry:
    glob: str
    role: str
    label: str
    exclude: tuple[str, ...] = ()
    group: str = "file"                 # "file" | "package" | "dir" | "regex:<pattern with one group>"
    also_target: bool = False
    max_files: int | None = None
    min_seconds: float = 0.1
    licence: str | None = None

    def matches(self, path: str) -> bool:
        return fnmatch.fnmatchcase(path, self.glob) and not any(fnmatch.fnmatchcase(path, e) for e in self.exclude)

    def group_of(self, package: str, path: str) -> str:
        if self.group == "file":
            return f"{package}:{path}"
        if self.group == "package":
            return package
        if self.group == "dir":
            return f"{package}:{path.rsplit('/', 1)[0]}"
        if self.group.startswith("regex:"):
            m = re.search(self.group[6:], path)
            return f"{package}:{m.group(1) if m else path}"
        raise DataError(f"unknown group rule {self.group!r} (accepted: file, package, dir, regex:PATTERN)")


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    licence: str
    files: tuple[FileEntry, ...]
    note: str = ""


@dataclass
class Manifest:
    sources: list[Source]
    deny_keywords: dict[str, list[str]]
    derived: dict = field(default_factory=dict)
    path: str = ""

    def sha1(self) -> str:
        return hashlib.sha1(Path(self.path).read_bytes()).hexdigest() if self.path else ""

    def packages(self) -> list[str]:
        names = [s.package for s in self.sources]
        fl = self.derived.get("fluidsynth")
        if fl:
            names.append(fl["package"])
        return list(dict.fromkeys(names))


def _entry(d: dict, where: str) -> FileEntry:
    role = d.get("role")
    if role not in ROLES:
        raise DataError(f"{where}: role {role!r} not in {ROLES}")
    label = d.get("class", "")
    if role in ("target", "oneshot"):
        check_class(label, where)
    elif not label:
        raise DataError(f"{where}: {role} entries need a 'class' (category name)")
    elif label in CLASSES:
        raise DataError(f"{where}: {role} category {label!r} is a target class name")
    return FileEntry(glob=d["glob"], role=role, label=label, exclude=tuple(d.get("exclude", ())),
                     group=d.get("group", "file"), also_target=bool(d.get("also_target", False)),
                     max_files=d.get("max_files"), min_seconds=float(d.get("min_seconds", 0.1)),
                     licence=d.get("licence"))


def load_manifest(path=None) -> Manifest:
    path = Path(path or DEFAULT_MANIFEST)
    if not path.exists():
        raise DataError(f"library manifest {path} not found")
    data = json.loads(path.read_text())
    if data.get("format") != MANIFEST_FORMAT:
        raise DataError(f"{path} is not a library manifest (format={data.get('format')!r})")
    sources = []
    for i, s in enumerate(data["sources"]):
        where = f"{path.name} source {s.get('package', i)}"
        sources.append(Source(s["package"], s.get("version", "*"), s["licence"],
                              tuple(_entry(f, f"{where} file {f.get('glob')}") for f in s["files"]), s.get("note", "")))
    deny = data.get("deny_interference_keywords", {})
    for cls in deny:
        check_class(cls, f"{path.name} deny_interference_keywords")
    m = Manifest(sources, deny, data.get("derived", {}), str(path))
    validate_globs(m)
    return m


def validate_globs(m: Manifest) -> None:
    """Interference/background globs must not mention a target class keyword."""
    for s in m.sources:
        for f in s.files:
            if f.role in ("interference", "background"):
                hit = keyword_hit(m, f.glob)
                if hit:
                    raise DataError(f"{s.package}: {f.role} glob {f.glob!r} contains {hit[1]!r}, a keyword of "
                                    f"target class {hit[0]}; interference must stay disjoint from the targets")


def keyword_hit(m: Manifest, path: str) -> tuple[str, str] | None:
    low = path.lower().rsplit("/", 1)[-1]
    for cls, words in m.deny_keywords.items():
        for w in words:
            if w.lower() in low:
                return cls, w
    return None


def check_disjoint(m: Manifest, matched: dict[tuple[str, str], list]) -> None:
    """``matched[(package, path)]`` = entries that matched one file: one role each, and no
    interference/background file whose name holds a target keyword."""
    for (pkg, path), entries in matched.items():
        roles = {e.role for e in entries}
        if len(entries) > 1 and len(roles | {e.label for e in entries}) > 2:
            raise DataError(f"{pkg}:{path} is claimed by several manifest entries "
                            f"({', '.join(f'{e.role}/{e.label}' for e in entries)}); make the globs disjoint")
        if roles & {"interference", "background"}:
            hit = keyword_hit(m, path)
            if hit:
                raise DataError(f"{pkg}:{path} is listed as {'/'.join(sorted(roles))} but its name contains "
                                f"{hit[1]!r} (target class {hit[0]}); exclude it from the allow-list")


def select(entry: FileEntry, paths: list[str]) -> list[str]:
    """Deterministic subset for ``max_files`` (smallest sha1 of the path first)."""
    paths = sorted(paths)
    if entry.max_files is None or len(paths) <= entry.max_files:
        return paths
    return sorted(sorted(paths, key=lambda p: hashlib.sha1(p.encode()).hexdigest())[: entry.max_files])
