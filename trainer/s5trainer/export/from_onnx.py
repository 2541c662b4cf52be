"""Recover PyTorch weights from an exported model folder (``model.onnx`` + ``manifest.json``).

``weights-from-onnx --model-dir DIR --out FILE.pt`` makes any exported model (the shipped
defaults, whose PyTorch checkpoints are gone, or a user model) the base of a fine-tuning run:

1. rebuild the architecture: ``manifest.architecture`` plus the overrides the manifest and the
   graph reveal (sample rate, window, channels, slots from the manifest; STFT size and hop from
   the framing constants, U-Net widths / pools / centre blocks / mask channels / condition width,
   tagger widths / convs / mel bins from the initializer shapes and pooling nodes);
2. place every ONNX initializer into the state dict (``onnx_mapping.map_initializers``):
   * kept names (``model.head.weight``): copied after stripping the export wrapper's ``model.``;
   * Conv weights torch folded a BatchNorm into (``onnx::Conv_NNN``): the Conv node name
     (``/model/enc1/conv/Conv``) names the conv module; the BatchNorm that reads the conv's
     output (found by running the PyTorch model with hooks) becomes an exact eval-mode identity
     (weight 1, running_mean 0, running_var 1 - eps) and carries the fused bias when the conv has
     none;
   * the transposed convs run as 1x1 conv + depth-to-space (``TransposedConvKS``): inverse reshape;
   * frequency BatchNorms exported as a per-bin affine (``x * scale + shift``): weight = scale,
     bias = shift, running_mean 0, running_var 1 - eps;
   * front-end constants (STFT / mel kernels) are loaded where the graph holds them whole; the
     rest of a front end's folded constants are fixed functions of n_fft / hop and are rebuilt;
   any other initializer, or any learned parameter left unset, is an error that names it;
3. verify: the PyTorch model (eval) and the ONNX file in ONNX Runtime (``export.parity``) on a
   random input and the example soundscapes must agree within the export tolerances (1e-4
   waveforms, 1e-5 probabilities); only then the s5trainer checkpoint is written (temp + rename)
   with meta ``recovered_from_onnx``, ``sha256``, ``bn_folded`` and ``freeze_bn: true`` (the
   folded BatchNorms no longer hold batch statistics, so fine-tuning keeps them in eval mode).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch

from ..errors import S5Error
from .onnx_mapping import WRAPPER, RecoveryError, map_initializers
from .onnx_reader import Graph, read_onnx

__all__ = ["RecoveryError", "infer_overrides", "map_initializers", "recover", "register"]


# -- architecture ---------------------------------------------------------------------------------

def _consts(g: Graph) -> dict:
    return {n.outputs[0]: n.attrs.get("value") for n in g.nodes if n.op_type == "Constant" and n.outputs}


def _frame_constants(g: Graph, scope: str) -> tuple[int, int] | None:
    """(n_fft, hop) of ``frames_matmul`` in ``scope``: T = (L - n_fft) // hop + 1 is Sub then Div."""
    consts = _consts(g)
    for node in g.nodes:
        if node.op_type == "Div" and node.name.startswith(scope):
            hop = consts.get(node.inputs[1])
            sub = g.producer(node.inputs[0])
            if hop is None or sub is None or sub.op_type != "Sub" or hop.size != 1:
                continue
            n = consts.get(sub.inputs[1])
            if n is not None and n.size == 1:
                return int(n), int(hop)
    return None


def _conv_weight(g: Graph, node_name: str):
    for n in g.nodes:
        if n.op_type == "Conv" and n.name == node_name:
            return g.initializers.get(n.inputs[1])
    return None


def _node(g: Graph, name: str):
    return next((n for n in g.nodes if n.name == name), None)


