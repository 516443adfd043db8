/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API server `just ui-dev` proxies to: a node started with `just dev`.
// KRONOS_API points elsewhere (e.g. http://127.0.0.1:18080).
const api = process.env.KRONOS_API ?? "http://localhost:8080";

export default defineConfig({
  plugins: [react()],
  // Served at the root of every node: /assets/… are absolute.
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Hashed file names under assets/ are what the Go handler caches for a year.
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: Object.fromEntries(
      ["/api", "/metrics", "/healthz", "/readyz", "/openapi.json", "/openapi.yaml", "/docs", "/schemas"].map(
        (path) => [path, { target: api, changeOrigin: false }],
      ),
    ),
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    setupFiles: ["src/test/setup.ts"],
    // A test that waits for the UI gets longer than its findBy… timeout.
    testTimeout: 15000,
  },
});
