/**
 * Live monitoring (issue #7): devices, capture, rolling labels, listen, record, replay-as-live — the part of the one contract
 * (api.ts) this workflow adds. api.ts spreads these tables into S5_METHODS / S5_EVENTS, so names
 * must not collide with other parts.
 */
import { z } from './zod';

void z;

export const LIVE_METHODS = {} as const;

export const LIVE_EVENTS = {} as const;
