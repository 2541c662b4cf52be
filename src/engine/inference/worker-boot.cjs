/**
 * Development bootstrap of the inference worker (CLI, tests, web bridge run TypeScript through
 * tsx): registers tsx's CommonJS loader in the new thread and loads ort-worker.ts. The packaged
 * app starts the Vite-built `.vite/build/ort-worker.js` directly instead (see ort-client.ts).
 */
'use strict';
const { workerData } = require('node:worker_threads');
const tsx = require('tsx/cjs/api');

tsx.require(workerData.entry, __filename);
