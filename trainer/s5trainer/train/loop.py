"""The training run: set up, step, validate, checkpoint, stop cleanly, report through events.

``Trainer(opts, events, stop)``: ``setup()`` then ``run()`` is the lifecycle of one process (one rank
under torchrun):

1. config from ``--config`` (new run) or from ``last.pt`` (``--resume``), ``--max-steps`` applied;
2. torchrun environment -> device, process group; threads, seeds, determinism;
3. model (``build_model(arch, **overrides)``), optional init weights, trainable filter, DDP wrap,
   AdamW(amsgrad) and a LambdaLR schedule; on resume their states, the step and the RNG states;
4. steps ``start .. total - 1``: the batch of step ``s`` is a function of (seed, s, rank), so the
   resumed run continues the very same data stream;
5. every ``log_every`` steps ``progress``; every ``validation.every`` steps ``validation`` (and
   ``best.pt`` on improvement); every ``checkpoint_every`` steps ``last.pt``;
6. a stop request (SIGTERM/SIGINT, agreed on by all ranks) -> ``last.pt``, ``cancelled``, exit 0;
   the end -> final validation, ``last.pt``, replica check, optional export, ``finished``.
Exceptions propagate to the CLI, which reports ``failed``.
"""
from __future__ import annotations

import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..errors import S5Error
from ..models.m2dat import m2d_init_state_dict
from . import checkpoint as ckpt_io
from . import distributed, sources
from .config import ConfigError
from .data import render_batch, train_loader
from .events import Events, log, now_iso
from .freeze import freeze_batchnorm, init_needs_frozen_bn, recovered_overrides
from .objectives import Objective
from .prepare import (RunOptions, default_builder, export_run, init_state_dict, load_partner, lr_factor,
                      resolve_config, set_trainable, thread_count)
from .runfolder import RunFolder
from .validate import Validator

HIGHER_IS_BETTER = {"ca_sdri": True, "label_accuracy": True, "loss": False}


class TrainingDiverged(S5Error):
    code = "diverged"


