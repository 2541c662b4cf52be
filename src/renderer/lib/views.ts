/** The four workflow views, in rail order (Ctrl/Cmd+1..4 follows this order). */
export const VIEWS = [
  { id: 'scene', label: 'Scene' },
  { id: 'live', label: 'Live' },
  { id: 'train', label: 'Train' },
  { id: 'models', label: 'Models' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];
