/**
 * Lists PortAudio devices in a short-lived child process whose stderr is captured, so the dozens
 * of "ALSA lib …" lines that PortAudio's ALSA host API makes libasound print while it probes every
 * PCM its configuration names (95 lines per listing on a machine without a sound card, fewer
 * with one) never reach the terminal the engine runs in. Why a child: libasound prints through
 * its own error handler to file descriptor 2, and neither `snd_lib_error_set_handler` nor a dup2
 * of fd 2 is reachable from JavaScript without a native module; an `ALSA_CONFIG_PATH` of our own
 * would silence it only by replacing the user's sound configuration. The child runs the same
 * binary in Node mode (`ELECTRON_RUN_AS_NODE` under Electron), so it loads the same naudiodon
 * build; a listing costs one process start (≈ 0.1–0.3 s) on top of PortAudio's own probe.
 * Opening a stream for capture still initialises PortAudio in the engine, once per Start.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

export interface ProbedDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}

export type ProbeResult = { devices: ProbedDevice[]; error: null } | { devices: null; error: string };

const SCRIPT = [
  'let out;',
  'try {',
  '  const pa = require(process.env.S5_NAUDIODON);',
  '  out = { devices: pa.getDevices().map((d) => ({ id: d.id, name: d.name, maxInputChannels: d.maxInputChannels, maxOutputChannels: d.maxOutputChannels, defaultSampleRate: d.defaultSampleRate, hostAPIName: d.hostAPIName })) };',
  '} catch (e) {',
  "  out = { error: String((e && e.message) || e).split('\\n')[0] };",
  '}',
  'process.stdout.write(JSON.stringify(out));',
].join('\n');

/** Where naudiodon resolves from the engine (throws when it is not installed). */
export function naudiodonPath(): string {
  return createRequire(__filename).resolve('naudiodon');
}

/**
 * The device list from a child process; ALSA's probe output is dropped (its last line is kept
 * for the error when the child fails without reporting one).
 */
export function probeDevices(timeoutMs = 20_000): Promise<ProbeResult> {
  let modulePath: string;
  try {
    modulePath = naudiodonPath();
  } catch (e) {
    return Promise.resolve({ devices: null, error: (e as Error).message.split('\n')[0] });
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', SCRIPT],
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', S5_NAUDIODON: modulePath },
        timeout: timeoutMs,
        maxBuffer: 4 << 20,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        try {
          const r = JSON.parse(stdout) as { devices?: ProbedDevice[]; error?: string };
          if (Array.isArray(r.devices)) return resolve({ devices: r.devices, error: null });
          if (r.error) return resolve({ devices: null, error: r.error });
        } catch {
          /* no JSON: the child died (crash, timeout) */
        }
        const last = String(stderr).trim().split('\n').filter((l) => !/^ALSA lib /.test(l)).pop();
        const why = err?.killed ? `timed out after ${timeoutMs / 1000} s` : last || err?.message || 'no output';
        resolve({ devices: null, error: `the audio device probe failed (${why})` });
      },
    );
  });
}
