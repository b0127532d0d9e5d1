// The Yjs WebSocket server as y-websocket 1.5's own bin/server.js runs it (documents
// in memory, one room per URL path), on 127.0.0.1 and the port given (0: any free
// one). Prints `listening on PORT` once it accepts connections.
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const WebSocket = require("ws");
const { setupWSConnection } = require("y-websocket/bin/utils");

const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end("okay");
});
const sockets = new WebSocket.Server({ noServer: true });
sockets.on("connection", setupWSConnection);
server.on("upgrade", (request, socket, head) => {
  sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit("connection", ws, request));
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening on ${server.address().port}`);
});
