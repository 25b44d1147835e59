// The class of a log-in: the network block (IPv4 /24, IPv6 /48) and the browser
// family and OS, without versions; and its keyed hash, bound to the user.
import { loginClass, loginContextHmac } from '../../src/accounts/login-context';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_WINDOWS_NEWER = 'Mozilla/5.0 (Windows NT 11.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const EDGE_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0';

it('IPv4 addresses in one /24 are one network; another /24 is another', () => {
  expect(loginClass({ ip: '203.0.113.5' }).network).toBe(loginClass({ ip: '203.0.113.250' }).network);
  expect(loginClass({ ip: '203.0.113.5' }).network).not.toBe(loginClass({ ip: '203.0.114.5' }).network);
  expect(loginClass({ ip: '203.0.113.5' }).networkKind).toBe('IPv4');
  // An IPv4 client on a dual-stack socket is the same IPv4 network.
  expect(loginClass({ ip: '::ffff:203.0.113.9' }).network).toBe(loginClass({ ip: '203.0.113.5' }).network);
});

it('IPv6 addresses in one /48 are one network, however written; another /48 is another', () => {
  const a = loginClass({ ip: '2001:db8:1:2::1' });
  expect(a).toMatchObject({ network: 'v6:2001:db8:1', networkKind: 'IPv6' });
  expect(loginClass({ ip: '2001:0db8:0001:ffff:0:0:0:9' }).network).toBe(a.network);
  expect(loginClass({ ip: '2001:db8:2::1' }).network).not.toBe(a.network);
  expect(loginClass({ ip: '2001:db8::1' }).network).toBe('v6:2001:db8:0');
  expect(loginClass({ ip: 'fe80::1%eth0' }).network).toBe('v6:fe80:0:0');
});

it('no address or an unreadable one is the "unknown" network', () => {
  expect(loginClass({}).networkKind).toBe('unknown');
  expect(loginClass({ ip: 'not-an-ip' }).network).toBe('unknown');
});

it('the device is the browser family and OS in words, without versions', () => {
  expect(loginClass({ userAgent: FIREFOX_WINDOWS }).device).toBe('Firefox on Windows');
  expect(loginClass({ userAgent: FIREFOX_WINDOWS_NEWER }).device).toBe('Firefox on Windows');
  expect(loginClass({ userAgent: CHROME_ANDROID }).device).toBe('Chrome on Android');
  expect(loginClass({ userAgent: SAFARI_IPHONE }).device).toBe('Safari on iOS');
  expect(loginClass({ userAgent: EDGE_MAC }).device).toBe('Edge on macOS');
  expect(loginClass({ userAgent: 'curl/8.5.0' }).device).toBe('curl');
  expect(loginClass({ userAgent: 'python-requests/2.32' }).device).toBe('a Python script');
  expect(loginClass({ userAgent: 'SomethingElse/1.0' }).device).toBe('another app');
  expect(loginClass({}).device).toBe('an app that did not say what it is');
});

it('the stored hash is keyed and bound to the user: it holds neither the address nor the user agent', () => {
  const key = Buffer.alloc(32, 7);
  const cls = loginClass({ ip: '203.0.113.5', userAgent: FIREFOX_WINDOWS });
  const hmac = loginContextHmac(key, 'user-a', cls);
  expect(hmac).toMatch(/^[0-9a-f]{64}$/);
  expect(loginContextHmac(key, 'user-a', loginClass({ ip: '203.0.113.99', userAgent: FIREFOX_WINDOWS_NEWER }))).toBe(hmac);
  expect(loginContextHmac(key, 'user-b', cls)).not.toBe(hmac);
  expect(loginContextHmac(Buffer.alloc(32, 8), 'user-a', cls)).not.toBe(hmac);
});