def infer_overrides(manifest: dict, g: Graph) -> dict:
    """build_model overrides for ``manifest['architecture']`` that reproduce the exported graph."""
    from ..models.registry import get_spec
    spec = get_spec(manifest["architecture"])
    d = dict(spec.defaults)
    found: dict = {}
    if spec.family == "resunet":
        found["input_channels"] = int(manifest["channels"])
        found["target_sources_num"] = int(manifest["slots"])
        found["label_len"] = 18 * int(manifest["slots"])
        found["sample_rate"] = int(manifest["sample_rate"])
        found["window_seconds"] = float(manifest["window_seconds"])
        fr = _frame_constants(g, "/model/base/stft/")
        if fr:
            found["n_fft"], found["hop"] = fr
        widths, pools = [], []
        i = 1
        while True:
            w = _conv_weight(g, f"/model/base/encoder_block{i}/conv_block1/conv2/Conv")
            if w is None:
                break
            widths.append(int(w.shape[0]))
            pool = _node(g, f"/model/base/encoder_block{i}/AveragePool")
            pools.append(tuple(int(v) for v in pool.attrs["kernel_shape"]) if pool else (1, 1))
            i += 1
        if widths:
            found["widths"], found["pools"] = tuple(widths), tuple(pools)
            centre = 0
            while _conv_weight(g, f"/model/base/conv_block{len(widths) + 1}{chr(97 + centre)}"
                                  f"/conv_block1/conv2/Conv") is not None:
                centre += 1
            found["center_blocks"] = centre
        after = g.initializers.get(WRAPPER + "base.after_conv.weight")
        if after is not None:
            found["mask_channels"] = int(after.shape[0]) // (3 * int(manifest["slots"]))
        emb = g.initializers.get(WRAPPER + "label_embedding.0.weight")
        if emb is not None:
            found["cond_dim"] = int(emb.shape[0])
        found["task"] = manifest.get("task", d.get("task", "dcase2025t4"))
    elif spec.family == "cnn-tagger":
        sr = int(manifest["sample_rate"])
        found["sample_rate"] = sr
        found["window_seconds"] = float(manifest["window_seconds"])
        found["channels"] = int(manifest["channels"])
        found["num_outputs"] = int(manifest["slots"])
        found["task"] = manifest.get("task")
        fr = _frame_constants(g, "/model/mel/")
        if fr:
            n_fft, hop = fr
            win_default = d.get("win_seconds", 0.032)
            if 1 << int(round(math.log2(win_default * sr))) != n_fft:
                found["win_seconds"] = n_fft / sr
            if int(round(d.get("hop_seconds", 0.02) * sr)) != hop:
                found["hop_seconds"] = hop / sr
        widths, convs = [], []
        i = 0
        while True:
            names = sorted((n.name for n in g.nodes if n.op_type == "Conv"
                            and n.name.startswith(f"/model/stages.{i}/")), key=lambda s: len(s))
            if not names:
                break
            widths.append(int(_conv_weight(g, names[0]).shape[0]))
            convs.append(len(names))
            i += 1
        if widths:
            found["widths"], found["convs"] = tuple(widths), tuple(convs)
        for n in g.nodes:
            if n.op_type == "MatMul" and n.name.startswith("/model/mel/"):
                fb = g.initializers.get(n.inputs[1])
                if fb is not None and fb.ndim == 2:
                    found["n_mels"] = int(fb.shape[1])
    else:  # official ViT taggers: fixed shapes, only the manifest contract
        pass
    if manifest.get("input_level_dbfs") is not None:     # level normalisation in the graph
        found["input_level_db"] = float(manifest["input_level_dbfs"])
    # keep only what differs from the registered defaults (tuples/lists compared by value)
    sig = _default_kwargs(spec)
    if found.get("task") == spec.task:
        found.pop("task")
    return {k: v for k, v in found.items() if v is not None and _norm(sig.get(k)) != _norm(v)}


def _default_kwargs(spec) -> dict:
    import inspect
    cls = spec.builder()
    out = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
           if p.default is not inspect.Parameter.empty}
    out.update(spec.defaults)
    return out


def _norm(v):
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    return v


# -- the whole recovery ---------------------------------------------------------------------------

