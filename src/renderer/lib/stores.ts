/**
 * The renderer's state: one store per workflow (Scene, its batch queue, Live, Train, Models),
 * created once per page by App.svelte when the engine is reachable and handed to the views through
 * a Svelte context (`getStores()`). App outlives every view, so a view switch (views are unmounted)
 * never loses an open recording, a running analysis, batch, live session or training run, and each
 * store gets the one engine connection in its constructor instead of finding it itself.
 */
import { createContext } from 'svelte';
import type { S5Bridge } from '../../shared/api';
import { BatchQueue } from './batch.svelte';
import { LiveState } from './live.svelte';
import { ModelsState } from './models.svelte';
import { SceneState } from './scene.svelte';
import { TrainStore } from './train.svelte';

export interface Stores {
  scene: SceneState;
  batch: BatchQueue;
  live: LiveState;
  models: ModelsState;
  train: TrainStore;
}

export function createStores(api: S5Bridge): Stores {
  return { scene: new SceneState(api), batch: new BatchQueue(api), live: new LiveState(api), models: new ModelsState(api), train: new TrainStore(api) };
}

/** `getStores()` in any component under App's StoresProvider; `setStores` is the provider's. */
export const [getStores, setStores] = createContext<Stores>();
