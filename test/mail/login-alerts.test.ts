// New log-in alerts over the real API and real SMTP, on a database of its own:
// sign-up records where the account was made (no alert); a log-in from a known
// device and network class records when it was last seen (no alert); a log-in
// from a new class is mailed once, saying the device family and the kind of
// network but never the address; the database keeps only keyed hashes.
import { HttpClient, TEST_PASSWORD } from '../helpers/api';
import { useIsolatedMailStack } from '../helpers/lifecycle';
import { uniqueEmail } from '../helpers/env';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_WINDOWS_UPDATED = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';

// Behind a proxy (TRUST_PROXY): the client address is X-Forwarded-For's, so the test can play several networks.
const { api, smtp, prisma, sendAlerts } = useIsolatedMailStack('login_alerts', { TRUST_PROXY: 'true' });

const from = (ip: string, userAgent: string) => ({ 'x-forwarded-for': ip, 'user-agent': userAgent });

async function signUp(ip: string, userAgent: string) {
  const email = uniqueEmail('login-alerts');
  const res = await new HttpClient(api.baseUrl).post('/v1/auth/signup', { name: 'Alerted', email, password: TEST_PASSWORD }, from(ip, userAgent));
  expect(res.status).toBe(201);
  return { id: res.body.user.id as string, email };
}

async function logIn(email: string, ip: string, userAgent: string, password = TEST_PASSWORD) {
  return new HttpClient(api.baseUrl).post('/v1/auth/login', { email, password }, from(ip, userAgent));
}

const newLogins = (userId: string) => prisma.securityEvent.findMany({ where: { userId, type: 'new_login' }, orderBy: { createdAt: 'asc' } });


it('sign-up records its context without an alert; the same class again (another address in the /24, a newer browser) only updates last seen', async () => {
  const user = await signUp('203.0.113.10', FIREFOX_WINDOWS);
  const [context] = await prisma.loginContext.findMany({ where: { userId: user.id } });
  expect(context).toBeDefined();
  expect(await newLogins(user.id)).toHaveLength(0);

  expect((await logIn(user.email, '203.0.113.200', FIREFOX_WINDOWS_UPDATED)).status).toBe(200);
  const after = await prisma.loginContext.findMany({ where: { userId: user.id } });
  expect(after).toHaveLength(1);
  expect(after[0]!.firstSeenAt).toEqual(context!.firstSeenAt);
  expect(after[0]!.lastSeenAt.getTime()).toBeGreaterThan(context!.lastSeenAt.getTime());
  expect(await newLogins(user.id)).toHaveLength(0);
});

it('a log-in from a new device or a new network is mailed once, with the device family and kind of network, never the address', async () => {
  const user = await signUp('198.51.100.7', FIREFOX_WINDOWS);
  expect((await logIn(user.email, '198.51.100.8', CHROME_ANDROID)).status).toBe(200); // new device, known network
  expect((await logIn(user.email, '2001:db8:42:7::5', FIREFOX_WINDOWS)).status).toBe(200); // known device, new network
  expect((await logIn(user.email, '2001:db8:42:9::1', FIREFOX_WINDOWS)).status).toBe(200); // same /48: known
  const events = await newLogins(user.id);
  expect(events.map((e) => e.details)).toEqual([
    { device: 'Chrome on Android', network: 'IPv4' },
    { device: 'Firefox on Windows', network: 'IPv6' },
  ]);

  await sendAlerts();
  await sendAlerts(); // the next tick sends nothing more
  const mails = smtp.messages.filter((m) => m.to.includes(user.email));
  expect(mails).toHaveLength(2);
  for (const mail of mails) expect(mail.header('subject')).toBe('New sign-in to your Sotally account');
  expect(mails[0]!.raw).toContain('Device: Chrome on Android');
  expect(mails[0]!.raw).toContain('IPv4 network');
  expect(mails[1]!.raw).toContain('IPv6 network');
  expect(mails[0]!.raw).toContain('If it was not, change your password now');
  for (const mail of mails) {
    for (const address of ['198.51.100', '2001:db8', 'Pixel 8', 'Firefox/128']) expect(mail.raw).not.toContain(address);
  }

  // What is stored: keyed hashes, never the address or the user agent.
  const stored = JSON.stringify(await prisma.loginContext.findMany({ where: { userId: user.id } }));
  for (const clear of ['198.51.100', '2001:db8', 'Android', 'Firefox', 'Windows']) expect(stored).not.toContain(clear);
  expect(await prisma.loginContext.count({ where: { userId: user.id } })).toBe(3);
});

it('a failed log-in records nothing; concurrent log-ins from one new class alert once', async () => {
  const user = await signUp('192.0.2.1', FIREFOX_WINDOWS);
  expect((await logIn(user.email, '192.0.3.1', CHROME_ANDROID, 'not the password at all')).status).toBe(401);
  expect(await prisma.loginContext.count({ where: { userId: user.id } })).toBe(1);
  expect(await newLogins(user.id)).toHaveLength(0);

  const results = await Promise.all([1, 2, 3].map(() => logIn(user.email, '192.0.4.1', CHROME_ANDROID)));
  expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(await newLogins(user.id)).toHaveLength(1);
});
