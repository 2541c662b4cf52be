"""``export`` and ``import-official`` sub-commands.

    python3 -m s5trainer export --checkpoint CKPT --out DIR [--id ID] [--name NAME] [--data TEXT]
        [--licence TEXT] [--channel-format FMT] [--parity-audio WAV ...] [--parity-seconds S]
        [--skip-parity] [--json]
    python3 -m s5trainer import-official [--tagger TAGGER.ckpt] [--separator SEP.ckpt] --out DIR
        [--tagger-arch m2dat|m2dat4c] [--separator-arch resunet|resunetk] [--licence TEXT] [--json]
    python3 -m s5trainer m2d-weights [PATH] [--json]

``export`` reads an s5trainer checkpoint (dict with arch, overrides, state_dict, meta; see
``trainer/docs/models.md``); ``import-official`` reads the baseline's Lightning checkpoints
(prefix stripped, strict load) and writes ``DIR/<arch>-official/`` folders; ``m2d-weights`` says
where the official recipe's M2D encoder goes and checks the file (``models/m2dat.py``).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import S5Error

OFFICIAL_LICENCE = ("upstream baseline weights: see the licence of nttcslab/dcase2025_task4_baseline "
                    "(or dcase2026_task4_baseline); check before redistribution")


def _meta_from_args(args, base: dict) -> dict:
    meta = dict(base)
    for key in ("id", "name", "data", "licence", "channel_format", "task"):
        val = getattr(args, key, None)
        if val:
            meta[key] = val
    if getattr(args, "parity_audio", None):
        meta["parity_audio"] = list(args.parity_audio)
    if getattr(args, "parity_seconds", None):
        meta["parity_seconds"] = float(args.parity_seconds)
    return meta


def _torch_threads(n: int | None) -> None:
    import torch
    torch.set_num_threads(max(1, int(n or 2)))


def _with_input_level(model, level_db: float):
    """The same weights with the input level normalised inside the graph (``input_level_db``: each
    window scaled to that W-channel RMS, outputs scaled back), e.g. to make a shipped model level-invariant."""
    from ..models import build_model
    overrides = {**(getattr(model, "overrides", None) or {}), "input_level_db": float(level_db)}
    out = build_model(model.arch, **overrides)
    out.load_state_dict(model.state_dict(), strict=True)
    out.overrides = overrides
    return out.eval()


def cmd_export(args) -> int:
    from ..models.checkpoint import load_checkpoint
    from . import export_model
    _torch_threads(args.threads)
    model, meta = load_checkpoint(args.checkpoint)
    if args.input_level_db is not None:
        model = _with_input_level(model, args.input_level_db)
    meta = _meta_from_args(args, meta)
    meta["id"] = args.id or Path(args.out).name
    out = export_model(model, args.out, meta, check_parity=not args.skip_parity)
    man = json.loads((out / "manifest.json").read_text())
    if args.json:
        print(json.dumps({"out": str(out), "id": man["id"], "sha256": man["sha256"], "metrics": man["metrics"]}))
    else:
        print(f"exported {man['id']} ({man['architecture']}) to {out}")
    return 0


def cmd_import_official(args) -> int:
    from ..models.checkpoint import load_official
    from . import export_model
    if not args.tagger and not args.separator:
        raise S5Error("give --tagger and/or --separator")
    _torch_threads(args.threads)
    done = []
    for path, arch in ((args.tagger, args.tagger_arch), (args.separator, args.separator_arch)):
        if not path:
            continue
        model, info = load_official(path, arch)
        mid = f"{info['arch']}-official"
        ignored = list(info.get("ignored_objects") or [])
        base = f"{info['arch']} official checkpoint {Path(path).name}"
        if ignored:
            base += f"; objects in the file not built (no code from it ran): {', '.join(ignored)}"
        meta = {"id": mid, "name": f"Official baseline {info['arch']} (imported)",
                "data": "DCASE 2025/2026 Task 4 development set (official baseline training)",
                "base_model": base, "licence": args.licence or OFFICIAL_LICENCE,
                "notes": import_notes(Path(path).name, ignored)}
        if info.get("global_step") is not None:
            meta["steps"] = int(info["global_step"])
        if args.parity_audio:
            meta["parity_audio"] = list(args.parity_audio)
        if args.parity_seconds:
            meta["parity_seconds"] = float(args.parity_seconds)
        out = export_model(model, Path(args.out) / mid, meta, check_parity=not args.skip_parity)
        done.append({"arch": info["arch"], "out": str(out), "source": str(path),
                     "sha256": json.loads((out / "manifest.json").read_text())["sha256"],
                     "ignored_objects": ignored})
        del model
    if args.json:
        print(json.dumps(done))
    else:
        for d in done:
            print(f"imported {d['arch']} -> {d['out']}")
            if d["ignored_objects"]:
                print(f"  ignored in {d['source']} (not built, no code from the file ran): "
                      f"{', '.join(d['ignored_objects'])}")
    return 0


def cmd_m2d_weights(args) -> int:
    """Where the official recipe's M2D encoder goes, and whether the file there (or PATH) is usable."""
    from ..models.m2dat import M2D_AS_FOLDER, M2dWeightsError, default_m2d_weights, read_m2d_encoder
    path = Path(args.path) if args.path else default_m2d_weights()
    try:
        _, info = read_m2d_encoder(path)
    except M2dWeightsError as exc:
        if args.json:
            print(json.dumps({"ok": False, "file": str(path), "expected": str(default_m2d_weights()), "error": str(exc)}))
            return 1
        raise S5Error(str(exc)) from None
    warnings = []
    if info["depth"] != 12 or info["dim"] != 768 or info["tokens"] != 311:
        warnings.append(f"{info['depth']} blocks, width {info['dim']}, {info['tokens']} tokens: the official "
                        f"{M2D_AS_FOLDER} has 12, 768 and 311; the official-size m2dat/m2dat4c will not load it")
    if args.json:
        print(json.dumps({"ok": True, **info, "warnings": warnings}))
        return 0
    print(f"ok {path}: M2D encoder, {info['depth']} blocks x {info['dim']}, {info['tokens']} position tokens, "
          f"norm_stats {info['norm_stats']}{' (default: not in the file)' if info['norm_stats_default'] else ''}")
    if info["dropped"]:
        print(f"  not used: {', '.join(info['dropped'][:8])}{' …' if len(info['dropped']) > 8 else ''}")
    for w in warnings:
        print(f"  warning: {w}")
    print(f"  train: s5trainer train --config trainer/configs/m2dat-head.yaml --set model.init={path}")
    return 0


