"""Dry fluidsynth renders: random melodies/chords (MusicalKeyboard) and drum patterns (Percussion).

Pieces are written as one standard MIDI file with gaps between pieces and rendered in a single
``fluidsynth -ni -R 0 -C 0`` call (reverb and chorus off keeps the result dry), then cut apart.
Percussion never uses GM note 39 (hand clap), which belongs to the Clapping class.
"""
from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..audio import read_audio, resample
from ..errors import ToolMissingError

TICKS_PER_S = 960          # 480 ticks per quarter at 120 bpm
GAP_S = 2.5

# GM programs that are keyboards: pianos, electric pianos, harpsichord, clavinet, celesta,
# organs, synth leads played from a keyboard.
KEYBOARD_PROGRAMS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 80, 81)
# GM drum notes (channel 10) by role; 39 (hand clap) excluded on purpose.
DRUMS = {"kick": (35, 36), "snare": (38, 40, 37), "hat": (42, 44, 46), "tom": (41, 43, 45, 47, 48, 50),
         "cymbal": (49, 51, 57, 59, 55), "hand": (60, 61, 62, 63, 64, 65, 66, 54, 56, 69, 70, 75, 76, 77)}
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)


@dataclass
class Piece:
    """Notes ``(start_s, dur_s, pitch, velocity)`` on one channel with one program."""

    channel: int
    program: int
    seconds: float
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)


def _vlq(x: int) -> bytes:
    out = [x & 0x7F]
    x >>= 7
    while x:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    return bytes(reversed(out))


def write_midi(path, pieces: list[Piece]) -> list[float]:
    """Pieces back to back with ``GAP_S`` gaps; returns each piece's start time (s)."""
    events, starts, t0 = [], [], 1.0
    for p in pieces:
        starts.append(t0)
        events.append((int(t0 * TICKS_PER_S) - 1, bytes([0xC0 | p.channel, p.program])))
        for s, d, pitch, vel in p.notes:
            a, b = int((t0 + s) * TICKS_PER_S), int((t0 + s + d) * TICKS_PER_S)
            events.append((a, bytes([0x90 | p.channel, pitch, vel])))
            events.append((b, bytes([0x80 | p.channel, pitch, 0])))
        end = int((t0 + p.seconds) * TICKS_PER_S)
        events.append((end, bytes([0xB0 | p.channel, 123, 0])))     # all notes off
        t0 += p.seconds + GAP_S
    events.sort(key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80))       # note-offs first at equal ticks
    track, last = bytearray(b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big")), 0
    for tick, data in events:
        track += _vlq(max(tick - last, 0)) + data
        last = max(tick, last)
    track += _vlq(int(GAP_S * TICKS_PER_S)) + b"\xff\x2f\x00"
    Path(path).write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))
    return starts


