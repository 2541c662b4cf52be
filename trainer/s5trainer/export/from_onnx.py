"""Recover PyTorch weights from an exported model folder (``model.onnx`` + ``manifest.json``).

``weights-from-onnx --model-dir DIR --out FILE.pt`` makes any exported model (the shipped
defaults, whose PyTorch checkpoints are gone, or a user model) the base of a fine-tuning run:

1. rebuild the architecture: ``manifest.architecture`` plus the overrides the manifest and the
   graph reveal (sample rate, window, channels, slots from the manifest; STFT size and hop from
   the framing constants, U-Net widths / pools / centre blocks / mask channels / condition width,
   tagger widths / convs / mel bins from the initializer shapes and pooling nodes);
2. place every ONNX initializer into the state dict:
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
import re
from pathlib import Path

import numpy as np
import torch

from ..errors import S5Error
from .onnx_reader import Graph, read_onnx


class RecoveryError(S5Error):
    code = "onnx_recovery_failed"


WRAPPER = "model."


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


# -- module scopes --------------------------------------------------------------------------------

def module_for_scope(modules: dict, node_name: str):
    """'/model/stages.0/stages.0.0/Conv' -> ('stages.0.0', module); None when no module matches."""
    parts = [p for p in node_name.split("/") if p]
    if not parts or parts[0] != "model":
        return None
    parts = parts[1:-1]                         # drop the wrapper and the op name
    qual = ""
    for p in parts:
        cand = p if (qual and p.startswith(qual + ".")) else (f"{qual}.{p}" if qual else p)
        if cand not in modules:
            base = re.sub(r"_\d+$", "", p)      # second call of a module: 'out_conv_1'
            alt = base if (qual and base.startswith(qual + ".")) else (f"{qual}.{base}" if qual else base)
            cand = alt if alt in modules else cand
        qual = cand
    return (qual, modules[qual]) if qual in modules else None


def _conv_followers(model, example) -> dict:
    """{conv module name: batchnorm module name} where the BN reads exactly the conv's output."""
    names = {id(m): n for n, m in model.named_modules()}
    outputs: dict = {}
    pairs: dict = {}
    hooks = []

    def conv_hook(mod, _inp, out):
        outputs[id(out)] = names[id(mod)]

    def bn_hook(mod, inp):
        src = outputs.get(id(inp[0]))
        if src is not None:
            pairs.setdefault(src, names[id(mod)])

    for m in model.modules():
        if isinstance(m, torch.nn.modules.conv._ConvNd):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            hooks.append(m.register_forward_pre_hook(bn_hook))
    try:
        with torch.no_grad():
            model(*example)
    finally:
        for h in hooks:
            h.remove()
    return pairs


def _identity_var(eps: float) -> torch.Tensor:
    """running_var v = 1 - eps (float32), nudged until v + eps rounds to exactly 1 in float32."""
    v = np.float32(1.0 - eps)
    while np.float32(np.float64(v) + eps) < np.float32(1.0):
        v = np.nextafter(v, np.float32(2.0), dtype=np.float32)
    while np.float32(np.float64(v) + eps) > np.float32(1.0):
        v = np.nextafter(v, np.float32(0.0), dtype=np.float32)
    return torch.tensor(float(v))


# -- mapping --------------------------------------------------------------------------------------

