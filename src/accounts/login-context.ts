// Where a log-in comes from, coarsely: its *class*, so a log-in from a device or
// network the account has not used before can be told apart and alerted, while
// nothing that locates or fingerprints the person is kept.
//
// The class of a log-in is three words:
//   - the network: an IPv4 address's /24 block, an IPv6 address's /48 (a site or
//     an ISP customer's prefix); an IPv4-mapped IPv6 address counts as IPv4;
//   - the browser family (Chrome, Firefox, Safari, Edge, Opera, Samsung Internet,
//     curl, a script ...), without its version, and
//   - the operating system (Windows, macOS, iOS, Android, Linux, ChromeOS), without its version.
// Updates of the browser or OS do not change the class; another browser, another
// OS, or another /24 (/48) does. Only an HMAC-SHA256 of the class, under a server
// key and bound to the user id, is stored (`login_contexts`): the same class on
// two accounts gives two unrelated values, and a database reader learns nothing
// of the IP or the user agent. The alert mail names the device family and the kind
// of network, never the address.
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Prisma, PrismaClient } from '@prisma/client';

/** What the HTTP layer knows of the client: its address and its User-Agent header (either may be missing). */
export interface LoginClient {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface LoginClass {
  /** The network block: "v4:203.0.113", "v6:2001:db8:1", or "unknown". */
  network: string;
  /** How the mail describes the network, without the address. */
  networkKind: 'IPv4' | 'IPv6' | 'unknown';
  /** Browser family and operating system in words, e.g. "Firefox on Windows". */
  device: string;
}

/** The eight hextets of an IPv6 address (a trailing dotted IPv4 part included), or null. */
function ipv6Groups(ip: string): number[] | null {
  const address = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
    [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
  );
  const parse = (part: string) => (part ? part.split(':').map((h) => parseInt(h, 16)) : []);
  const [head = '', rest] = address.split('::');
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<number>(Math.max(zeros, 0)).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function networkOf(ip: string | undefined): Pick<LoginClass, 'network' | 'networkKind'> {
  const address = (ip ?? '').trim().replace(/%.*$/, ''); // drop an IPv6 zone id
  if (isIPv4(address)) return { network: `v4:${address.split('.').slice(0, 3).join('.')}`, networkKind: 'IPv4' };
  if (isIPv6(address)) {
    const groups = ipv6Groups(address);
    if (groups) {
      // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket.
      if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
        const [hi = 0, lo = 0] = groups.slice(6);
        return { network: `v4:${hi >> 8}.${hi & 0xff}.${lo >> 8}`, networkKind: 'IPv4' };
      }
      return { network: `v6:${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}`, networkKind: 'IPv6' };
    }
  }
  return { network: 'unknown', networkKind: 'unknown' };
}

// Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
  [/^curl\//i, 'curl'],
  [/python|aiohttp|httpx/i, 'a Python script'],
  [/node|undici|axios/i, 'a Node.js script'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bWindows\b/, 'Windows'],
  [/\biPhone|\biPad|\biPod/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

function deviceOf(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').slice(0, 512);
  if (!ua.trim()) return 'an app that did not say what it is';
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'another app';
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

/** The class of a log-in (see the top of this file). */
export function loginClass(client: LoginClient): LoginClass {
  return { ...networkOf(client.ip), device: deviceOf(client.userAgent) };
}

/** The stored form of a class for one user: HMAC-SHA256 under `key`, bound to the user id. */
export function loginContextHmac(key: Buffer, userId: string, cls: LoginClass): string {
  return createHmac('sha256', key).update(`${userId}\n${cls.network}\n${cls.device}`).digest('hex');
}

/**
 * Records that the user signed in from `client`'s class; returns whether the class was new
 * for the account. A new class records a `new_login` security event when `alertIfNew` (every
 * log-in but the sign-up's), which the security-alert schedule mails. Concurrent log-ins from
 * one new class insert one row: one of them sees it new, one alert.
 */
export async function recordLoginContext(
  db: PrismaClient | Prisma.TransactionClient,
  key: Buffer,
  userId: string,
  client: LoginClient,
  { alertIfNew }: { alertIfNew: boolean },
): Promise<{ isNew: boolean }> {
  const cls = loginClass(client);
  const [row] = await db.$queryRaw<{ inserted: boolean }[]>`
    INSERT INTO login_contexts (user_id, context_hmac) VALUES (${userId}::uuid, ${loginContextHmac(key, userId, cls)})
    ON CONFLICT (user_id, context_hmac) DO UPDATE SET last_seen_at = now()
    RETURNING (xmax = 0) AS inserted`;
  const isNew = row?.inserted === true;
  if (isNew && alertIfNew) {
    await db.securityEvent.create({ data: { userId, type: 'new_login', details: { device: cls.device, network: cls.networkKind } } });
  }
  return { isNew };
}
