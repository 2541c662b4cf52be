/**
 * Imported first by main.ts, before any schema is built. Zod decides at schema construction
 * whether to compile fast parsers with `new Function`; its probe is caught, but a strict CSP
 * (no 'unsafe-eval') still reports it as a violation. Jitless parsing needs no eval.
 */
import { z } from 'zod';

z.config({ jitless: true });
