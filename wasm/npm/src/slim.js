// The entry point that brings no module: pass `init()` the bytes, a Response or a URL
// of weft.wasm ("weft/weft.wasm" in the package).
import { init as load } from "./loader.js";

export * from "./api.js";
export { initSync, isInitialized } from "./loader.js";

export async function init(input) {
  if (input === undefined) {
    throw new Error('weft/slim: pass init() the module: bytes, a Response or the URL of "weft/weft.wasm"');
  }
  await load(input);
}
