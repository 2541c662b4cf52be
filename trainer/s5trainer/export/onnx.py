"""PyTorch -> ONNX conversion (opset 17) with dynamic batch and sample axes.

The graph takes waveforms and returns waveforms (separators) or probabilities (taggers); the
spectral front ends are convolution/matmul based (see ``models.frontends``) so nothing needs an
opset above 17. Exporting is deterministic: eval mode, constant folding on, fixed example input.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch

OPSET = 17


class _Wrapper(torch.nn.Module):
    """Positional-argument forward with the model's ONNX I/O names (thin wrapper)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        return self.model(*args)


def dynamic_axes_for(model) -> dict:
    axes = {}
    ins, outs = model.io_spec()
    for spec in ins + outs:
        dims = {i: d for i, d in enumerate(spec["shape"]) if isinstance(d, str)}
        if dims:
            axes[spec["name"]] = dims
    return axes


def export_onnx(model, path: Path, example_inputs: tuple, opset: int = OPSET) -> Path:
    """Write ``path`` (model.onnx). ``example_inputs`` fixes the traced shapes (kept dynamic)."""
    path = Path(path)
    model = model.eval()
    wrapper = _Wrapper(model).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        buf = io.BytesIO()
        torch.onnx.export(
            wrapper, tuple(example_inputs), buf,
            input_names=list(model.input_names), output_names=list(model.output_names),
            dynamic_axes=dynamic_axes_for(model), opset_version=opset,
            do_constant_folding=True, export_params=True)
    path.write_bytes(buf.getvalue())
    return path
