// The entry point for Node: loads the module from the file next to this one, at
// import time and synchronously, so the API is ready as soon as the import is.
import { readFileSync } from "node:fs";
import { initSync } from "./loader.js";

initSync(readFileSync(new URL("./weft_bg.wasm", import.meta.url)));

export * from "./api.js";
export { init, initSync, isInitialized } from "./loader.js";
