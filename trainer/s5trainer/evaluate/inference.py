"""Running a tagger + separator pair on one clip the way the app does (``src/engine/pipeline``).

* Input: the set's audio (``[C, L]`` at the set rate) is resampled to each model's rate with
  polyphase filtering (``scipy.signal.resample_poly`` through ``s5trainer.audio.resample``; the app
  uses libsamplerate's SINC_MEDIUM; both are far below the models' error) and the stems come back
  to the set rate the same way, trimmed to the clip length.
* Windows: the model window (``window_seconds``); a clip that fits is zero-padded to one window and
  the output trimmed (the app's single-window case); a longer clip is cut into windows with 50 %
  overlap (last one padded), each window is tagged and separated with its own picks, and the stems
  are overlap-added with the app's triangle weights (``dsp/overlap-add.ts``). Windowed clips need a
  tagger and separator with the same rate and window (the app runs them on the same windows).
* Separator queries: labels in the order given (class-index order), up to ``slots`` labels per pass
  as concatenated one-hots, empty slots zero (silence last); a 1-slot model runs once per label.
"""
from __future__ import annotations

import numpy as np
import torch

from ..audio import resample
from ..errors import S5Error
from ..labels import CLASS_INDEX, CLASSES
from .loading import LoadedModel


class PairError(S5Error):
    code = "bad_pair"


def window_starts(frames: int, window: int) -> list[int]:
    hop = window // 2
    count = 1 if frames <= window else -(-(frames - window) // hop) + 1
    return [k * hop for k in range(count)]


def triangle_weight(window: int) -> np.ndarray:
    peak = -(-window // 2)
    i = np.arange(window)
    return (np.minimum(i + 1, window - i) / peak).astype(np.float32)


class Clip:
    """One clip at the set rate, with its resampled copies cached per model rate."""

    def __init__(self, audio: np.ndarray, rate: int):
        self.audio = np.asarray(audio, np.float32)
        self.rate = int(rate)
        self.frames = self.audio.shape[1]
        self._at: dict[int, np.ndarray] = {self.rate: self.audio}

    def at(self, rate: int) -> np.ndarray:
        if rate not in self._at:
            self._at[rate] = resample(self.audio, self.rate, rate)
        return self._at[rate]


def _windows(x: np.ndarray, channels: int, window: int) -> tuple[np.ndarray, list[int], int]:
    """``[C, n]`` -> (``[K, channels, window]`` zero-padded windows, starts, n)."""
    n = x.shape[1]
    starts = window_starts(n, window)
    out = np.zeros((len(starts), channels, window), np.float32)
    c = min(channels, x.shape[0])
    for k, s in enumerate(starts):
        seg = x[:c, s:s + window]
        out[k, :c, :seg.shape[1]] = seg
    return out, starts, n


class PairRunner:
    def __init__(self, tagger: LoadedModel | None, separator: LoadedModel):
        self.tagger, self.separator = tagger, separator

    def tag(self, clip: Clip) -> list[np.ndarray]:
        """Per-window tagger outputs (``[18]`` or ``[S, 19]`` float64), windows of the tagger."""
        t = self.tagger
        wins, _starts, _n = _windows(clip.at(t.sample_rate), t.channels, t.window_samples)
        with torch.no_grad():
            probs = t.model(torch.from_numpy(wins)).float().numpy().astype(np.float64)
        return list(probs)

    def separator_windows(self, clip: Clip) -> int:
        s = self.separator
        return len(window_starts(clip.at(s.sample_rate).shape[1], s.window_samples))

    def check_windows(self, clip: Clip) -> None:
        """Per-window queries need both models on the same windows (as in the app)."""
        if self.tagger is None or self.separator_windows(clip) == 1:
            return
        t, s = self.tagger, self.separator
        if (t.sample_rate, t.window_samples) != (s.sample_rate, s.window_samples):
            raise PairError(f"the clip is longer than one model window and the tagger ({t.sample_rate} Hz, "
                            f"{t.window_seconds} s) and separator ({s.sample_rate} Hz, {s.window_seconds} s) "
                            "differ; windowed evaluation needs a pair with the same rate and window")

    def _run_window(self, win: np.ndarray, labels: list[str]) -> list[tuple[str, np.ndarray]]:
        s = self.separator
        n_cls = len(CLASSES)
        out = []
        for at in range(0, len(labels), s.slots):
            group = labels[at:at + s.slots]
            query = np.zeros((1, s.slots * n_cls), np.float32)
            for slot, lab in enumerate(group):
                query[0, slot * n_cls + CLASS_INDEX[lab]] = 1.0
            with torch.no_grad():
                y = s.model(torch.from_numpy(win[None]), torch.from_numpy(query)).float().numpy()[0]
            out += [(lab, y[slot]) for slot, lab in enumerate(group)]
        return out

    def separate(self, clip: Clip, queries, keep: list[str] | None = None) -> list[tuple[str, np.ndarray]]:
        """Stems at the set rate for ``queries``: one label list for every window, or one list per
        window. ``keep`` (a label multiset) limits the stems to the recording's labels (instances
        ``label#k`` with k below the label's count). Returns ``[(label, wave)]`` in class-index
        order, instance order within a class."""
        s = self.separator
        wins, starts, n = _windows(clip.at(s.sample_rate), s.channels, s.window_samples)
        if queries and isinstance(queries[0], str) or not queries:
            queries = [list(queries)] * len(starts)
        if len(queries) != len(starts):
            raise PairError(f"{len(queries)} window queries for {len(starts)} separator windows")
        W = s.window_samples
        if len(starts) == 1:
            stems = {}
            for lab, y in self._run_window(wins[0], list(queries[0])):
                k = sum(1 for key in stems if key[0] == lab)
                stems[(lab, k)] = y[:n].copy()
        else:
            weight = triangle_weight(W)
            total = starts[-1] + W
            wsum = np.zeros(total, np.float64)
            sums: dict[tuple, np.ndarray] = {}
            for win, start, labels in zip(wins, starts, queries):
                wsum[start:start + W] += weight
                seen: dict[str, int] = {}
                for lab, y in self._run_window(win, list(labels)):
                    k = seen.get(lab, 0)
                    seen[lab] = k + 1
                    acc = sums.setdefault((lab, k), np.zeros(total, np.float64))
                    acc[start:start + W] += weight * y
            stems = {key: (acc / wsum)[:n].astype(np.float32) for key, acc in sums.items()}
        if keep is not None:
            counts = {lab: keep.count(lab) for lab in set(keep)}
            stems = {key: y for key, y in stems.items() if key[1] < counts.get(key[0], 0)}
        out = []
        for (lab, k) in sorted(stems, key=lambda key: (CLASS_INDEX[key[0]], key[1])):
            y = resample(stems[(lab, k)], s.sample_rate, clip.rate)[:clip.frames]
            if y.shape[0] < clip.frames:
                y = np.pad(y, (0, clip.frames - y.shape[0]))
            out.append((lab, np.ascontiguousarray(y, np.float32)))
        return out
