"""Placing the initializers of an exported ONNX graph into the PyTorch state dict of the rebuilt
architecture (step 2 of ``weights-from-onnx``, see ``from_onnx``): kept names, parameters by the
role they play in their module's node (Conv / Gemm / MatMul / LayerNorm / BatchNorm, with folded
BatchNorms turned into exact eval-mode identities), frequency BatchNorms exported as a per-bin
affine, and whole front-end kernels; then every learned parameter must be set and every
initializer placed or rebuildable, else ``RecoveryError`` names what is left.
"""
from __future__ import annotations

import re

import numpy as np
import torch

from ..errors import S5Error
from .onnx_reader import Graph


class RecoveryError(S5Error):
    code = "onnx_recovery_failed"


WRAPPER = "model."
LINEAR_ROLES = {"LayerNormalization": {1: "weight", 2: "bias"},
                "BatchNormalization": {1: "weight", 2: "bias", 3: "running_mean", 4: "running_var"}}


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


def map_initializers(model, g: Graph) -> dict:
    """Fill ``model``'s state in place from the graph; returns a report (raises RecoveryError)."""
    p = _Placement(model, g)
    p.kept_names()
    p.by_role()
    p.frequency_batchnorms()
    p.frontend_kernels()
    return p.finish()


class _Placement:
    """The state dict being filled from the graph, and what was placed, folded or went wrong."""

    def __init__(self, model, g: Graph):
        model.eval()
        self.model, self.g = model, g
        self.sd = model.state_dict()
        self.modules = dict(model.named_modules())
        self.new: dict[str, torch.Tensor] = {}
        self.placed: set[str] = set()
        self.folded: list[str] = []
        self.problems: list[str] = []
        self._followers = None
        # torch shares identical initializers (e.g. zero biases) through Identity nodes: resolve them
        self.alias: dict[str, str] = {}
        for node in g.nodes:
            if node.op_type == "Identity" and node.inputs and (node.inputs[0] in g.initializers or node.inputs[0] in self.alias):
                self.alias[node.outputs[0]] = self.alias.get(node.inputs[0], node.inputs[0])
        self.values = dict(g.initializers)
        self.values.update({k: self.values[v] for k, v in self.alias.items()})

    def put(self, key: str, value, init_name: str) -> None:
        t = torch.as_tensor(np.asarray(value, dtype=np.float32))
        if key not in self.sd:
            self.problems.append(f"{init_name}: target {key} is not in the model")
            return
        if tuple(t.shape) != tuple(self.sd[key].shape):
            self.problems.append(f"{init_name}: shape {tuple(t.shape)} does not fit {key} {tuple(self.sd[key].shape)}")
            return
        self.new[key] = t.to(self.sd[key].dtype)
        self.placed.add(self.alias.get(init_name, init_name))

    def _identity_bn(self, bn_name: str, bn) -> None:
        """A BatchNorm whose statistics were folded away: running mean 0, variance 1 - eps."""
        self.new[f"{bn_name}.running_mean"] = torch.zeros(bn.num_features)
        self.new[f"{bn_name}.running_var"] = _identity_var(bn.eps).repeat(bn.num_features)
        self.folded.append(bn_name)

    # 1. kept names
    def kept_names(self) -> None:
        for name, arr in self.values.items():
            if name.startswith(WRAPPER) and name[len(WRAPPER):] in self.sd:
                self.put(name[len(WRAPPER):], arr, name)

    # 2. parameters by the role they play in the node of their module (torch shares identical
    #    initializers between modules, e.g. zero biases, so a kept name is not always the owner)
    def by_role(self) -> None:
        bn_nodes = set()
        for node in self.g.nodes:
            if node.op_type == "BatchNormalization":
                hit = module_for_scope(self.modules, node.name)
                if hit:
                    bn_nodes.add(hit[0])
        for node in self.g.nodes:
            if node.op_type not in ("Conv", "Gemm", "MatMul", "LayerNormalization", "BatchNormalization"):
                continue
            hit = module_for_scope(self.modules, node.name)
            if hit is None:
                continue
            mname, mod = hit
            init = {i: n for i, n in enumerate(node.inputs) if n in self.values}
            if node.op_type in LINEAR_ROLES:
                for i, role in LINEAR_ROLES[node.op_type].items():
                    if i in init and f"{mname}.{role}" not in self.new:
                        self.put(f"{mname}.{role}", self.values[init[i]], init[i])
            elif node.op_type in ("Gemm", "MatMul"):
                self._linear(node, mname, mod, init)
            else:
                self._conv(node, mname, mod, init, bn_nodes)

    def _linear(self, node, mname: str, mod, init: dict) -> None:
        if not isinstance(mod, torch.nn.Linear) or 1 not in init:
            return
        w = self.values[init[1]]
        if node.op_type == "MatMul" or not node.attrs.get("transB", 0):
            w = w.T
        if f"{mname}.weight" not in self.new:
            self.put(f"{mname}.weight", w, init[1])
        if node.op_type == "Gemm" and 2 in init and f"{mname}.bias" not in self.new:
            self.put(f"{mname}.bias", self.values[init[2]], init[2])
        elif node.op_type == "MatMul" and mod.bias is not None and f"{mname}.bias" not in self.new:
            for add in self.g.consumers(node.outputs[0]):
                b = next((i for i in add.inputs if i in self.values), None)
                if add.op_type == "Add" and b is not None:
                    self.put(f"{mname}.bias", self.values[b], b)

    def _conv(self, node, mname: str, mod, init: dict, bn_nodes: set) -> None:
        from ..models.resunet import TransposedConvKS
        if 1 not in init:
            return
        w_name = init[1]
        w = self.values[w_name]
        if isinstance(mod, TransposedConvKS):
            cin, cout = mod.weight.shape[0], mod.cout
            kt, kf = mod.stride
            if w.shape != (cout * kt * kf, cin, 1, 1):
                self.problems.append(f"{w_name} (node {node.name}): shape {w.shape} is not the 1x1 layout of {mname}")
                return
            self.put(f"{mname}.weight", torch.from_numpy(w).reshape(cout, kt, kf, cin).permute(3, 0, 1, 2), w_name)
            return
        if not isinstance(mod, torch.nn.modules.conv._ConvNd):
            return
        if f"{mname}.weight" not in self.new:
            self.put(f"{mname}.weight", w, w_name)
        if 2 not in init or f"{mname}.bias" in self.new:
            return
        b_name = init[2]
        bias = self.values[b_name]
        if self._followers is None:
            self._followers = _conv_followers(self.model, self.model.example_inputs(seconds=0.5, batch=1, seed=0))
        bn_name = self._followers.get(mname)
        bn = self.modules.get(bn_name) if bn_name else None
        owns_bias = mod.bias is not None
        if bn is None or bn_name in bn_nodes:
            if owns_bias:
                self.put(f"{mname}.bias", bias, b_name)
            else:
                self.problems.append(f"{b_name}: bias of {node.name} but {mname} has no bias and no BatchNorm after it")
            return
        # BatchNorm folded into this conv: the fused bias goes into the conv (own bias) or the BN
        if owns_bias:
            self.put(f"{mname}.bias", bias, b_name)
            self.new[f"{bn_name}.bias"] = torch.zeros(bn.num_features)
        else:
            self.put(f"{bn_name}.bias", bias, b_name)
        self.new[f"{bn_name}.weight"] = torch.ones(bn.num_features)
        self._identity_bn(bn_name, bn)

    # 3. frequency BatchNorms exported as x * scale + shift
    def frequency_batchnorms(self) -> None:
        g, values = self.g, self.values
        for bn_name, bn in self.modules.items():
            if not isinstance(bn, torch.nn.modules.batchnorm._BatchNorm) or f"{bn_name}.weight" in self.new:
                continue
            parent = bn_name.rsplit(".", 1)[0] if "." in bn_name else ""
            scope = "/model/" + (parent.replace(".", "/") + "/" if parent else "")

            def per_bin(names) -> str | None:
                return next((i for i in names if i in g.initializers and i not in self.placed
                             and values[i].shape == (bn.num_features,)), None)

            cands = []
            for node in g.nodes:
                if node.op_type != "Mul" or not node.name.startswith(scope) or "/" in node.name[len(scope):]:
                    continue
                scale = per_bin(node.inputs)
                if scale is None:
                    continue
                for add in g.consumers(node.outputs[0]):
                    shift = per_bin(add.inputs)
                    if add.op_type == "Add" and shift is not None:
                        cands.append((scale, shift))
            if len(cands) == 1:
                scale, shift = cands[0]
                self.put(f"{bn_name}.weight", values[scale], scale)
                self.put(f"{bn_name}.bias", values[shift], shift)
                self._identity_bn(bn_name, bn)

    def _frontends(self, *kinds) -> list:
        return [(m, mod) for m, mod in self.modules.items() if isinstance(mod, kinds)]

    # 4. front-end constants: whole STFT / mel kernels where the graph holds them
    def frontend_kernels(self) -> None:
        from ..models.frontends import STFT, MelSTFT
        g = self.g
        for mname, mod in self._frontends(STFT, MelSTFT):
            scope = "/model/" + mname.replace(".", "/") + "/"
            n_bins = (mod.n_fft if isinstance(mod, STFT) else mod.stft.n_fft) // 2 + 1
            for node in g.nodes:
                if not node.name.startswith(scope):
                    continue
                arr = g.initializers.get(node.inputs[0]) if node.inputs else None
                if node.op_type == "Pad" and arr is not None and arr.ndim == 2 and arr.shape[0] == 2 * n_bins:
                    k = torch.from_numpy(arr)
                    real, imag = ("conv_real.weight", "conv_imag.weight") if isinstance(mod, STFT) else ("stft.wcos", "stft.wsin")
                    self.put(f"{mname}.{real}", k[:n_bins, None, :], node.inputs[0])
                    self.put(f"{mname}.{imag}", k[n_bins:, None, :], node.inputs[0])
                if node.op_type == "MatMul" and isinstance(mod, MelSTFT) and len(node.inputs) > 1:
                    fb = g.initializers.get(node.inputs[1])
                    if fb is not None and fb.ndim == 2 and fb.shape[0] == n_bins:
                        self.put(f"{mname}.mel_basis", torch.from_numpy(fb).t(), node.inputs[1])

    def _in_frontend(self, init_name: str, scopes: list, seen=None) -> bool:
        """Every consumer (through Identity nodes) lies inside a front-end module's scope."""
        seen = seen or set()
        users = self.g.consumers(init_name)
        if not users:
            return False
        for u in users:
            if u.op_type == "Identity" and u.outputs[0] not in seen:
                seen.add(u.outputs[0])
                if not self._in_frontend(u.outputs[0], scopes, seen):
                    return False
            elif not any(u.name.startswith(s) for s in scopes):
                return False
        return True

    # every learned parameter must be set; front-end constants and BN counters may be rebuilt
    def finish(self) -> dict:
        from ..models.frontends import ISTFT, STFT, MelSTFT
        g, sd, new = self.g, self.sd, self.new
        frontends = self._frontends(STFT, ISTFT, MelSTFT)
        scopes = ["/model/" + m.replace(".", "/") + "/" for m, _ in frontends]
        rebuilt_inits = sorted(n for n in g.initializers if n not in self.placed and self._in_frontend(n, scopes))
        unplaced = sorted(n for n in g.initializers if n not in self.placed and n not in rebuilt_inits)
        self.problems += [f"initializer {n} {tuple(g.initializers[n].shape)} could not be placed "
                          f"(used by {', '.join(u.name for u in g.consumers(n)) or 'nothing'})" for n in unplaced]
        frontend_prefixes = tuple(m + "." for m, _ in frontends)
        param_names = {n for n, _ in self.model.named_parameters()}
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
        self.problems += [f"model parameter {k} {tuple(sd[k].shape)} was not set from the ONNX file" for k in unset]
        if self.problems:
            raise RecoveryError(f"cannot recover {getattr(self.model, 'arch', 'model')} weights exactly: "
                                + "; ".join(self.problems))
        full = dict(sd)
        full.update(new)
        self.model.load_state_dict(full, strict=True)
        return {"bn_folded": sorted(self.folded), "rebuilt_constants": sorted(rebuilt),
                "rebuilt_initializers": rebuilt_inits, "placed_initializers": len(self.placed),
                "initializers": len(g.initializers)}
