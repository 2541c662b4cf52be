"""The run folder: self-describing state of one training run.

    RUN_DIR/run.json          {id, status, created, updated, step, best_step, world_size, config, argv}
    RUN_DIR/config.json       the resolved config (what ``--config`` + ``--set`` produced)
    RUN_DIR/events.jsonl      a copy of every stdout event
    RUN_DIR/checkpoints/last.pt, best.pt
    RUN_DIR/export/<id>/      the exported app model, when ``export.on_finish`` is set

status: running | finished | cancelled | failed. Only rank 0 writes here.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..audio import write_json
from ..errors import S5Error
from .events import now_iso

STATUSES = ("running", "finished", "cancelled", "failed")


class RunFolderError(S5Error):
    code = "bad_run_folder"


class RunFolder:
    def __init__(self, path):
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self.last = self.checkpoints / "last.pt"
        self.best = self.checkpoints / "best.pt"
        self.run_json = self.path / "run.json"
        self.events = self.path / "events.jsonl"

    def read(self) -> dict | None:
        if not self.run_json.is_file():
            return None
        try:
            return json.loads(self.run_json.read_text())
        except ValueError as exc:
            raise RunFolderError(f"{self.run_json} is not valid JSON: {exc}") from exc

    def check_fresh(self) -> None:
        """A new run needs a folder that holds no run yet."""
        info = self.read()
        if info is not None:
            raise RunFolderError(f"{self.path} already holds run {info.get('id')!r} (status {info.get('status')}); "
                                 "pass --resume to continue it, or choose a new --workdir")

    def start(self, run_id: str, config: dict, world_size: int, argv: list[str], step: int) -> None:
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        info = self.read() or {"id": run_id, "created": now_iso()}
        info.update({"status": "running", "updated": now_iso(), "step": step, "world_size": world_size,
                     "config": config, "argv": argv})
        info.setdefault("best_step", None)
        write_json(self.path / "config.json", config)
        write_json(self.run_json, info)

    def update(self, **fields) -> None:
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown run status {fields['status']!r}")
        info = self.read() or {}
        info.update(fields, updated=now_iso())
        write_json(self.run_json, info)
