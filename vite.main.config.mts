import { defineConfig } from 'vite';

// Electron main process and the engine host (utilityProcess entry) are bundled as CommonJS.
// Native and wasm-carrying packages stay external and load from node_modules at run time.
export default defineConfig({
  build: {
    rollupOptions: {
      external: [
        'onnxruntime-node',
        '@wasm-audio-decoders/flac',
        '@wasm-audio-decoders/ogg-vorbis',
        'mpg123-decoder',
        '@alexanderolsen/libsamplerate-js',
        'libflacjs',
        'ws',
      ],
    },
  },
});
