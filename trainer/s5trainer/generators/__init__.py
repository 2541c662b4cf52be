"""Procedural sound generators, event sequencers and fluidsynth renders."""