def map_initializers(model, g: Graph) -> dict:
    """Fill ``model``'s state in place from the graph; returns a report (raises RecoveryError)."""
    from ..models.frontends import ISTFT, STFT, MelSTFT
    from ..models.resunet import TransposedConvKS
    model.eval()
    sd = model.state_dict()
    modules = dict(model.named_modules())
    new: dict[str, torch.Tensor] = {}
    placed: set[str] = set()
    folded: list[str] = []
    problems: list[str] = []
    # torch shares identical initializers (e.g. zero biases) through Identity nodes: resolve them
    alias: dict[str, str] = {}
    for node in g.nodes:
        if node.op_type == "Identity" and node.inputs and (node.inputs[0] in g.initializers or node.inputs[0] in alias):
            alias[node.outputs[0]] = alias.get(node.inputs[0], node.inputs[0])
    values = dict(g.initializers)
    values.update({k: values[v] for k, v in alias.items()})

    def put(key: str, value, init_name: str):
        t = torch.as_tensor(np.asarray(value, dtype=np.float32))
        if key not in sd:
            problems.append(f"{init_name}: target {key} is not in the model")
            return
        if tuple(t.shape) != tuple(sd[key].shape):
            problems.append(f"{init_name}: shape {tuple(t.shape)} does not fit {key} {tuple(sd[key].shape)}")
            return
        new[key] = t.to(sd[key].dtype)
        placed.add(alias.get(init_name, init_name))

    # 1. kept names
    for name, arr in values.items():
        if name.startswith(WRAPPER) and name[len(WRAPPER):] in sd:
            put(name[len(WRAPPER):], arr, name)

    # 2. parameters by the role they play in the node of their module (torch shares identical
    #    initializers between modules, e.g. zero biases, so a kept name is not always the owner)
    bn_nodes = set()
    for node in g.nodes:
        if node.op_type == "BatchNormalization":
            hit = module_for_scope(modules, node.name)
            if hit:
                bn_nodes.add(hit[0])
    linear_roles = {"LayerNormalization": {1: "weight", 2: "bias"},
                    "BatchNormalization": {1: "weight", 2: "bias", 3: "running_mean", 4: "running_var"}}
    followers = None
    for node in g.nodes:
        if node.op_type not in ("Conv", "Gemm", "MatMul", "LayerNormalization", "BatchNormalization"):
            continue
        hit = module_for_scope(modules, node.name)
        if hit is None:
            continue
        mname, mod = hit
        init = {i: n for i, n in enumerate(node.inputs) if n in values}
        if node.op_type in linear_roles:
            for i, role in linear_roles[node.op_type].items():
                if i in init and f"{mname}.{role}" not in new:
                    put(f"{mname}.{role}", values[init[i]], init[i])
            continue
        if node.op_type in ("Gemm", "MatMul"):
            if not isinstance(mod, torch.nn.Linear) or 1 not in init:
                continue
            w = values[init[1]]
            if node.op_type == "MatMul" or not node.attrs.get("transB", 0):
                w = w.T
            if f"{mname}.weight" not in new:
                put(f"{mname}.weight", w, init[1])
            if node.op_type == "Gemm" and 2 in init and f"{mname}.bias" not in new:
                put(f"{mname}.bias", values[init[2]], init[2])
            elif node.op_type == "MatMul" and mod.bias is not None and f"{mname}.bias" not in new:
                for add in g.consumers(node.outputs[0]):
                    b = next((i for i in add.inputs if i in values), None)
                    if add.op_type == "Add" and b is not None:
                        put(f"{mname}.bias", values[b], b)
            continue
        # Conv
        if 1 not in init:
            continue
        w_name = init[1]
        w = values[w_name]
        if isinstance(mod, TransposedConvKS):
            cin, cout = mod.weight.shape[0], mod.cout
            kt, kf = mod.stride
            if w.shape != (cout * kt * kf, cin, 1, 1):
                problems.append(f"{w_name} (node {node.name}): shape {w.shape} is not the 1x1 layout of {mname}")
                continue
            put(f"{mname}.weight", torch.from_numpy(w).reshape(cout, kt, kf, cin).permute(3, 0, 1, 2), w_name)
            continue
        if not isinstance(mod, torch.nn.modules.conv._ConvNd):
            continue
        if f"{mname}.weight" not in new:
            put(f"{mname}.weight", w, w_name)
        if 2 not in init or f"{mname}.bias" in new:
            continue
        b_name = init[2]
        bias = values[b_name]
        if followers is None:
            followers = _conv_followers(model, model.example_inputs(seconds=0.5, batch=1, seed=0))
        bn_name = followers.get(mname)
        bn = modules.get(bn_name) if bn_name else None
        owns_bias = mod.bias is not None
        if bn is None or bn_name in bn_nodes:
            if owns_bias:
                put(f"{mname}.bias", bias, b_name)
            else:
                problems.append(f"{b_name}: bias of {node.name} but {mname} has no bias and no BatchNorm after it")
            continue
        # BatchNorm folded into this conv: the fused bias goes into the conv (own bias) or the BN
        if owns_bias:
            put(f"{mname}.bias", bias, b_name)
            new[f"{bn_name}.bias"] = torch.zeros(bn.num_features)
        else:
            put(f"{bn_name}.bias", bias, b_name)
        new[f"{bn_name}.weight"] = torch.ones(bn.num_features)
        new[f"{bn_name}.running_mean"] = torch.zeros(bn.num_features)
        new[f"{bn_name}.running_var"] = _identity_var(bn.eps).repeat(bn.num_features)
        folded.append(bn_name)

    # 3. frequency BatchNorms exported as x * scale + shift
    for bn_name, bn in modules.items():
        if not isinstance(bn, torch.nn.modules.batchnorm._BatchNorm) or f"{bn_name}.weight" in new:
            continue
        parent = bn_name.rsplit(".", 1)[0] if "." in bn_name else ""
        scope = "/model/" + (parent.replace(".", "/") + "/" if parent else "")
        cands = []
        for node in g.nodes:
            if node.op_type != "Mul" or not node.name.startswith(scope) or "/" in node.name[len(scope):]:
                continue
            scale = next((i for i in node.inputs if i in g.initializers and i not in placed
                          and values[i].shape == (bn.num_features,)), None)
            if scale is None:
                continue
            for add in g.consumers(node.outputs[0]):
                shift = next((i for i in add.inputs if i in g.initializers and i not in placed
                              and values[i].shape == (bn.num_features,)), None)
                if add.op_type == "Add" and shift is not None:
                    cands.append((scale, shift))
        if len(cands) == 1:
            scale, shift = cands[0]
            put(f"{bn_name}.weight", values[scale], scale)
            put(f"{bn_name}.bias", values[shift], shift)
            new[f"{bn_name}.running_mean"] = torch.zeros(bn.num_features)
            new[f"{bn_name}.running_var"] = _identity_var(bn.eps).repeat(bn.num_features)
            folded.append(bn_name)

    # 4. front-end constants: whole STFT / mel kernels where the graph holds them
    frontend_scopes = []
    for mname, mod in modules.items():
        if isinstance(mod, (STFT, ISTFT, MelSTFT)):
            frontend_scopes.append("/model/" + mname.replace(".", "/") + "/")
        if isinstance(mod, (STFT, MelSTFT)):
            scope = "/model/" + mname.replace(".", "/") + "/"
            n_bins = (mod.n_fft if isinstance(mod, STFT) else mod.stft.n_fft) // 2 + 1
            for node in g.nodes:
                if not node.name.startswith(scope):
                    continue
                arr = g.initializers.get(node.inputs[0]) if node.inputs else None
                if node.op_type == "Pad" and arr is not None and arr.ndim == 2 and arr.shape[0] == 2 * n_bins:
                    k = torch.from_numpy(arr)
                    if isinstance(mod, STFT):
                        put(f"{mname}.conv_real.weight", k[:n_bins, None, :], node.inputs[0])
                        put(f"{mname}.conv_imag.weight", k[n_bins:, None, :], node.inputs[0])
                    else:
                        put(f"{mname}.stft.wcos", k[:n_bins, None, :], node.inputs[0])
                        put(f"{mname}.stft.wsin", k[n_bins:, None, :], node.inputs[0])
                if node.op_type == "MatMul" and isinstance(mod, MelSTFT) and len(node.inputs) > 1:
                    fb = g.initializers.get(node.inputs[1])
                    if fb is not None and fb.ndim == 2 and fb.shape[0] == n_bins:
                        put(f"{mname}.mel_basis", torch.from_numpy(fb).t(), node.inputs[1])

    def in_frontend(init_name: str, seen=None) -> bool:
        """Every consumer (through Identity nodes) lies inside a front-end module's scope."""
        seen = seen or set()
        users = g.consumers(init_name)
        if not users:
            return False
        for u in users:
            if u.op_type == "Identity" and u.outputs[0] not in seen:
                seen.add(u.outputs[0])
                if not in_frontend(u.outputs[0], seen):
                    return False
            elif not any(u.name.startswith(s) for s in frontend_scopes):
                return False
        return True

    rebuilt_inits = sorted(n for n in g.initializers if n not in placed and in_frontend(n))
    unplaced = sorted(n for n in g.initializers if n not in placed and n not in rebuilt_inits)
    problems += [f"initializer {n} {tuple(g.initializers[n].shape)} could not be placed "
                 f"(used by {', '.join(u.name for u in g.consumers(n)) or 'nothing'})" for n in unplaced]

    # every learned parameter must be set; front-end constants and BN counters may be rebuilt
    frontend_prefixes = tuple(m + "." for m, mod in modules.items() if isinstance(mod, (STFT, ISTFT, MelSTFT)))
    param_names = {n for n, _ in model.named_parameters()}
    rebuilt, unset = [], []
    for key in sd:
        if key in new:
            continue
        if key.startswith(frontend_prefixes) or key.endswith("num_batches_tracked"):
            rebuilt.append(key)
        elif key in param_names or key.endswith(("running_mean", "running_var")):
            unset.append(key)
        else:
            rebuilt.append(key)
    problems += [f"model parameter {k} {tuple(sd[k].shape)} was not set from the ONNX file" for k in unset]
    if problems:
        raise RecoveryError(f"cannot recover {getattr(model, 'arch', 'model')} weights exactly: "
                            + "; ".join(problems))
    full = dict(sd)
    full.update(new)
    model.load_state_dict(full, strict=True)
    return {"bn_folded": sorted(folded), "rebuilt_constants": sorted(rebuilt),
            "rebuilt_initializers": rebuilt_inits, "placed_initializers": len(placed),
            "initializers": len(g.initializers)}


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
