"""``s5trainer eval``: score a tagger + separator pair on a labelled set in the official layout.

Modules (each small, each importable on its own):

* ``loading``   model folders (manifest + ONNX; PyTorch weights recovered once by
                ``export.from_onnx.recover`` and cached by sha256 under ``<data>/cache/weights/``) or
                s5trainer checkpoints; the tagger's decision rule (manifest, ``--thresholds``, default)
* ``dataset``   the labelled set: ``soundscape/<name>.wav`` + ``oracle_target/<name>_<Label>.wav``
                (2026: ``<name>_<i>_<Label>.wav``), ``--set DIR`` or ``--preset test|val``
* ``decision``  the app's decision rule (``src/engine/pipeline/decision.ts``): per-class thresholds,
                min/max events, the window tally
* ``inference`` running the models like the app: resample to the model rate, model windows (a clip
                shorter than a window is zero-padded; longer: 50 % overlap, triangle crossfade), the
                separator queried with up to ``slots`` labels per pass, stems resampled back
* ``scoring``   per-mixture CA-SDRi / CAPI-SDRi (``train.metrics``), corpus aggregation as
                ``s5 evaluate`` does it, tagger-alone metrics, the loss decomposition
* ``report``    the JSON report and the human table
* ``cli``       the ``eval`` command
"""
