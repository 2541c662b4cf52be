/**
 * The life of a uPlot chart in a Svelte component (Live strip chart, Train curves): follow the
 * host element's width, and destroy the chart with the component. `current` returns the chart the
 * component holds now (it may rebuild it); the returned function is the onMount cleanup.
 */
import type uPlot from 'uplot';

export function followHostWidth(
  host: HTMLElement | undefined,
  current: () => uPlot | null,
  size: { minWidth: number; height: number },
  release: () => void,
): () => void {
  const ro = new ResizeObserver(() => {
    if (host) current()?.setSize({ width: Math.max(size.minWidth, host.clientWidth), height: size.height });
  });
  if (host) ro.observe(host);
  return () => {
    ro.disconnect();
    current()?.destroy();
    release();
  };
}
