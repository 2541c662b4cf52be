"""DDP wiring only: read torchrun's environment, pick device and backend, wrap the model.

``torchrun --nproc_per_node N -m s5trainer train ...`` sets RANK / WORLD_SIZE / LOCAL_RANK and the
rendezvous; multi-node runs use torchrun's own ``--nnodes/--rdzv-*`` options. Backend: NCCL on
CUDA, gloo on CPU. Without those variables the run is a single process and nothing here talks to
``torch.distributed``.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import torch

from ..errors import S5Error


class DeviceError(S5Error):
    code = "device_unavailable"


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    local_world: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def any_true(self, flag: bool) -> bool:
        """True on every rank if ``flag`` is true on any rank (all ranks must call it together)."""
        if not self.active:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.MAX)
        return bool(t.item() > 0)

    def gather(self, obj) -> list:
        """Every rank's ``obj``, in rank order (on every rank)."""
        if not self.active:
            return [obj]
        out = [None] * self.world
        torch.distributed.all_gather_object(out, obj)
        return out

    def barrier(self) -> None:
        if self.active:
            torch.distributed.barrier()


def resolve_device(pref: str, local_rank: int = 0) -> torch.device:
    if pref not in ("auto", "cpu", "cuda"):
        raise DeviceError(f"--device {pref!r} is not accepted; choose auto, cpu or cuda")
    if pref == "cpu" or (pref == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DeviceError("--device cuda was asked for but torch.cuda.is_available() is False "
                          f"(torch {torch.__version__}, built with CUDA {torch.version.cuda})")
    n = torch.cuda.device_count()
    if local_rank >= n:
        raise DeviceError(f"local rank {local_rank} needs GPU {local_rank} but only {n} are visible")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def setup(device_pref: str) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    device = resolve_device(device_pref, local_rank)
    if world > 1:
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world)
    return Dist(rank, world, local_rank, local_world, device)


def teardown(dist: Dist) -> None:
    if dist.active and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def wrap(model: torch.nn.Module, dist: Dist, find_unused: bool, sync_bn: bool) -> torch.nn.Module:
    if not dist.active:
        return model
    if sync_bn and dist.device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ids = [dist.device.index] if dist.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)


def fingerprint(model: torch.nn.Module) -> str:
    """SHA-1 of every parameter, bit for bit: equal on all ranks of a healthy DDP run. (Buffers such
    as BatchNorm running statistics are rank-local between forwards; checkpoints hold rank 0's.)"""
    h = hashlib.sha1()
    for name, t in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
