// A Hocuspocus server with no extensions (documents in memory, many per connection),
// on 127.0.0.1 and the port given (0: any free one). Prints `listening on PORT` once
// it accepts connections.
import { Server } from "@hocuspocus/server";

const server = new Server({ address: "127.0.0.1", port: Number(process.argv[2] ?? 0), quiet: true });
await server.listen();
console.log(`listening on ${server.address.port}`);
