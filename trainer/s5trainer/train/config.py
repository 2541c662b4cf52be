"""Training configuration: nested dataclasses, loaded from YAML or JSON, overridden by dotted keys.

A config file holds only what differs from the defaults below; unknown keys fail with the list of
accepted ones, so a typo never silently trains the wrong thing. Variants are ``--set key=value``
overrides (``--set train.lr=3e-4``), not copies of the file. ``TrainConfig.to_json()`` is the
resolved config written into the run folder and every checkpoint.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import S5Error
from ..labels import TASKS


class ConfigError(S5Error):
    code = "bad_config"


@dataclass
class ModelCfg:
    arch: str = "sep-small-32k"
    overrides: dict = field(default_factory=dict)     # passed to build_model(arch, **overrides)
    init: str | None = None            # weights to start from: a training checkpoint, an exported
    init_strict: bool = True           #   s5trainer-model file or an official baseline .ckpt
    finetune: str | None = None        # the model's own freezing map (M2D-AT: head | <k>_blocks | all)
    trainable: list = field(default_factory=lambda: ["*"])   # fnmatch patterns of trainable parameter names
    freeze_bn: bool = False            # BatchNorms stay in eval mode (fixed running stats, affine trainable);
                                       #   set automatically for init weights recovered from ONNX (folded BN)


@dataclass
class AugmentCfg:
    """Training-only scene augmentation (``train/augment.py``); all off by default."""
    rotate: bool = False               # random whole-scene FOA rotation (yaw 360 deg, pitch/roll below)
    rotate_tilt_deg: float = 20.0
    gain_db: list | None = None        # [lo, hi] microphone gain applied to mixture and references
    tilt_db: float = 0.0               # +- dB/octave spectral tilt around 1 kHz
    seed: int = 0

    def enabled(self) -> bool:
        return bool(self.rotate or self.gain_db or self.tilt_db > 0)


@dataclass
class DataCfg:
    source: str = "synth"              # synth | folder | random
    library: str | None = None         # synth: built library (default: <data dir>/library)
    rooms: str | None = None           # synth: room bank (default: <data dir>/rooms/default)
    folder: str | None = None          # folder: official layout (soundscape/, oracle_target/)
    seconds: float | None = None       # clip length (default: the model's window)
    nevent_range: list | None = None   # target events per scene (default: by mode and model kind)
    curriculum: list = field(default_factory=list)   # [{until_step, nevent_range}], in step order
    slot_order: str = "onset"          # onset (baseline training order) | class
    workers: int = 2                   # DataLoader worker processes (0: load in the training process)
    render: str = "numpy"              # synth: numpy (whole scenes in the workers) | torch (batches on the
                                       #   training device; procedural backgrounds and mic self-noise drawn
                                       #   there) | torch-exact (the same with numpy-drawn noise: numpy's scenes)
    seed: int = 0
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    view: str = "mixture"              # mixture | single_source (stem-verifier data: one target + leakage, 1 channel)
    leak_db: list = field(default_factory=lambda: [-25.0, -5.0])   # single_source: level of the rest of the scene
    synth: dict = field(default_factory=dict)   # extra SynthConfig fields for training scenes, e.g.
                                                #   {foa_ambience: [FILE], foa_ambience_prob: 0.2, background_tilt_db: 3}


@dataclass
class ValidationCfg:
    every: int = 1000                  # steps between validations (0: never; always once at the end)
    source: str = "preset"             # preset (synth preset rendered on the fly) | folder | random | none
    preset: str = "val"
    folder: str | None = None
    n: int | None = None               # mixtures (default: the preset's size, or the whole folder)
    batch_size: int = 2
    partner: str | None = None         # checkpoint of the other model kind: full-system CA-SDRi
    best_metric: str = "auto"          # auto (ca_sdri | label_accuracy) | ca_sdri | label_accuracy | loss


@dataclass
class OptimCfg:
    steps: int = 100_000
    batch_size: int = 5                # per process (the baseline's batch per GPU)
    lr: float = 1e-4
    betas: list = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    weight_decay: float = 0.0
    amsgrad: bool = True
    grad_clip: float = 0.5             # max grad norm (0: off)
    schedule: str = "constant"         # constant | cosine
    warmup_steps: int = 0
    pit: str = "auto"                  # class-aware PIT over same-class slots: auto (2026 on) | on | off
    precision: str = "fp32"            # fp32 | bf16 (CUDA autocast)
    seed: int = 0
    threads: int = 0                   # torch intra-op threads per process (0: cores / local processes)
    deterministic: bool = False
    log_every: int = 10
    checkpoint_every: int = 500


@dataclass
class DdpCfg:
    find_unused_parameters: bool = True   # ResUNet carries unused FiLM/BN rows (spec §4.3)
    sync_batchnorm: bool = True           # CUDA only (torch's SyncBatchNorm needs GPU tensors)


@dataclass
class ExportCfg:
    on_finish: bool = False
    dir: str | None = None             # models folder; the model lands in <dir>/<id> (default: <run dir>/export)


@dataclass
class TrainConfig:
    task: str = "dcase2025t4"
    model: ModelCfg = field(default_factory=ModelCfg)
    data: DataCfg = field(default_factory=DataCfg)
    validation: ValidationCfg = field(default_factory=ValidationCfg)
    train: OptimCfg = field(default_factory=OptimCfg)
    ddp: DdpCfg = field(default_factory=DdpCfg)
    export: ExportCfg = field(default_factory=ExportCfg)

    @property
    def mode(self) -> str:
        """Data/metric edition: '2025' or '2026'."""
        return "2026" if self.task == "dcase2026t4" else "2025"

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        cfg = _build(cls, data or {}, "")
        cfg.check()
        return cfg

    def check(self) -> None:
        _choice("task", self.task, TASKS)
        _choice("data.source", self.data.source, ("synth", "folder", "random"))
        _choice("data.slot_order", self.data.slot_order, ("onset", "class"))
        _choice("data.view", self.data.view, ("mixture", "single_source"))
        _choice("data.render", self.data.render, ("numpy", "torch", "torch-exact"))
        if self.data.render != "numpy" and self.data.source != "synth":
            raise ConfigError(f"data.render {self.data.render!r} renders synthesized scenes; "
                              f"data.source {self.data.source!r} needs data.render: numpy")
        if self.data.render != "numpy" and self.data.view != "mixture":
            raise ConfigError("data.view single_source is rendered by the numpy path only; set data.render: numpy")
        _choice("validation.source", self.validation.source, ("preset", "folder", "random", "none"))
        _choice("validation.best_metric", self.validation.best_metric, ("auto", "ca_sdri", "label_accuracy", "loss"))
        _choice("train.schedule", self.train.schedule, ("constant", "cosine"))
        _choice("train.pit", str(self.train.pit), ("auto", "on", "off"))
        _choice("train.precision", self.train.precision, ("fp32", "bf16"))
        if self.data.source == "folder" and not self.data.folder:
            raise ConfigError("data.source is 'folder' but data.folder is not set")
        if self.validation.source == "folder" and not self.validation.folder:
            raise ConfigError("validation.source is 'folder' but validation.folder is not set")
        for name in ("steps", "batch_size", "log_every", "checkpoint_every"):
            if getattr(self.train, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self.train, name)}")
        if self.validation.batch_size < 1 or self.validation.every < 0:
            raise ConfigError("validation.batch_size must be >= 1 and validation.every >= 0")
        last = 0
        for k, stage in enumerate(self.data.curriculum):
            if not isinstance(stage, dict) or set(stage) != {"until_step", "nevent_range"}:
                raise ConfigError(f"data.curriculum[{k}] must be {{until_step, nevent_range}}, got {stage!r}")
            if stage["until_step"] <= last:
                raise ConfigError("data.curriculum: until_step must increase from stage to stage")
            last = stage["until_step"]


def _choice(name: str, value, accepted) -> None:
    if value not in accepted:
        raise ConfigError(f"{name} = {value!r} is not accepted; choose one of: {', '.join(accepted)}")


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'} must be a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(where + k for k in unknown)}; "
                          f"accepted under {where.rstrip('.') or 'the top level'}: {', '.join(fields)}")
    kwargs = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value, f"{where}{name}.")
        else:
            kwargs[name] = _coerce(value, default, where + name)
    return cls(**kwargs)


def _coerce(value, default, name: str):
    """Accept ints for floats, reject other type changes (``lr: "fast"``) with the key's name."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return value
    if isinstance(default, float) and not isinstance(value, bool):
        try:  # PyYAML reads "1e-4" (no dot) as a string
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if isinstance(default, (int, str, list, dict)) and not isinstance(value, type(default)):
        raise ConfigError(f"{name} must be a {type(default).__name__}, got {value!r}")
    return value


