// Built by Vite with no configuration and no plugin: "weft" must just work.
import * as weft from "weft";
import { exercise } from "../app.js";

exercise(weft).catch((error) => (window.weftResult = { error: String(error) }));
