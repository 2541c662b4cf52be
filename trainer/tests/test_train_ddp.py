"""Data-parallel: a 2-process gloo run on CPU under torchrun completes and its ranks end with
identical weights (the trainer compares parameter fingerprints and reports them)."""
import json
import os
import signal
import socket
import subprocess
import sys
import warnings

import torch

from conftest import TRAINER
from s5trainer.doctor import torchrun_extra_args
from s5trainer.train import checkpoint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(workdir, timeout: float) -> subprocess.CompletedProcess:
    """One 2-rank run in its own process group, killed whole (launcher and workers) on timeout."""
    env = dict(os.environ, PYTHONPATH=str(TRAINER), OMP_NUM_THREADS="1")
    # static rendezvous on a free local port: --standalone's c10d rendezvous sometimes fails its
    # own shutdown on torch 1.13 ("Broken pipe") after the workers have finished
    cmd = [sys.executable, "-m", "torch.distributed.run", *torchrun_extra_args(torch.__version__),
           "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), "-m", "s5trainer.train",
           "--config", str(TRAINER / "configs" / "tiny.yaml"), "--workdir", str(workdir), "--device", "cpu",
           "--max-steps", "4", "--set", "validation.every=2", "--set", "validation.n=3",
           "--set", "train.log_every=2", "--set", "train.checkpoint_every=2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(cmd, timeout, output=out, stderr=err) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_two_process_gloo_run(tmp_path):
    # History (2026-11-28): on Debian torch 1.13 + gloo a rank sometimes hung for good in the DDP
    # wrapper's destructor after its last step (2 runs in 5); fixed by leaving with os._exit after
    # teardown (0 hangs in 14). A hung run is still retried once, loudly (a warning with its
    # output), so a rarer relapse is visible without failing CI; a finished run must be right.
    try:
        r = _torchrun(tmp_path / "ddp-first", timeout=120)
        workdir = tmp_path / "ddp-first"
    except subprocess.TimeoutExpired as hung:
        warnings.warn(f"DDP run hung; retrying once. stdout tail: {(hung.output or '')[-800:]!r} "
                      f"stderr tail: {(hung.stderr or '')[-800:]!r}")
        r = _torchrun(tmp_path / "ddp", timeout=180)
        workdir = tmp_path / "ddp"
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
    last = checkpoint.load(workdir / "checkpoints" / "last.pt")
    assert last["data_state"]["world_size"] == 2 and len(last["rng_ranks"]) == 2
