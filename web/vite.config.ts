import { defineConfig } from "vite";

// During development the Marquee server runs on 127.0.0.1:8097 (override with MARQUEE_API);
// the dev server and `vite preview` proxy the API and the streams to it, so the app is same-origin.
const api = process.env.MARQUEE_API ?? "http://127.0.0.1:8097";
const proxy = {
  "/api": { target: api, changeOrigin: false },
  "/stream": { target: api, changeOrigin: false },
  "/healthz": { target: api, changeOrigin: false },
};

export default defineConfig({
  base: "/",
  build: {
    target: "es2022",
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    // hls.js is loaded only by the player page (a separate chunk); it is ~500 kB on its own.
    chunkSizeWarningLimit: 600,
  },
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
});
