"""Debian packages as sound sources: ``apt-get download`` (no root needed) and selective extraction."""
from __future__ import annotations

import fnmatch
import shutil
import subprocess
import tarfile
from pathlib import Path

from ..errors import DataError, ToolMissingError


def deb_version(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True,
                          text=True).stdout.strip()


def _find_cached(debs_dir: Path, package: str) -> list[Path]:
    return sorted(debs_dir.glob(f"{package}_*.deb"))


def fetch(package: str, version_pattern: str, debs_dir: Path, log=print) -> tuple[Path, str]:
    """Path and version of ``package``'s .deb, downloaded into ``debs_dir`` unless cached."""
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise ToolMissingError(f"{tool} not found: the library builder needs a Debian system")
    debs_dir.mkdir(parents=True, exist_ok=True)
    for deb in reversed(_find_cached(debs_dir, package)):
        v = deb_version(deb)
        if fnmatch.fnmatchcase(v, version_pattern):
            return deb, v
    log(f"downloading {package}")
    proc = subprocess.run(["apt-get", "download", package], cwd=debs_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DataError(f"apt-get download {package} failed: {proc.stderr.strip()[-400:]} "
                        "(run `apt-get update` first if the package lists are stale)")
    for deb in reversed(_find_cached(debs_dir, package)):
        v = deb_version(deb)
        if fnmatch.fnmatchcase(v, version_pattern):
            return deb, v
    got = ", ".join(deb_version(d) for d in _find_cached(debs_dir, package)) or "nothing"
    raise DataError(f"{package}: no version matching {version_pattern!r} (got {got}); update the manifest")


def list_files(deb: Path) -> list[str]:
    """Regular files inside the package (paths without the leading './'); cached beside the .deb."""
    import json

    cache = deb.with_name(deb.name + ".files.json")
    if cache.exists() and cache.stat().st_mtime >= deb.stat().st_mtime:
        return json.loads(cache.read_text())
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            files = [m.name[2:] if m.name.startswith("./") else m.name for m in tar if m.isfile()]
    finally:
        proc.stdout.close()
        proc.wait()
    cache.write_text(json.dumps(files))
    return files


def extract(deb: Path, paths: set[str], out_dir: Path) -> dict[str, Path]:
    """Extract only ``paths`` into ``out_dir`` (kept, so later builds skip the work)."""
    out = {}
    todo = {p for p in paths if not (out_dir / p).exists()}
    for p in paths - todo:
        out[p] = out_dir / p
    if not todo:
        return out
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for m in tar:
                name = m.name[2:] if m.name.startswith("./") else m.name
                if name in todo and m.isfile():
                    dest = out_dir / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    tmp = dest.with_name(dest.name + ".part")
                    with tar.extractfile(m) as src, open(tmp, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    tmp.replace(dest)
                    out[name] = dest
    finally:
        proc.stdout.close()
        proc.wait()
    return out