def import_notes(file_name: str, ignored: list) -> str:
    """Model-card note on what the import took from the checkpoint and what it left out."""
    text = (f"Imported from the official checkpoint `{file_name}`: only its `state_dict` tensors were "
            "read (strict load); the file was unpickled with an allow-list, so no code from it ran.")
    if ignored:
        text += (" Objects the file names that were not built (replaced by inert placeholders): "
                 + ", ".join(f"`{name}`" for name in ignored) + ".")
    else:
        text += " It named no other objects."
    return text


def register(sub) -> None:
    p = sub.add_parser("export", help="export a trained checkpoint to model.onnx + manifest.json")
    p.add_argument("--checkpoint", required=True, help="s5trainer checkpoint (.pt)")
    p.add_argument("--out", required=True, help="model folder to write (replaced if it exists)")
    p.add_argument("--id", help="manifest id; must equal the --out folder name (default: that name)")
    p.add_argument("--name")
    p.add_argument("--task", choices=("dcase2025t4", "dcase2026t4"))
    p.add_argument("--data", help="training data description for the provenance")
    p.add_argument("--licence")
    p.add_argument("--channel-format", dest="channel_format")
    p.add_argument("--parity-audio", nargs="*", help="real wav clips for the parity check")
    p.add_argument("--parity-seconds", type=float, help="length of the random parity input (default 3)")
    p.add_argument("--skip-parity", action="store_true", help="do not run ONNX Runtime (not recommended)")
    p.add_argument("--input-level-db", type=float, dest="input_level_db",
                   help="normalise each input window to this W-channel RMS (dBFS) inside the graph "
                        "and scale the outputs back: the model then gives the same result at any gain")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    q = sub.add_parser("import-official", help="convert official baseline checkpoints to app models")
    q.add_argument("--tagger", help="official M2D-AT Lightning checkpoint")
    q.add_argument("--separator", help="official ResUNet/ResUNetK Lightning checkpoint")
    q.add_argument("--out", required=True, help="folder that receives <arch>-official/ model folders")
    q.add_argument("--tagger-arch", choices=("m2dat", "m2dat-2026", "m2dat4c"), help="default: detected")
    q.add_argument("--separator-arch", choices=("resunet", "resunetk"), help="default: detected")
    q.add_argument("--licence")
    q.add_argument("--parity-audio", nargs="*")
    q.add_argument("--parity-seconds", type=float, help="length of the random parity input (default 3)")
    q.add_argument("--skip-parity", action="store_true")
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_import_official)

    m = sub.add_parser("m2d-weights", help="where the official recipe's M2D encoder goes; check the file there")
    m.add_argument("path", nargs="?", help="the M2D encoder file (default: <data>/pretrained/"
                   "m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly/weights_ep69it3124-0.47998.pth)")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_m2d_weights)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python3 -m s5trainer export|import-official")