class Trainer:
    def __init__(self, opts: RunOptions, events: Events, stop, builder=default_builder):
        self.opts, self.events, self.stop, self.builder = opts, events, stop, builder
        self.folder = RunFolder(opts.workdir)
        self.owns_run = False              # True once this process marked the run folder 'running'

    # -- setup -------------------------------------------------------------------------------
    def setup(self) -> None:
        cfg, state = resolve_config(self.opts, self.folder)
        self.cfg = cfg
        if cfg.train.deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        self.dist = dist = distributed.setup(self.opts.device)
        torch.set_num_threads(thread_count(cfg, dist))
        torch.backends.cudnn.benchmark = not cfg.train.deterministic
        if cfg.train.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        if cfg.export.on_finish:
            try:
                from ..export import export_model  # noqa: F401 - fail now, not after hours of training
            except ImportError as exc:
                raise ConfigError(f"export.on_finish is set but the exporter cannot be loaded: {exc}") from exc

        if cfg.model.init and state is None:
            adopted = recovered_overrides(cfg.model.init, cfg.model.arch)
            if adopted and not cfg.model.overrides:     # a model recovered from ONNX carries its size
                cfg.model.overrides = adopted
                log(f"model.overrides from {cfg.model.init}: {adopted}", 0)
        torch.manual_seed(cfg.train.seed)                       # identical initial weights on all ranks
        core = self.builder(cfg.model.arch, **cfg.model.overrides)
        if getattr(core, "kind", None) not in ("tagger", "separator"):
            raise ConfigError(f"model {cfg.model.arch!r} has kind {getattr(core, 'kind', None)!r}; "
                              "expected 'tagger' or 'separator'")
        if cfg.model.init and state is None:
            core.load_state_dict(m2d_init_state_dict(cfg.model.init, core) or init_state_dict(cfg.model.init, cfg.model.arch), strict=cfg.model.init_strict)
            if not cfg.model.freeze_bn and init_needs_frozen_bn(cfg.model.init):
                cfg.model.freeze_bn = True             # recorded in the run config: a resume keeps it
                log(f"model.init {cfg.model.init} holds BatchNorms folded from ONNX: model.freeze_bn = true",
                    0)
        if cfg.model.freeze_bn:
            freeze_batchnorm(core)
        if cfg.model.finetune:
            if not hasattr(core, "set_finetuning"):
                raise ConfigError(f"model.finetune is set but {cfg.model.arch!r} has no freezing map; "
                                  "use model.trainable patterns")
            core.set_finetuning(cfg.model.finetune)
        set_trainable(core, cfg.model.trainable)
        self.core = core.to(dist.device)
        self.model = distributed.wrap(self.core, dist, cfg.ddp.find_unused_parameters,
                                      cfg.ddp.sync_batchnorm and not cfg.model.freeze_bn)
        self.params = [p for p in self.core.parameters() if p.requires_grad]
        t = cfg.train
        self.optimizer = torch.optim.AdamW(self.params, lr=t.lr, betas=tuple(t.betas), eps=t.eps,
                                           weight_decay=t.weight_decay, amsgrad=t.amsgrad)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_factor(cfg))
        self.step, self.best_step, self.best_value, self.last_metrics = 0, None, None, {}
        seed_rank = cfg.train.seed + 1 + dist.rank                 # dropout etc. differ across ranks
        random.seed(seed_rank), np.random.seed(seed_rank % 2**32), torch.manual_seed(seed_rank)
        if state is not None:
            self._restore(state)

        self.clip = sources.clip_for(cfg, self.core)
        self.items = sources.train_items(cfg, self.clip)
        self.renderer = None
        if cfg.data.render != "numpy":             # scenes rendered a batch at a time on the training device
            from ..synth.torch_render import TorchSceneRenderer
            self.renderer = TorchSceneRenderer(dist.device)
        val_items, n_val = sources.val_items(cfg, self.clip)
        pit = cfg.train.pit == "on" or (cfg.train.pit == "auto" and cfg.mode == "2026")
        autocast = None
        if t.precision == "bf16":
            if dist.device.type != "cuda":
                raise ConfigError("train.precision bf16 needs --device cuda")
            autocast = lambda: torch.autocast("cuda", dtype=torch.bfloat16)  # noqa: E731
        self.objective = Objective(self.core, cfg.mode, pit, cfg.data.seed, dist.rank, autocast)
        partner = load_partner(cfg.validation.partner, self.builder, dist.device) if cfg.validation.partner else None
        self.validator = Validator(val_items, n_val, cfg.validation.batch_size, cfg.mode, dist, pit, partner,
                                   cfg.data.workers) if val_items is not None else None

    def _restore(self, state: dict) -> None:
        self.core.load_state_dict(state["state_dict"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step = int(state["step"])
        meta = state.get("meta", {})
        self.best_step, self.best_value = meta.get("best_step"), meta.get("best_value")
        self.last_metrics = meta.get("metrics", {})
        ranks = state.get("rng_ranks")
        if ranks and len(ranks) == self.dist.world:
            ckpt_io.restore_rng(ranks[self.dist.rank])
        elif self.dist.rank == 0 and state.get("rng"):
            ckpt_io.restore_rng(state["rng"])
        else:
            log(f"resuming with world size {self.dist.world} != saved {len(ranks or [])}: "
                "non-zero ranks start fresh RNG streams", self.dist.rank)

    # -- checkpoints ---------------------------------------------------------------------------
    def _state(self) -> dict:
        rng = self.dist.gather(ckpt_io.capture_rng())           # collective: every rank calls it
        c = self.core
        return {"format": ckpt_io.FORMAT, "version": ckpt_io.VERSION,
                "arch": self.cfg.model.arch, "overrides": dict(self.cfg.model.overrides), "kind": c.kind,
                "state_dict": {k: v.detach().cpu() for k, v in c.state_dict().items()},
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "step": self.step, "rng": rng[0], "rng_ranks": rng,
                "data_state": {"seed": self.cfg.data.seed, "next_step": self.step, "world_size": self.dist.world,
                               "batch_size": self.cfg.train.batch_size, "source": self.cfg.data.source},
                "config": self.cfg.to_json(),
                "meta": {"run": self.events.run_id, "saved": now_iso(),
                         "task": self.cfg.task, "kind": c.kind, "sample_rate": int(c.sample_rate),
                         "window_seconds": float(getattr(c, "window_seconds", self.clip.seconds)),
                         "channels": int(c.channels), "slots": int(c.slots), "labels": list(c.labels),
                         "step": self.step, "best_step": self.best_step, "best_value": self.best_value,
                         "metrics": self.last_metrics, "params": sum(p.numel() for p in c.parameters()),
                         "trainer_version": __version__, "torch_version": str(torch.__version__)}}

    def save_last(self) -> None:
        state = self._state()
        if self.dist.is_main:
            ckpt_io.save_atomic(state, self.folder.last)
            self.folder.update(step=self.step)
            self.events.emit("checkpoint", path=str(self.folder.last), step=self.step, kind="last")

    def save_best(self) -> None:
        state = self._state()
        if self.dist.is_main:
            ckpt_io.save_atomic(ckpt_io.weights_only(state), self.folder.best)
            self.folder.update(best_step=self.best_step)
            self.events.emit("checkpoint", path=str(self.folder.best), step=self.step, kind="best")

    # -- validation ----------------------------------------------------------------------------
    def _best_key(self) -> str:
        key = self.cfg.validation.best_metric
        if key == "auto":
            key = "ca_sdri" if self.core.kind == "separator" else "label_accuracy"
        return key

    def validate(self) -> bool:
        """Run validation; False when a stop request interrupted it."""
        result = self.validator.run(self.core, self.stop)
        if result is None:
            return False
        key = self._best_key()
        value = result.get(key)
        improved = value is not None and (self.best_value is None or (
            value > self.best_value if HIGHER_IS_BETTER[key] else value < self.best_value))
        if improved:
            self.best_step, self.best_value = self.step, value
        self.last_metrics = {k: result[k] for k in ("ca_sdri", "system_ca_sdri", "label_accuracy", "loss")}
        if self.dist.is_main:
            self.events.emit("validation", step=self.step, best=improved, **result)
        if improved:
            self.save_best()
        return True

    # -- the loop ------------------------------------------------------------------------------
    def cancelled(self) -> int:
        log(f"stop requested: checkpointing at step {self.step}", self.dist.rank)
        self.save_last()
        if self.dist.is_main:
            self.folder.update(status="cancelled", step=self.step)
            self.events.emit("cancelled", step=self.step)
        return 0

    def run(self) -> int:
        cfg, dist, t = self.cfg, self.dist, self.cfg.train
        if dist.is_main:
            self.folder.start(self.events.run_id, cfg.to_json(), dist.world, list(self.opts.argv), self.step)
            self.owns_run = True
            trainable = sum(p.numel() for p in self.params)
            self.events.emit("started", config=cfg.to_json(), device=str(dist.device), world_size=dist.world,
                             params={"trainable": trainable, "total": sum(p.numel() for p in self.core.parameters())},
                             kind=self.core.kind, arch=cfg.model.arch, step=self.step, total=t.steps,
                             resumed=self.opts.resume and self.step > 0, torch=torch.__version__)
        loader = train_loader(self.items, self.step, t.steps, dist.rank, dist.world, t.batch_size,
                              cfg.data.workers, cfg.data.slot_order, dist.device.type == "cuda", t.seed)
        batches = iter(loader)
        global_batch = t.batch_size * dist.world
        loss_sum, n_window, t0 = 0.0, 0, time.perf_counter()
        validated_at = None
        self.core.train()
        while self.step < t.steps:
            if dist.any_true(self.stop()):
                return self.cancelled()
            batch = next(batches)
            batch = (render_batch(self.renderer, batch, cfg.data.slot_order) if self.renderer is not None
                     else batch.to(dist.device, non_blocking=True))
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.objective(self.model, batch, self.step)
            loss.backward()
            if t.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.params, t.grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            self.step += 1
            loss_sum += float(loss.detach())
            n_window += 1
            if self.step % t.log_every == 0 or self.step == t.steps:
                mean = self._mean_over_ranks(loss_sum / n_window)
                if not math.isfinite(mean):
                    raise TrainingDiverged(f"loss became {mean} at step {self.step}; lower train.lr or check the data")
                elapsed = max(time.perf_counter() - t0, 1e-9)
                if dist.is_main:
                    self.events.emit("progress", step=self.step, total=t.steps, loss=mean,
                                     lr=self.scheduler.get_last_lr()[0],
                                     samples_per_s=n_window * global_batch / elapsed,
                                     eta_s=(t.steps - self.step) * elapsed / n_window)
                loss_sum, n_window = 0.0, 0
            if self.validator and cfg.validation.every and self.step % cfg.validation.every == 0 and self.step < t.steps:
                validated_at = self.step
                if not self.validate():                  # a stop request interrupted validation
                    return self.cancelled()
            if self.step % t.checkpoint_every == 0 and self.step < t.steps:
                self.save_last()
            if n_window == 0:
                t0 = time.perf_counter()                   # throughput excludes validation/checkpoints
        return self.finish(validated_at)

    def _mean_over_ranks(self, value: float) -> float:
        if not self.dist.active:
            return value
        v = torch.tensor([value], dtype=torch.float64, device=self.dist.device)
        torch.distributed.all_reduce(v)
        return float(v.item()) / self.dist.world

    def finish(self, validated_at) -> int:
        if self.validator and validated_at != self.step and not self.validate():
            return self.cancelled()
        self.save_last()
        prints = self.dist.gather(distributed.fingerprint(self.core)) if self.dist.active else None
        if prints and len(set(prints)) != 1:
            raise S5Error(f"DDP replicas diverged: weight fingerprints differ across ranks {prints}")
        if not self.dist.is_main:
            return 0
        if self.cfg.export.on_finish:
            source = self.folder.best if self.folder.best.is_file() else self.folder.last
            out = export_run(source, Path(self.cfg.export.dir or self.folder.path / "export"), self.cfg,
                             self.events.run_id, self.step, self.last_metrics)
            self.events.emit("exported", dir=str(out))
        self.folder.update(status="finished", step=self.step, best_step=self.best_step)
        metrics = dict(self.last_metrics, best_metric=self._best_key() if self.validator else None,
                       best_value=self.best_value)
        self.events.emit("finished", best_step=self.best_step, metrics=metrics, step=self.step,
                         checkpoint=str(self.folder.last),
                         best_checkpoint=str(self.folder.best) if self.folder.best.is_file() else None,
                         replica_fingerprints=prints)
        return 0
