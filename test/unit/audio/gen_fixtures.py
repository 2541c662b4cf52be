"""Generates audio fixtures for test/unit/audio with libsndfile (python-soundfile), sox and flac,
and writes, next to each file, what an independent reader (soundfile → numpy float64) gets from
it, as raw little-endian float64, planar [channels][frames] (<name>.f64). A manifest.json lists
them. Usage: python3 gen_fixtures.py OUTDIR SET   (SET: pcm | codecs | all)
"""
import json
import os
import subprocess
import sys

import numpy as np
import soundfile as sf

out, which = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
manifest = []


def signal(channels, frames, rate, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / rate
    x = np.empty((frames, channels))
    for c in range(channels):
        x[:, c] = 0.5 * np.sin(2 * np.pi * (220 * (c + 1)) * t + c) + 0.2 * rng.uniform(-1, 1, frames)
    x[0, 0] = -1.0  # full-scale negative is exact in every PCM depth
    x[5, 1 % channels] = 0.999
    return x


def dump(path, kind, **extra):
    data, rate = sf.read(path, dtype="float64", always_2d=True)
    data.T.astype("<f8").tofile(path + ".f64")
    entry = dict(file=os.path.basename(path), kind=kind, rate=rate, channels=data.shape[1], frames=data.shape[0])
    entry.update(extra)
    manifest.append(entry)


x4 = signal(4, 12000, 48000)

if which in ("pcm", "all"):
    for sub in ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"]:
        p = os.path.join(out, f"wav_{sub.lower()}.wav")
        sf.write(p, x4, 48000, subtype=sub, format="WAV")
        dump(p, "wav", subtype=sub)
    for sub in ["PCM_16", "PCM_24", "PCM_32", "FLOAT"]:
        p = os.path.join(out, f"wavex_{sub.lower()}.wav")
        sf.write(p, x4, 48000, subtype=sub, format="WAVEX")
        dump(p, "wavex", subtype=sub)
    for sub in ["PCM_24", "FLOAT"]:
        p = os.path.join(out, f"rf64_{sub.lower()}.wav")
        sf.write(p, x4, 48000, subtype=sub, format="RF64")
        dump(p, "rf64", subtype=sub)
    # big-endian RIFX written by sox from the 16-bit file
    src = os.path.join(out, "wav_pcm_16.wav")
    p = os.path.join(out, "rifx_pcm_16.wav")
    subprocess.run(["sox", src, "-B", p], check=True)
    manifest.append(dict(file="rifx_pcm_16.wav", kind="rifx", rate=48000, channels=4, frames=12000, same_as="wav_pcm_16.wav"))
    # odd rates and channel counts
    for ch, rate in [(1, 8000), (3, 22050), (6, 96000)]:
        p = os.path.join(out, f"wav_{ch}ch_{rate}.wav")
        sf.write(p, signal(ch, 3000, rate, seed=ch), rate, subtype="PCM_16")
        dump(p, "wav", subtype="PCM_16")
    # an IMA ADPCM WAV (a WAV codec we do not decode)
    sf.write(os.path.join(out, "adpcm.wav"), x4[:, :2], 48000, subtype="IMA_ADPCM")
    sf.write(os.path.join(out, "alaw.wav"), x4[:, :2], 48000, subtype="ALAW")
    # other containers we do not read
    sf.write(os.path.join(out, "aiff.aiff"), x4[:2000], 48000, subtype="PCM_16")
    sf.write(os.path.join(out, "opus.ogg"), x4[:, :2], 48000, subtype="OPUS")

if which in ("codecs", "all"):
    for sub in ["PCM_16", "PCM_24"]:
        p = os.path.join(out, f"flac_{sub.lower()}.flac")
        sf.write(p, x4, 48000, subtype=sub, format="FLAC")
        dump(p, "flac", subtype=sub)
    # FLAC by the reference encoder, 2 channels at 44.1 kHz, with an ID3-free seektable etc.
    src = os.path.join(out, "src_2ch_44k.wav")
    sf.write(src, signal(2, 30000, 44100, seed=7), 44100, subtype="PCM_16")
    p = os.path.join(out, "flac_ref.flac")
    subprocess.run(["flac", "-s", "-f", "-8", "-o", p, src], check=True)
    dump(p, "flac", subtype="PCM_16")
    p = os.path.join(out, "ogg_vorbis.ogg")
    sf.write(p, 0.5 * x4, 48000, format="OGG", subtype="VORBIS")
    dump(p, "ogg")
    x2 = signal(2, 44100, 44100, seed=3) * 0.5
    p = os.path.join(out, "mp3_stereo.mp3")
    sf.write(p, x2, 44100, format="MP3", subtype="MPEG_LAYER_III")
    dump(p, "mp3")
    p = os.path.join(out, "mp3_mono.mp3")
    sf.write(p, x2[:, :1], 32000, format="MP3", subtype="MPEG_LAYER_III")
    dump(p, "mp3")

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
