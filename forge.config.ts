import type { ForgeConfig } from '@electron-forge/shared-types';
import { MakerZIP } from '@electron-forge/maker-zip';
import { MakerDeb } from '@electron-forge/maker-deb';
import { VitePlugin } from '@electron-forge/plugin-vite';

const config: ForgeConfig = {
  packagerConfig: { asar: { unpack: '**/*.{node,so,so.*,wasm}' }, name: 'S5 Studio', executableName: 's5-studio' },
  // onnxruntime-node ships prebuilt N-API binaries: nothing to rebuild against Electron's headers.
  rebuildConfig: { onlyModules: [] },
  makers: [new MakerZIP({}, ['linux']), new MakerDeb({ options: { name: 's5-studio', productName: 'S5 Studio' } })],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'src/main/main.ts', config: 'vite.main.config.mts', target: 'main' },
        { entry: 'src/main/engine/host/entry.ts', config: 'vite.main.config.mts', target: 'main' },
        { entry: 'src/preload/preload.ts', config: 'vite.preload.config.mts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.mts' }],
    }),
  ],
};

export default config;
