/**
 * Fine-tuning (issue #8): trainer doctor, run manager, run events — the part of the one contract
 * (api.ts) this workflow adds. api.ts spreads these tables into S5_METHODS / S5_EVENTS, so names
 * must not collide with other parts.
 */
import { z } from './zod';

void z;

export const TRAIN_METHODS = {} as const;

export const TRAIN_EVENTS = {} as const;
