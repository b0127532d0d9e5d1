// The entry point that fetches the .wasm file next to it: smaller than "weft", but
// nothing works before `await init()`.
export * from "./api.js";
export { init, initSync, isInitialized } from "./loader.js";
