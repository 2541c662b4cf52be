/** The app version, read once from package.json (bundled at build time by Vite). */
import pkg from '../../package.json';

export const APP_VERSION: string = pkg.version;
