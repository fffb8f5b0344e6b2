import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from '../../broker/transport/origin-check.js';

/** An upgrade request as the origin check sees it: its headers and whether it came over TLS. */
function upgrade(headers: { origin?: string; host?: string }, encrypted = false): IncomingMessage {
  return { headers, socket: { encrypted } } as unknown as IncomingMessage;
}

describe('isOriginAllowed', () => {
  it('admits clients without an Origin (not browsers), listed origins and any with *', () => {
    expect(isOriginAllowed(upgrade({ host: 'broker.example:7700' }), [])).toBe(true);
    expect(isOriginAllowed(upgrade({ origin: 'https://app.example', host: 'b:1' }), ['https://app.example'])).toBe(true);
    expect(isOriginAllowed(upgrade({ origin: 'https://other.example', host: 'b:1' }), ['https://app.example'])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'https://other.example', host: 'b:1' }), ['*'])).toBe(true);
  });

  it("admits the broker's own origin (the console it serves) under an IP address or localhost", () => {
    for (const host of ['127.0.0.1:7700', '10.1.2.3:80', 'localhost:7700', 'LOCALHOST:7700', '[::1]:7700', '[fe80::1]', '192.168.0.9']) {
      expect(isOriginAllowed(upgrade({ origin: `http://${host.toLowerCase()}`, host }), []), host).toBe(true);
    }
    expect(isOriginAllowed(upgrade({ origin: 'https://127.0.0.1:7700', host: '127.0.0.1:7700' }, true), [])).toBe(true);
  });

  it('refuses an origin that differs from its Host in scheme, host or port', () => {
    expect(isOriginAllowed(upgrade({ origin: 'https://127.0.0.1:7700', host: '127.0.0.1:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://127.0.0.1:7700', host: '127.0.0.1:7700' }, true), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://127.0.0.1:7701', host: '127.0.0.1:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://127.0.0.2:7700', host: '127.0.0.1:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://127.0.0.1:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'null', host: '127.0.0.1:7700' }), [])).toBe(false);
  });

  it('refuses a same-origin request under a host name, which DNS rebinding could forge', () => {
    // evil.example rebound to 127.0.0.1: its page's Origin equals the Host it sends.
    expect(isOriginAllowed(upgrade({ origin: 'http://evil.example:7700', host: 'evil.example:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://localhost.evil.example:7700', host: 'localhost.evil.example:7700' }), [])).toBe(false);
    expect(isOriginAllowed(upgrade({ origin: 'http://1.2.3.4.evil.example', host: '1.2.3.4.evil.example' }), [])).toBe(false);
    // A name the operator lists is admitted.
    expect(isOriginAllowed(upgrade({ origin: 'http://broker.internal:7700', host: 'broker.internal:7700' }), ['http://broker.internal:7700'])).toBe(true);
  });
});
