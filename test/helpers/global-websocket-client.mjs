// Run with `node --experimental-websocket`: the SDK then finds a global
// WebSocket, as in a browser, and must use it instead of the `ws` package.
// argv: SDK module URL, broker URL, URL of a port nothing listens on.
// Prints one JSON line with what it observed.
const [sdkUrl, brokerUrl, deadUrl] = process.argv.slice(2);
const { connect } = await import(sdkUrl);

const result = { hasGlobalWebSocket: typeof globalThis.WebSocket === 'function' };
const c = await connect(brokerUrl, { reconnect: false });
const got = [];
await c.subscribe('g/#', (m) => { got.push(m.payload); });
await c.reply('g-svc/echo', (m) => m.payload);
await c.publish('g/a', 'text');
await c.publish('g/b', Uint8Array.from([1, 2, 3]));
await c.publish('g/c', { n: 1 });
result.reply = (await c.request('g-svc/echo', 'ping', { timeoutMs: 2000 })).payload;
await c.flush();
const started = Date.now();
while (got.length < 3 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
result.received = got.map((p) => (p instanceof Uint8Array ? Array.from(p) : p));
await c.close();
result.closedState = c.state;
try {
  await connect(deadUrl, { reconnect: false, connectTimeoutMs: 2000 });
  result.deadUrl = 'connected?!';
} catch (err) {
  result.deadUrl = err.code;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