def keyboard_piece(rng: np.random.Generator, seconds: float) -> Piece:
    """Melody over chords, arpeggios or a chord progression in a random key and tempo."""
    prog = int(rng.choice(KEYBOARD_PROGRAMS))
    root = int(rng.integers(48, 61))
    scale = np.array([0, 2, 4, 5, 7, 9, 11]) if rng.random() < 0.6 else np.array([0, 2, 3, 5, 7, 8, 10])
    beat = 60.0 / rng.uniform(60, 160)
    style = rng.choice(["melody", "chords", "arpeggio", "run"])
    notes: list[tuple[float, float, int, int]] = []
    t = 0.0
    degrees = [0, 3, 4, 5, 0, 4, 3, 4]
    while t < seconds - 0.2:
        deg = int(rng.choice(degrees))
        chord = [root + scale[(deg + k) % 7] + 12 * ((deg + k) // 7) for k in (0, 2, 4)]
        if style in ("melody", "chords"):
            dur = beat * rng.choice([1, 2, 4]) if style == "chords" else beat * 2
            for p in chord:
                notes.append((t, min(dur, seconds - t) * 0.95, p, int(rng.integers(50, 90))))
            if style == "melody":
                tm = t
                while tm < t + dur and tm < seconds - 0.1:
                    d = beat * rng.choice([0.25, 0.5, 1.0])
                    p = root + 12 + int(scale[int(rng.integers(7))]) + 12 * int(rng.random() < 0.2)
                    notes.append((tm, min(d, seconds - tm) * 0.9, p, int(rng.integers(60, 110))))
                    tm += d
            t += dur
        elif style == "arpeggio":
            step = beat * rng.choice([0.25, 0.5])
            for k in range(4):
                if t >= seconds - 0.1:
                    break
                notes.append((t, min(step * 1.5, seconds - t), chord[k % 3] + 12 * (k // 3), int(rng.integers(50, 100))))
                t += step
        else:
            step = beat * rng.choice([0.125, 0.25])
            for k in range(int(rng.integers(4, 12))):
                if t >= seconds - 0.1:
                    break
                p = root + int(scale[k % 7]) + 12 * (k // 7)
                notes.append((t, step * 0.9, p, int(rng.integers(50, 100))))
                t += step
            t += beat
    return Piece(0, prog, seconds, notes)


def percussion_piece(rng: np.random.Generator, seconds: float) -> Piece:
    """A drum-kit groove with fills, or a hand-percussion pattern (congas, bongos, shakers)."""
    kit = int(rng.choice(DRUM_KITS))
    beat = 60.0 / rng.uniform(70, 170)
    sixteenth = beat / 4
    notes = []
    hand = rng.random() < 0.35
    if hand:
        voices = [int(v) for v in rng.choice(DRUMS["hand"], int(rng.integers(2, 5)), replace=False)]
        patterns = [rng.random(16) < rng.uniform(0.2, 0.6) for _ in voices]
    else:
        kick, snare, hat = (int(rng.choice(DRUMS[k])) for k in ("kick", "snare", "hat"))
        voices = [kick, snare, hat]
        kp = np.zeros(16, bool)
        kp[[0, 8]] = True
        kp |= rng.random(16) < 0.12
        sp = np.zeros(16, bool)
        sp[[4, 12]] = True
        hp = np.zeros(16, bool)
        hp[:: int(rng.choice([1, 2, 4]))] = True
        patterns = [kp, sp, hp]
    step, bar = 0, 0
    t = 0.0
    while t < seconds - 0.05:
        fill = not hand and bar % 4 == 3 and step >= 8 and rng.random() < 0.7
        for v, pat in zip(voices, patterns):
            if pat[step % 16] and not fill:
                notes.append((t, sixteenth, v, int(np.clip(rng.normal(90, 15), 30, 127))))
        if fill and rng.random() < 0.6:
            notes.append((t, sixteenth, int(rng.choice(DRUMS["tom"] + DRUMS["snare"])), int(rng.integers(70, 120))))
        if not hand and step % 16 == 0 and bar % 4 == 0 and rng.random() < 0.5:
            notes.append((t, beat, int(rng.choice(DRUMS["cymbal"])), int(rng.integers(70, 110))))
        t += sixteenth * (1 + rng.normal(0, 0.01))
        step += 1
        bar += step % 16 == 0
    return Piece(9, kit, seconds, notes)


def fluidsynth_available() -> bool:
    return shutil.which("fluidsynth") is not None


def render_pieces(pieces: list[Piece], soundfont, rate: int, gain: float = 0.5) -> list[np.ndarray]:
    """Render all pieces in one fluidsynth call; returns mono float32 arrays at ``rate``."""
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise ToolMissingError("fluidsynth not found (Debian package fluidsynth); MusicalKeyboard/Percussion "
                               "renders need it")
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "p.mid", Path(tmp) / "p.wav"
        starts = write_midi(mid, pieces)
        synth_rate = rate if rate >= 22050 else 44100
        subprocess.run([exe, "-ni", "-q", "-R", "0", "-C", "0", "-g", str(gain), "-r", str(synth_rate),
                        "-F", str(wav), "-T", "wav", str(soundfont), str(mid)],
                       check=True, capture_output=True, timeout=3600)
        x, sr = read_audio(wav)
    mono = x.mean(0)
    out = []
    for p, s in zip(pieces, starts):
        seg = mono[int(s * sr): int((s + p.seconds + 0.5) * sr)]   # +0.5 s release tail
        out.append(resample(seg, sr, rate))
    return out
