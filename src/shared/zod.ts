/**
 * The one place the contracts get zod from. Zod 4 probes `new Function` when it builds a schema
 * (to compile faster parsers); under the renderer's and preload's strict CSP (no 'unsafe-eval')
 * that probe is reported as a violation even though zod catches it. Jitless parsing needs no eval
 * and costs nothing measurable at our payload sizes, so every process uses it.
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
