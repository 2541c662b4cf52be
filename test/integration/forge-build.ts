/**
 * Builds the app's bundles in production mode exactly as `electron-forge package` would (the Vite
 * plugin's own config generator over forge.config.ts), without packaging: that step downloads
 * Electron, which this machine cannot. Used by the Forge smoke test and the Electron e2e test.
 */
import { build, type InlineConfig } from 'vite';
import ViteConfigGenerator from '@electron-forge/plugin-vite/dist/ViteConfig';
import type { VitePluginConfig } from '@electron-forge/plugin-vite/dist/Config';
import forgeConfig from '../../forge.config';

export async function buildProductionBundles(projectDir: string, options: { renderer: boolean }): Promise<void> {
  const plugin = forgeConfig.plugins?.[0] as unknown as { config: VitePluginConfig };
  const generator = new ViteConfigGenerator(plugin.config, projectDir, true);
  const configs: InlineConfig[] = await generator.getBuildConfigs();
  if (options.renderer) configs.push(...(await generator.getRendererConfig()));
  for (const config of configs) await build({ configFile: false, logLevel: 'warn', ...config });
}
