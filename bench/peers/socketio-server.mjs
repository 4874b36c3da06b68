// The peer: a socket.io 4.8 server doing Herald's fan-out without persistence, preferences or
// authentication. POST /events with {assignee, ...} emits the event to that agent's room;
// each client joins the room named in its handshake. Prints "listening PORT" when ready.
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/events") {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    let event;
    try {
      event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      res.writeHead(400).end();
      return;
    }
    io.to(String(event.assignee)).emit("item", event);
    res.writeHead(200, { "content-type": "application/json" }).end('{"recipients":1}');
  });
});
const io = new Server(http, { transports: ["websocket"], serveClient: false });
io.on("connection", (socket) => socket.join(String(socket.handshake.auth.agent)));
http.listen(0, "127.0.0.1", () => console.log(`listening ${http.address().port}`));
