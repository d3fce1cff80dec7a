// The benchmark's app: answers GET /small with 12 bytes and GET /big with 64 KiB, keep-alive.
// Usage: backend.ts [PORT] [ADDRESS] (default: any free port, on 127.0.0.1).
import http from 'node:http';

const small = Buffer.from('hello world\n');
const big = Buffer.alloc(64 * 1024, 'x');
const server = http.createServer((req, res) => {
  const body = req.url === '/big' ? big : small;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), process.argv[3] ?? '127.0.0.1', () => {
  process.send?.({ port: (server.address() as { port: number }).port });
});
process.on('disconnect', () => process.exit(0));
