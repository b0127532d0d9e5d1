// The zero-configuration entry point for browsers and bundlers: the module travels
// inside this JavaScript and is compiled at import time, so there is no .wasm file to
// serve, no top-level await and no bundler plugin. "weft/web" trades that for a
// smaller download.
import { wasmBytes } from "./wasm-inline.js";
import { initSync } from "./loader.js";

initSync(wasmBytes());

export * from "./api.js";
export { init, initSync, isInitialized } from "./loader.js";