def parse_text(text: str, name: str) -> dict:
    """YAML when PyYAML is installed (JSON is valid YAML), else JSON."""
    if name.endswith(".json"):
        return json.loads(text)
    try:
        import yaml
    except ImportError as exc:
        if name.endswith((".yaml", ".yml")):
            raise ConfigError(f"{name}: reading YAML needs PyYAML (apt-get install python3-yaml, or "
                              "pip install pyyaml); JSON configs work without it") from exc
        return json.loads(text)
    return yaml.safe_load(text) or {}


def set_dotted(data: dict, assignment: str) -> None:
    """Apply ``a.b.c=value`` to a nested dict; ``value`` is parsed as YAML/JSON (3e-4, true, [1, 2])."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects KEY=VALUE, got {assignment!r}")
    key, raw = assignment.split("=", 1)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        try:
            value = parse_text(raw, "value.yaml")
        except Exception:  # noqa: BLE001 - anything unparsable is a plain string
            value = raw
    parts = key.strip().split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {key}: {part} is not a section")
    node[parts[-1]] = value


def load_config(path: str | Path | None, sets: list[str] | tuple = ()) -> TrainConfig:
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist")
        try:
            data = parse_text(p.read_text(), p.name) or {}
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - YAML/JSON syntax errors carry the position
            raise ConfigError(f"{p}: cannot parse: {exc}") from exc
    for assignment in sets:
        set_dotted(data, assignment)
    return TrainConfig.from_dict(data)
