// Loading the WebAssembly module once, whichever way the entry point chose.
import loadModule, { initSync as loadModuleSync } from "./weft.js";

let initialized = false;

export function isInitialized() {
  return initialized;
}

export async function init(input) {
  if (initialized) return;
  await loadModule(input === undefined ? undefined : { module_or_path: input });
  initialized = true;
}

export function initSync(input) {
  if (initialized) return;
  loadModuleSync({ module: input });
  initialized = true;
}

export function requireInitialized() {
  if (!initialized) {
    throw new Error(
      'weft: the WebAssembly module is not loaded yet: await init() first, or import "weft", which loads it for you',
    );
  }
}
