// The redaction module (SPEC feature 8, policy section 2): every kind of personal
// data a user may type is replaced by its marker, across the formats people use;
// ordinary text that only looks like it (prices, dates, versions, order numbers,
// code) stays word for word; and no input, however built, stalls it.
import { isIban, passesLuhn, redactInputs, redactText } from '../../src/input-samples/redaction';

const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@example.org' };

/** [what it is, the text, what the creator may read] */
const REDACTED: [string, string, string][] = [
  // Emails
  ['plain email', 'write to john.doe@example.com today', 'write to [email] today'],
  ['email with plus tag', 'jane+news@mail.example.co.uk', '[email]'],
  ['email in angle brackets', 'From: Bob <bob_smith99@corp.io>', 'From: Bob <[email]>'],
  ['email at sentence end', 'Contact me at x@y.fr.', 'Contact me at [email].'],
  ['email with digits and dashes', 'ops-team-2@my-company.example', '[email]'],
  ['email upper case', 'SALES@EXAMPLE.COM', '[email]'],
  ['email with unicode domain', 'joão@exemplo.com.br', '[email]'],
  ['two emails', 'a.b@c.de, e_f@g.hi', '[email], [email]'],
  ['email with an apostrophe', "o'brien@example.com", '[email]'],
  ['email on an IDN top-level domain', 'user@example.xn--p1ai', '[email]'],
  // Phone numbers
  ['US with parentheses', 'Call (415) 555-2671 now', 'Call [phone] now'],
  ['US with dashes', '415-555-2671', '[phone]'],
  ['US with dots', '415.555.2671', '[phone]'],
  ['US international', '+1 415 555 2671', '[phone]'],
  ['US international with parentheses', '+1 (415) 555-2671', '[phone]'],
  ['UK landline', 'ring 020 7946 0958', 'ring [phone]'],
  ['UK mobile compact', '07700900123', '[phone]'],
  ['UK international', '+44 20 7946 0958', '[phone]'],
  ['UK with 00 prefix', '0044 20 7946 0958', '[phone]'],
  ['France in pairs', '01 42 68 53 00', '[phone]'],
  ['France with dots', '06.12.34.56.78', '[phone]'],
  ['France international', '+33 6 12 34 56 78', '[phone]'],
  ['Germany landline', 'Tel. 030 901820', 'Tel. [phone]'],
  ['Germany mobile', '0151 23456789', '[phone]'],
  ['Germany international', '+49 30 901820', '[phone]'],
  ['India mobile', '+91 98765 43210', '[phone]'],
  ['Japan', '03-1234-5678', '[phone]'],
  ['Japan international', '+81 3-1234-5678', '[phone]'],
  ['Brazil', '+55 11 91234-5678', '[phone]'],
  ['Australia', '+61 2 9374 4000', '[phone]'],
  ['in parentheses of a sentence', '(tel. 020 7946 0958)', '(tel. [phone])'],
  ['E.164 compact', '+442079460958', '[phone]'],
  ['US with the country code 1', '1 415 555 2671', '[phone]'],
  ['US toll-free with dashes', '1-800-555-0199', '[phone]'],
  ['US with 1 and parentheses', 'call 1 (415) 555-2671', 'call [phone]'],
  ['a number after other digits', 'room 3 415-555-2671', 'room 3 [phone]'],
  // Payment cards
  ['Visa compact', '4111111111111111', '[card]'],
  ['Visa with spaces', 'card 4111 1111 1111 1111 exp 12/29', 'card [card] exp 12/29'],
  ['Mastercard with dashes', '5555-5555-5555-4444', '[card]'],
  ['Amex 4-6-5', '3782 822463 10005', '[card]'],
  ['Discover', '6011 1111 1111 1117', '[card]'],
  ['19-digit card', '6304 0000 0000 0000 018', '[card]'],
  ['card followed by its CVV', '4111 1111 1111 1111 123', '[card] 123'],
  ['card after a quantity', 'qty 2 4111 1111 1111 1111', 'qty 2 [card]'],
  ['card with dots', '4111.1111.1111.1111', '[card]'],
  ['card with spaced dashes', '4111 - 1111 - 1111 - 1111', '[card]'],
  // IP addresses
  ['IPv4', 'from 192.168.1.20 at noon', 'from [ip] at noon'],
  ['IPv4 at sentence end', 'It was 8.8.8.8.', 'It was [ip].'],
  ['IPv4 with port', '203.0.113.7:8080', '[ip]:8080'],
  ['IPv6 compressed', 'host 2001:db8::ff00:42:8329 down', 'host [ip] down'],
  ['IPv6 full', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '[ip]'],
  ['IPv6 link-local with zone', 'fe80::1ff:fe23:4567:890a%eth0', '[ip]'],
  ['IPv6 mapped IPv4', '::ffff:192.0.2.128', '[ip]'],
  ['IPv6 in brackets', 'http://[2001:db8::1]:80/', 'http://[[ip]]:80/'],
  // IBANs
  ['German IBAN grouped', 'IBAN: DE89 3704 0044 0532 0130 00', 'IBAN: [iban]'],
  ['German IBAN compact', 'DE89370400440532013000', '[iban]'],
  ['UK IBAN', 'GB29 NWBK 6016 1331 9268 19 please', '[iban] please'],
  ['French IBAN', 'FR14 2004 1010 0505 0001 3M02 606', '[iban]'],
  ['Dutch IBAN lower case', 'nl91abna0417164300', '[iban]'],
  ['Norwegian IBAN (shortest)', 'NO93 8601 1117 947', '[iban]'],
  ['IBAN with dashes', 'DE89-3704-0044-0532-0130-00', '[iban]'],
  ['two IBANs in a row', 'DE89370400440532013000 GB29NWBK60161331926819', '[iban] [iban]'],
  // The user's own name and email
  ['own full name', 'My name is Ada Lovelace.', 'My name is [name].'],
  ['own name in lower case', 'signed, ada lovelace', 'signed, [name]'],
  ['own first name alone', 'Hi, Ada here', 'Hi, [name] here'],
  ['own surname alone', 'Mrs Lovelace wrote', 'Mrs [name] wrote'],
  ['own email', 'reply to ADA.LOVELACE@example.org', 'reply to [email]'],
  ['own email local part', 'my handle is ada.lovelace', 'my handle is [name]'],
  // Several kinds in one text
  ['mixed', 'Ada (ada.lovelace@example.org, +44 20 7946 0958) paid with 4111-1111-1111-1111 from 10.0.0.7', '[name] ([email], [phone]) paid with [card] from [ip]'],
];

