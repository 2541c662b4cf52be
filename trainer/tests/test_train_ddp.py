"""Data-parallel: a 2-process gloo run on CPU under torchrun completes and its ranks end with
identical weights (the trainer compares parameter fingerprints and reports them)."""
import json
import os
import socket
import subprocess
import sys

import torch

from conftest import TRAINER
from s5trainer.doctor import torchrun_extra_args
from s5trainer.train import checkpoint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_gloo_run(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(TRAINER), OMP_NUM_THREADS="1")
    # static rendezvous on a free local port: --standalone's c10d rendezvous sometimes fails its
    # own shutdown on torch 1.13 ("Broken pipe") after the workers have finished
    cmd = [sys.executable, "-m", "torch.distributed.run", *torchrun_extra_args(torch.__version__),
           "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), "-m", "s5trainer.train",
           "--config", str(TRAINER / "configs" / "tiny.yaml"), "--workdir", str(tmp_path / "ddp"), "--device", "cpu",
           "--max-steps", "4", "--set", "validation.every=2", "--set", "validation.n=3",
           "--set", "train.log_every=2", "--set", "train.checkpoint_every=2"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    events = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events].count("started") == 1          # rank 0 speaks for the run
    started, finished = events[0], events[-1]
    assert started["world_size"] == 2 and finished["event"] == "finished" and finished["step"] == 4
    prints = finished["replica_fingerprints"]
    assert len(prints) == 2 and prints[0] == prints[1]
    progress = [e for e in events if e["event"] == "progress"]
    assert [p["step"] for p in progress] == [2, 4] and progress[0]["samples_per_s"] > 0
    assert all(e["mixtures"] == 3 for e in events if e["event"] == "validation")
    last = checkpoint.load(tmp_path / "ddp" / "checkpoints" / "last.pt")
    assert last["data_state"]["world_size"] == 2 and len(last["rng_ranks"]) == 2
