/**
 * GUI batch load (issue #9 item 5): N short 4-channel recordings (default 100 × 3 s, cut at
 * different offsets from the demo scenes, see batch100.ts) added as one folder to the Scene view's
 * batch queue in headless Chromium (web bridge, real engine, shipped models) and run to the end.
 * Checks that every clip ends "done" with its labels.json on disk; measures the wall time from
 * Start to the last item, clips per minute, and the resident memory of the engine's process tree
 * (engine pid from the status bar) before the run (models not loaded yet), once a tenth of the
 * clips is done (models loaded: the baseline for growth), at its peak and after it.
 *
 *   npx vite build --config vite.renderer.config.mts --outDir /tmp/r --emptyOutDir
 *   S5_RENDERER_DIR=/tmp/r npx tsx test/load/gui-batch100.ts [count=100] [seconds=3]
 *
 * Prints one JSON summary line. Not part of `npm test`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness } from '../e2e/helpers';
import { rssBytes } from '../integration/faults-fixtures';
import { makeClips } from './batch100';

function treeRssMB(pid: number): number {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const kids = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (kids) pids.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return Number((pids.reduce((a, p) => a + (rssBytes(p) ?? 0), 0) / 2 ** 20).toFixed(1));
}

async function main(count: number, seconds: number) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-gui-batch-'));
  const clips = path.join(tmp, 'clips');
  const out = path.join(tmp, 'out');
  const harness = await startHarness();
  try {
    await makeClips(clips, count, seconds);
    const { page, problems } = await harness.openPage();
    const title = (await page.getByTestId('engine-status').getAttribute('title')) ?? '';
    const pid = Number(/pid (\d+)/.exec(title)?.[1]);
    if (!pid) throw new Error(`no engine pid in the status bar title: ${title}`);

    await page.getByTestId('batch-toggle').click();
    await page.getByTestId('batch-out-dir').fill(out);
    await page.getByTestId('batch-out-dir').press('Tab');
    await page.getByTestId('batch-path').fill(clips);
    await page.getByTestId('batch-path').press('Enter');
    const progress = page.getByTestId('batch-progress');
    for (let t = 0; Number(await progress.getAttribute('data-total')) !== count; t++) {
      if (t > 600) throw new Error('the clips were not queued');
      await page.waitForTimeout(100);
    }

    const rssBefore = treeRssMB(pid);
    const samples: number[] = [];
    const timer = setInterval(() => samples.push(treeRssMB(pid)), 500);
    const t0 = performance.now();
    await page.getByTestId('batch-start').click();
    // Once the models are loaded and a tenth of the clips is done: the baseline for growth over the run.
    const tenth = Math.max(1, Math.round(count / 10));
    let rssAfterTenth: number | null = null;
    const tenthSeen = page.locator(`[data-testid="batch-progress"][data-done="${tenth}"]`).waitFor({ timeout: 3_600_000 }).then(() => (rssAfterTenth = treeRssMB(pid)), () => undefined);
    await page.locator('[data-testid="batch-progress"][data-running="true"]').waitFor({ timeout: 10_000 }).catch(() => undefined);
    await page.locator('[data-testid="batch-progress"][data-running="false"]').waitFor({ timeout: 3_600_000 });
    const wallS = (performance.now() - t0) / 1000;
    clearInterval(timer);
    const rssAfter = treeRssMB(pid);
    await tenthSeen;

    const states = await page.getByTestId('batch-item').evaluateAll((els) => els.map((e) => ({ state: e.getAttribute('data-state'), out: e.getAttribute('data-out'), stems: Number(e.getAttribute('data-stems')) })));
    const done = states.filter((s) => s.state === 'done' && s.out && existsSync(path.join(s.out, 'labels.json')));
    const summary = {
      clips: count,
      secondsEach: seconds,
      done: done.length,
      failed: states.filter((s) => s.state === 'failed').length,
      stems: done.reduce((a, s) => a + s.stems, 0),
      wallS: Number(wallS.toFixed(1)),
      clipsPerMinute: Number(((done.length / wallS) * 60).toFixed(1)),
      audioSecondsPerWallSecond: Number(((done.length * seconds) / wallS).toFixed(2)),
      engineRssMB: { before: rssBefore, afterTenth: rssAfterTenth, max: Math.max(rssBefore, ...samples), after: rssAfter },
      pageProblems: problems,
    };
    console.log(JSON.stringify(summary));
    if (done.length !== count || problems.length) process.exitCode = 1;
  } finally {
    await harness.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const [count = '100', seconds = '3'] = process.argv.slice(2);
main(Number(count), Number(seconds)).catch((e) => {
  console.error(e);
  process.exit(1);
});
