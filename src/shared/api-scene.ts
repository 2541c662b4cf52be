/**
 * Scene workflow (issue #6): analysis for the UI, stem PCM, spectrograms, export — the part of
 * the one contract
 * (api.ts) this workflow adds. api.ts spreads these tables into S5_METHODS / S5_EVENTS, so names
 * must not collide with other parts.
 */
import { z } from './zod';

void z;

export const SCENE_METHODS = {} as const;

export const SCENE_EVENTS = {} as const;
