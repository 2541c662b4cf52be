/** IPC channel names shared by the preload and main.ts (no imports: safe in both bundles). */
export const IPC_CALL = 's5:call';
export const IPC_EVENT = 's5:event';
