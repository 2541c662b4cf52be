/**
 * Entry of the inference worker thread: owns every ONNX Runtime session of the engine (sessions
 * are created once per model file and reused) and runs them, so `session.run` — which blocks its
 * thread in onnxruntime-node — never stalls the engine's event loop. Speaks ort-protocol.ts.
 * Built as `.vite/build/ort-worker.js` in the app (forge.config.ts); under tsx it is loaded
 * through worker-boot.cjs.
 */
import { parentPort } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { createSession, runSession, workerFacts } from './ort';
import type { HostToWorker, SessionInfo, WireTensor, WorkerReply } from './ort-protocol';

const sessions = new Map<string, { session: InferenceSession; info: SessionInfo }>();
const port = parentPort;
if (!port) throw new Error('ort-worker: must run in a worker thread');

function view(t: WireTensor): Float32Array {
  return new Float32Array(t.buffer, t.byteOffset, t.length);
}

async function handle(msg: HostToWorker): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  switch (msg.type) {
    case 'facts':
      return { reply: { id: msg.id, ok: true, type: 'facts', facts: workerFacts() }, transfer: [] };
    case 'load': {
      let entry = sessions.get(msg.key);
      if (!entry) {
        entry = await createSession(msg.file, msg.preference, msg.threads, msg.gpuPresent);
        sessions.set(msg.key, entry);
      }
      return { reply: { id: msg.id, ok: true, type: 'load', info: entry.info }, transfer: [] };
    }
    case 'run': {
      const entry = sessions.get(msg.key);
      if (!entry) throw new Error(`no session '${msg.key}' (load it first)`);
      const t0 = performance.now();
      const outs = await runSession(entry.session, msg.feeds.map((f) => ({ data: view(f), dims: f.dims })));
      const runMs = performance.now() - t0;
      // onnxruntime-node returns each output in its own ArrayBuffer: move it; copy only a view into a larger buffer.
      const outputs: WireTensor[] = outs.map((o, i) => {
        const own = o.data.byteOffset === 0 && o.data.buffer.byteLength === o.data.byteLength;
        const data = own ? o.data : new Float32Array(o.data);
        return { name: entry.info.outputs[i]?.name ?? `output${i}`, buffer: data.buffer as ArrayBuffer, byteOffset: 0, length: data.length, dims: o.dims };
      });
      const transfer = [...new Set([...outputs.map((o) => o.buffer), ...msg.feeds.map((f) => f.buffer)])];
      return { reply: { id: msg.id, ok: true, type: 'run', outputs, inputs: msg.feeds, runMs }, transfer };
    }
    case 'release': {
      const entry = sessions.get(msg.key);
      sessions.delete(msg.key);
      await entry?.session.release();
      return { reply: { id: msg.id, ok: true, type: 'release' }, transfer: [] };
    }
  }
}

port.on('message', (msg: HostToWorker) => {
  handle(msg).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (err: unknown) => {
      // Hand the inputs back even on failure, so the caller's buffers are not lost.
      const transfer = msg.type === 'run' ? [...new Set(msg.feeds.map((f) => f.buffer))] : [];
      const message = err instanceof Error ? err.message : String(err);
      port.postMessage({ id: msg.id, ok: false, message, ...(msg.type === 'run' ? { inputs: msg.feeds } : {}) }, transfer);
    },
  );
});