/** [what it is, the text]: must come back unchanged. */
const KEPT: [string, string][] = [
  ['a price', 'It costs $1,234,567.89 in total'],
  ['an ISO date', 'Due 2024-01-15, shipped 2024-02-01'],
  ['a European date', 'Born 15.01.1990 and 05/06/2023'],
  ['a time', 'Meet at 10:30:45 sharp'],
  ['a version', 'Upgrade from 1.2.3 to 10.4.11'],
  ['a five-part version', 'build 1.2.3.4.5'],
  ['decimals in a list', 'weights 0.5 0.25 0.125 0.0625'],
  ['an order number', 'Order 12345678 shipped'],
  ['a unix timestamp', 'at 1732800000 seconds'],
  ['a 32-bit integer', 'max is 2147483647'],
  ['a 16-digit number failing Luhn', 'ref 4111111111111112'],
  ['an ISBN', 'ISBN 978-3-16-148410-0'],
  ['scores', 'Scores: 10 20 30 40 50 60'],
  ['a short local number', 'room 555 1234'],
  ['C++ scope', 'use std::vector and a::b'],
  ['a MAC-like hash', 'sha deadbeefcafebabe0123456789abcdef'],
  ['an at-mention', 'ping @channel and @ada_bot'],
  ['a word with an at sign', 'meet me @ noon'],
  ['an IBAN with a wrong check', 'DE88 3704 0044 0532 0130 00'],
  ['an IBAN-like code of the wrong length', 'DE89 3704 0044 0532 01'],
  ['a product code', 'SKU AB12-3456-7890'],
  ['an invalid IPv4', 'not an ip: 999.300.1.1'],
  ['a name that is not the user', 'Charles Babbage built the engine'],
  ['a word containing the name', 'Adam and Lovelaceful are not her'],
  ['a percentage', 'growth of 12.5% in Q3 2024'],
  ['a ticket number after #', 'see ticket #00123456789'],
  ['a decimal with many digits', 'p-value 0.0123456789 and x = 0.123456789'],
];

describe('redactText', () => {
  it.each(REDACTED)('redacts %s', (_what, text, expected) => {
    expect(redactText(text, ADA)).toBe(expected);
  });

  it.each(KEPT)('keeps %s', (_what, text) => {
    expect(redactText(text, ADA)).toBe(text);
  });

  it('has at least 50 cases, both ways', () => {
    expect(REDACTED.length + KEPT.length).toBeGreaterThanOrEqual(80);
    expect(KEPT.length).toBeGreaterThanOrEqual(20);
  });
});

