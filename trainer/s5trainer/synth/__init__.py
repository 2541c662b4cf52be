"""Scene synthesis (spec §7): recipes (2025/2026), rendering, official layout, on-the-fly dataset."""
from .config import SynthConfig
from .dataset import SceneDataset, iter_scenes
from .recipe import Pools, sample_scene
from .render import RenderedScene, SceneRenderer

__all__ = ["SynthConfig", "SceneDataset", "iter_scenes", "Pools", "sample_scene", "RenderedScene",
           "SceneRenderer"]
