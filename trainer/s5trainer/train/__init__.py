"""Training of S5 taggers and separators: ``python3 -m s5trainer train`` (events: trainer/PROTOCOL.md).

Module graph (imports point downwards; nothing imports ``cli``):

    cli             argparse, stdout protection, ``failed`` on any exception, exit code
    loop            Trainer: setup, steps, validation, checkpoints, stop, DDP replica check
    ├── validate    CA-SDRi / CAPI-SDRi with oracle labels, label accuracy, per-class F1, full system
    │     └── metrics           pure numpy per-mixture metrics and label decisions
    ├── prepare     run options, config resolution, init weights, LR schedule, partner, export
    ├── objectives  batch -> model inputs -> loss (uses ``s5trainer.losses``)
    ├── sources     config -> item sets (synth #3, official-layout folder, random toy)
    │     └── data              item sets, step-keyed batch sampler, collate, DataLoader
    ├── distributed torchrun env, device, backend, DDP wrap, weight fingerprints
    ├── checkpoint  atomic save/load, RNG capture/restore
    ├── runfolder   run.json, config.json, checkpoints/
    ├── events      JSON-lines protocol writer
    ├── stop        SIGTERM/SIGINT flag
    └── config      dataclass config, YAML/JSON, dotted overrides
"""
