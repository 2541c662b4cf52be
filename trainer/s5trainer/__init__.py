"""s5trainer: data chain and (later) training for S5 Studio.

Module graph (imports point downwards only; nothing imports ``cli`` modules):

    __main__ / cli            argparse shell, one ``cli.py`` per subpackage
    bench                     throughput measurements
    synth/                    scene recipe (2025/2026) -> mixture, dry references, layout
      ├── library/            clip records (library.json), builder, dedupe, splits, user folders
      │     └── generators/   procedural sources, event sequencers, fluidsynth renders
      └── rooms/              FOA / 4-mic image-source simulator, room banks, user IRs
    audio, labels, paths, errors   leaf helpers (numpy/scipy/soundfile only)

Conventions: float32 planar audio ``[channels, samples]``; FOA is ACN order (W, Y, Z, X) with
SN3D normalisation; every random draw takes an explicit ``numpy.random.Generator``.
"""

__version__ = "0.1.0"