def recover(model_dir, out=None, *, check_parity: bool = True, threads: int = 1,
            parity_audio=None) -> dict:
    """Recover ``model_dir`` into an s5trainer checkpoint at ``out``; returns the report."""
    from ..models.checkpoint import save_checkpoint
    from ..models.registry import build_model
    from . import _torch_outputs, parity_inputs, sha256_file
    from .parity import compare, run_onnx
    model_dir = Path(model_dir)
    man_path = model_dir / "manifest.json"
    try:
        manifest = json.loads(man_path.read_text())
    except (OSError, ValueError) as exc:
        raise RecoveryError(f"{man_path}: cannot read the manifest ({exc})") from exc
    for key in ("architecture", "sample_rate", "window_seconds", "channels", "slots"):
        if key not in manifest:
            raise RecoveryError(f"{man_path}: missing {key!r}; weights-from-onnx needs an s5trainer manifest")
    onnx_path = model_dir / manifest.get("onnx_file", "model.onnx")
    digest = sha256_file(onnx_path) if onnx_path.is_file() else None
    if digest is None:
        raise RecoveryError(f"{onnx_path}: no such file")
    if manifest.get("sha256") and manifest["sha256"] != digest:
        raise RecoveryError(f"{onnx_path}: sha256 {digest} differs from the manifest's {manifest['sha256']}")
    g = read_onnx(onnx_path)
    overrides = infer_overrides(manifest, g)
    try:
        torch.manual_seed(0)
        model = build_model(manifest["architecture"], **overrides)
    except S5Error as exc:
        raise RecoveryError(f"{model_dir}: cannot rebuild {manifest['architecture']} with {overrides}: {exc}") from exc
    report = map_initializers(model, g)
    report.update({"model_dir": str(model_dir), "id": manifest.get("id"), "arch": model.arch,
                   "kind": model.kind, "overrides": json.loads(json.dumps(overrides)),
                   "sha256": digest})
    if check_parity:
        meta = {} if parity_audio is None else {"parity_audio": list(parity_audio)}
        sets = parity_inputs(model, meta)
        ref = _torch_outputs(model, sets)
        feeds = {n: {k: v.numpy() for k, v in zip(model.input_names, ins)} for n, ins in sets.items()}
        got, timing = run_onnx(onnx_path, feeds, threads=threads)
        parity = compare(ref, got)
        report["parity"] = {"max": parity["max"], "tolerance": parity["tolerance"], "sets": parity["sets"],
                            "engine": timing.get("engine")}
        if not parity["ok"]:
            raise RecoveryError("recovered PyTorch model differs from the ONNX file beyond tolerance: "
                                + ", ".join(f"{k} max |d|={v:.3g} (tol {parity['tolerance'][k]:g})"
                                            for k, v in parity["max"].items()) + "; nothing written")
    if out is not None:
        meta = {"id": manifest.get("id"), "name": manifest.get("name"), "task": manifest.get("task"),
                "base_model": manifest.get("id"), "licence": manifest.get("licence"),
                "channel_format": manifest.get("channel_format"),
                "data": (manifest.get("provenance") or {}).get("data"),
                "recovered_from_onnx": str(model_dir), "sha256": digest,
                "bn_folded": report["bn_folded"], "freeze_bn": bool(report["bn_folded"]),
                "parity": report.get("parity", {}).get("max")}
        if manifest.get("decision"):
            meta["decision"] = manifest["decision"]
        save_checkpoint(model, out, {k: v for k, v in meta.items() if v is not None})
        report["out"] = str(out)
    report["freeze_bn"] = bool(report["bn_folded"])
    return report


def cmd_weights_from_onnx(args) -> int:
    torch.set_num_threads(max(1, int(args.threads or 1)))
    rep = recover(args.model_dir, args.out, check_parity=not args.skip_parity, threads=args.threads,
                  parity_audio=args.parity_audio)
    if args.json:
        print(json.dumps(rep))
    else:
        par = rep.get("parity", {}).get("max", {})
        print(f"recovered {rep['id']} ({rep['arch']}) -> {rep['out']}: {len(rep['bn_folded'])} folded "
              f"BatchNorms, parity " + ", ".join(f"{k} {v:.3g}" for k, v in par.items()))
    return 0


def register(sub) -> None:
    p = sub.add_parser("weights-from-onnx",
                       help="recover PyTorch weights (s5trainer checkpoint) from an exported model folder")
    p.add_argument("--model-dir", required=True, help="model folder with manifest.json and model.onnx")
    p.add_argument("--out", required=True, help="checkpoint to write (.pt); written only when parity holds")
    p.add_argument("--parity-audio", nargs="*", help="real wav clips for the parity check (default: examples)")
    p.add_argument("--skip-parity", action="store_true", help="do not run ONNX Runtime (not recommended)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_weights_from_onnx)