describe('the user\'s own name, with or without accents', () => {
  const JOSE = { name: 'José García-Núñez', email: 'jose.garcia@example.es' };
  it.each([
    ['José García-Núñez wrote', '[name] wrote'],
    ['JOSE GARCIA-NUNEZ wrote', '[name] wrote'],
    ['jose garcia', '[name] [name]'],
    ["Nunez's idea", "[name]'s idea"],
    ['Josefina and Garcias stay', 'Josefina and Garcias stay'],
  ])('%s', (text, expected) => {
    expect(redactText(text, JOSE)).toBe(expected);
  });

  it.each([
    ['Nguyễn Văn Minh', 'Nguyễn Văn Minh wrote', '[name] wrote'],
    ['Đặng Thị Hồng', 'by Dang Thi Hong', 'by [name]'],
    ['Łukasz Żak', 'Lukasz Zak here', '[name] here'],
    ['Søren Kierkegaard', 'Soren said', '[name] said'],
    ['李小龍', '我是李小龍。', '我是[name]。'],
  ])('%s', (name, text, expected) => {
    expect(redactText(text, { name })).toBe(expected);
  });
});

describe('checks', () => {
  it('Luhn and mod-97 accept the published test numbers and refuse a changed digit', () => {
    expect(['4111111111111111', '5555555555554444', '378282246310005'].every(passesLuhn)).toBe(true);
    expect(passesLuhn('4111111111111121')).toBe(false);
    expect(['DE89370400440532013000', 'GB29NWBK60161331926819', 'NO9386011117947'].every(isIban)).toBe(true);
    expect(isIban('DE89370400440532013001')).toBe(false);
    expect(isIban('XX89370400440532013000')).toBe(false);
  });
});

describe('redactInputs', () => {
  it('redacts every string and every number that reads as personal data, and keeps field names and other values', () => {
    const inputs = { contact: 'ada.lovelace@example.org', notes: ['call +1 415 555 2671', 'fine'], card: 4111111111111111, count: 3, ratio: 0.123456789, urgent: true, nested: { ip: '10.1.2.3' } };
    expect(redactInputs(inputs, ADA)).toEqual({ contact: '[email]', notes: ['call [phone]', 'fine'], card: '[card]', count: 3, ratio: 0.123456789, urgent: true, nested: { ip: '[ip]' } });
  });
});

describe('no input stalls it', () => {
  // Each text is 200 KB built to make a backtracking pattern retry: runs of the
  // characters a pattern accepts, ending where it fails. A quadratic pattern takes
  // minutes on these; a linear one milliseconds. The bound only catches a stall.
  const SIZE = 200_000;
  const adversarial: [string, string][] = [
    ['digits', '1'.repeat(SIZE)],
    ['digits and spaces', '1 '.repeat(SIZE / 2)],
    ['grouped digits', '12-'.repeat(SIZE / 3)],
    ['an email local part without @', 'a.'.repeat(SIZE / 2)],
    ['at signs', 'a@'.repeat(SIZE / 2)],
    ['a domain that never ends', `x@${'a-'.repeat(SIZE / 2)}`],
    ['labels that never end', `x@${'ab.'.repeat(SIZE / 3)}1`],
    ['hex and colons', 'ab:'.repeat(SIZE / 3)],
    ['dotted digits', '1.'.repeat(SIZE / 2)],
    ['IBAN-like letters and digits', 'DE89 '.repeat(SIZE / 5)],
    ['parentheses', '(1)'.repeat(SIZE / 3)],
    ['open parentheses and digits', '(1)('.repeat(SIZE / 4)],
    ['digits, dots, letters, colons', ' 1.a:'.repeat(SIZE / 5)],
    ['emails that run into each other', 'a.b@c.d@'.repeat(SIZE / 8)],
    ['card-like groups that never pass Luhn', '4111 1111 1111 1112 '.repeat(SIZE / 20)],
    ['the user\'s name over and over', 'Ada Lovelac'.repeat(SIZE / 11)],
  ];

  it.each(adversarial)('%s (200 KB) without stalling', (_what, text) => {
    const started = process.hrtime.bigint();
    redactText(text, ADA);
    // ≤ 0.1 s alone here, up to ~0.6 s beside the rest of the suite on 2 cores; quadratic would be tens of seconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(3_000);
  });
});
