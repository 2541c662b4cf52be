/**
 * The four workflow views, in rail order (Ctrl/Cmd+1..4 follows this order), and a tiny
 * navigation channel so one view can ask the shell to show another (with a file to open).
 */
import type { ChannelFormat } from '../../shared/audio';

export const VIEWS = [
  { id: 'scene', label: 'Scene' },
  { id: 'live', label: 'Live' },
  { id: 'train', label: 'Train' },
  { id: 'models', label: 'Models' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

/** A request to show a view, optionally opening a file there (e.g. Live's "Open in Scene"). */
export interface ViewRequest {
  view: ViewId;
  /** Scene only: a file to open, with its declared channel format when known. */
  open?: { path: string; channelFormat?: ChannelFormat };
}

type ViewListener = (req: ViewRequest) => void;
const viewListeners = new Set<ViewListener>();

/** Asks the app shell to switch views (views are siblings, so they cannot switch themselves). */
export function requestView(req: ViewRequest): void {
  for (const l of viewListeners) l(req);
}

/** The shell listens here; returns the unsubscribe function. */
export function onViewRequest(listener: ViewListener): () => void {
  viewListeners.add(listener);
  return () => viewListeners.delete(listener);
}
