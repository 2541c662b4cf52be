"""A user's own clips: ``FOLDER/ClassName/*.{wav,flac,ogg,mp3,...}`` used in one role.

Target folders must be named after one of the 18 classes (an unknown name is an error listing
the accepted ones); interference/background folders are free category names that must not be
target class names. Clips are converted like package clips and split by file.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..errors import DataError
from ..labels import CLASSES, check_class
from . import splits
from .convert import convert, pcm_sha1
from .records import Clip

AUDIO_EXT = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff", ".au")


def scan(folder, role: str = "target") -> dict[str, list[Path]]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"user folder {folder} does not exist")
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if role == "target":
            check_class(sub.name, f"user folder {sub}")
        elif sub.name in CLASSES:
            raise DataError(f"user {role} folder {sub} is named like a target class")
        files = sorted(p for p in sub.rglob("*") if p.suffix.lower() in AUDIO_EXT)
        if files:
            out[sub.name] = files
    if not out:
        raise DataError(f"no ClassName/*.wav audio found in {folder}; accepted class names: {', '.join(CLASSES)}")
    return out


def user_clips(folder, role: str, lib_dir, rate: int) -> list[Clip]:
    from ..audio import write_audio

    folder = Path(folder).resolve()
    clips = []
    for label, files in scan(folder, role).items():
        for f in files:
            rel_src = str(f.relative_to(folder))
            cid = f"user-{hashlib.sha1(f'{folder}:{rel_src}'.encode()).hexdigest()[:12]}"
            conv = convert(f, rate)
            if conv.audio is None:
                continue
            rel = f"clips/{role}/{label}/{cid}.wav"
            write_audio(Path(lib_dir) / rel, conv.audio, rate, subtype="PCM_16")
            clips.append(Clip(id=cid, role=role, label=label, split=splits.split_of(f"{folder}:{rel_src}"),
                              file=rel, duration_s=round(len(conv.audio) / rate, 4), rate=rate,
                              sha1=pcm_sha1(conv.audio), package=f"user:{folder}", path=rel_src,
                              licence="user-provided", origin="user", group=f"user:{rel_src}"))
    return clips
