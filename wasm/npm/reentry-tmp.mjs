import * as weft from "./dist/node.js";
const a = new weft.Doc(), b = new weft.Doc();
const sa = new weft.SyncSession(a.peerId), sb = new weft.SyncSession(b.peerId);
sa.subscribe(0, "r", a); sb.subscribe(0, "r", b);
const pump = () => { let moved = true; while (moved) { moved = false;
  for (const m of sa.takeOutgoing()) { moved = true; sb.receive(0, m, "sb"); }
  for (const m of sb.takeOutgoing()) { moved = true; sa.receive(0, m, "sa"); } } };
pump();
b.on("update", (u, origin, local) => {
  console.log("b update", origin, local);
  if (origin === "sb") { try { b.getText("t").insert(0, "!"); } catch (e) { console.log("insert threw", e.message); } }
  if (local) { try { sb.localChanged(0, "r"); } catch (e) { console.log("localChanged threw", e.message); } }
});
a.getText("t").insert(0, "x"); sa.localChanged(0, "r"); 
try { pump(); } catch (e) { console.log("pump threw", e.message); }
console.log(a.getText("t").toString(), b.getText("t").toString());
