"""``info`` sub-command: architecture facts without training anything.

    python3 -m s5trainer info --arch resunetk --json
    python3 -m s5trainer info --list

JSON keys: arch, params_trainable, params_total, sample_rate, inputs, outputs, plus kind, task,
channels, slots, window_seconds, official, expected_trainable, description.
"""
from __future__ import annotations

import json


def arch_info(arch: str, **overrides) -> dict:
    import torch
    from .models import build_model, count_params, get_spec
    spec = get_spec(arch)
    torch.set_num_threads(1)
    model = build_model(spec.id, **overrides)
    trainable, total = count_params(model)
    ins, outs = model.io_spec()
    return {"arch": spec.id, "params_trainable": trainable, "params_total": total,
            "sample_rate": model.sample_rate, "inputs": ins, "outputs": outs, "kind": model.kind,
            "task": model.task, "channels": model.channels, "slots": model.slots,
            "window_seconds": model.window_seconds, "official": spec.official,
            "expected_trainable": spec.expected_trainable, "description": spec.description}


def cmd_info(args) -> int:
    from .models import ARCHS
    if args.list or not args.arch:
        rows = [{"arch": k, "kind": s.kind, "task": s.task, "official": s.official,
                 "description": s.description} for k, s in ARCHS.items()]
        print(json.dumps(rows, indent=None if args.json else 2))
        return 0
    info = arch_info(args.arch)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{info['arch']}: {info['kind']} ({info['task']}), {info['params_trainable']:,} trainable / "
              f"{info['params_total']:,} total parameters, {info['sample_rate']} Hz, "
              f"{info['channels']} ch in, {info['slots']} slots")
        for t in info["inputs"]:
            print(f"  in  {t['name']}: {t['shape']}")
        for t in info["outputs"]:
            print(f"  out {t['name']}: {t['shape']}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("info", help="architecture facts: parameter counts, I/O")
    p.add_argument("--arch", help="architecture id (case-insensitive); see --list")
    p.add_argument("--list", action="store_true", help="list the registered architectures")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)
