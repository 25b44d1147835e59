// Redaction of personal data inside free text (SPEC feature 8, policy section 2):
// what a creator may read of a user's input has emails, phone numbers, payment
// card numbers, IP addresses, IBANs and the user's own name and email replaced
// by a marker ("[email]", "[phone]", "[card]", "[ip]", "[iban]", "[name]").
//
// How it finds them: one pattern per kind finds candidates, and a check decides
// (the Luhn sum for cards, ISO 13616 mod-97 and the country's length for IBANs,
// node:net for IP addresses, digit counts and shapes for phone numbers), so
// ordinary numbers (prices, dates, versions, order numbers) stay as they are.
//
// Linear time on any input: every pattern starts only where a token starts (a
// look-behind refuses the middle of a run), and every repetition is bounded, so
// the work per position has a fixed ceiling; the passes run one after another.
// A 200 KB input of adversarial text takes milliseconds (test/input-samples).
import { isIPv4, isIPv6 } from 'node:net';

export type RedactionKind = 'email' | 'phone' | 'card' | 'ip' | 'iban' | 'name';

/** What is known of the user whose text this is: their own name and email are redacted wherever they appear. */
export interface RedactionSubject {
  name?: string | null;
  email?: string | null;
}

const marker = (kind: RedactionKind) => `[${kind}]`;

// ---- Emails: local@domain.tld (RFC 5321 lengths: 64 for the local part, 253 for the domain).
// The local part takes every character RFC 5322 allows unquoted; the top-level domain may be an IDN (xn--).
const EMAIL = /(?<![\p{L}\p{N}._%+'&!#$*=?^{|}~-])[\p{L}\p{N}._%+'&!#$*=?^{|}~-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}(?:\p{L}{2,24}|xn--[\p{L}\p{N}-]{1,59})(?![\p{L}\p{N}-])/gu;

// ---- IBANs: country, check digits, then as many letters or digits as the country's length
// asks (ISO 13616), written compact or in groups of four.
/** ISO 13616 lengths per country (the SWIFT registry). */
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** ISO 13616 check: the country's length, and the number (letters as 10..35, first four moved last) mod 97 is 1. */
export function isIban(compact: string): boolean {
  const iban = compact.toUpperCase();
  if (IBAN_LENGTH[iban.slice(0, 2)] !== iban.length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  let remainder = 0;
  for (const char of iban.slice(4) + iban.slice(0, 4)) {
    const value = parseInt(char, 36); // '0'..'9' → 0..9, 'A'..'Z' → 10..35
    remainder = (value < 10 ? remainder * 10 + value : remainder * 100 + value) % 97;
  }
  return remainder === 1;
}

/** One alternative per country, of exactly its length: a candidate never runs on into the next word. */
const IBAN = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${Object.entries(IBAN_LENGTH)
    .map(([country, length]) => `${country}\\d{2}(?:[ -]?[A-Z0-9]){${length - 4}}`)
    .join('|')})(?![\\p{L}\\p{N}])`,
  'giu',
);

// ---- Payment cards: 13 to 19 digits, grouped by spaces, dots or dashes, passing the Luhn check.
// A run of groups may carry more than the card ("4111 1111 1111 1111 123", a CVV after it; "qty 2 4111 …"):
// every run of whole groups within it is tried.
const CARD = /(?<![\p{L}\p{N}])\d(?:[ .-]{0,3}\d){12,24}(?![\p{L}\p{N}])/gu;
/** Groups as cards print them: fours (the last 1 to 4 digits), or 4-6-5 and 4-6-4 (Amex, Diners). */
const CARD_GROUPS = /^(?:\d{4}[ .-]{1,3}){2,4}\d{1,4}$|^\d{4}[ .-]{1,3}\d{6}[ .-]{1,3}\d{4,5}$/;

function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  return digits.length >= 13 && digits.length <= 19 && (digits === candidate || CARD_GROUPS.test(candidate)) && passesLuhn(digits);
}

interface GroupRun {
  /** Whether a number of this kind can begin with this group (e.g. a card's first four digits). */
  startsWith: (group: string) => boolean;
  /** How many digits a number of this kind has. */
  digits: [number, number];
  check: (text: string) => boolean;
}

/**
 * The candidate with the first run of its whole groups that is a number of `kind` replaced by
 * `replacement`, or null. Groups are the runs of digits (with parentheses). Only runs that start
 * where such a number can start and hold as many digits as it has are checked, so this stays cheap.
 */
function replaceGroupRun(candidate: string, kind: GroupRun, replacement: string): string | null {
  const groups = [...candidate.matchAll(/\(?\d+\)?/g)].map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length, digits: m[0].replace(/\D/g, '').length }));
  for (let i = 0; i < groups.length; i += 1) {
    if (!kind.startsWith(groups[i]!.text)) continue;
    // The runs from group i that hold the right number of digits, longest first.
    const ends: number[] = [];
    for (let j = i, digits = 0; j < groups.length && digits < kind.digits[1]; j += 1) {
      digits += groups[j]!.digits;
      if (digits >= kind.digits[0] && digits <= kind.digits[1]) ends.unshift(j);
    }
    for (const j of ends) {
      const text = candidate.slice(groups[i]!.start, groups[j]!.end);
      if (kind.check(text)) return candidate.slice(0, groups[i]!.start) + replacement + candidate.slice(groups[j]!.end);
    }
  }
  return null;
}

const CARD_RUN: GroupRun = { startsWith: (group) => group.length === 4 || (group.length >= 13 && group.length <= 19), digits: [13, 19], check: isCardNumber };

/** The Luhn checksum every payment card number satisfies. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

// ---- IP addresses: v6 (with an optional zone, or an embedded v4) and v4, checked by node:net.
const IPV6 = /(?<![\p{L}\p{N}_:.])[0-9A-Fa-f:.]{3,45}(?:%[\p{L}\p{N}]{1,16})?(?![\p{L}\p{N}_:])/gu;
const IPV4 = /(?<![\p{L}\p{N}_.])\d{1,3}(?:\.\d{1,3}){3}(?![\p{L}\p{N}_]|\.\d)/gu;

function isIpv6Address(candidate: string): boolean {
  const address = candidate.replace(/%.*$/, '').replace(/\.$/, '');
  const hexDigits = address.replace(/[^0-9A-Fa-f]/g, '').length;
  // At least two groups' worth of digits: "a::b" in prose or "std::" in code stays.
  return (address.match(/:/g)?.length ?? 0) >= 2 && hexDigits >= 4 && isIPv6(address);
}

// ---- Phone numbers. Groups of digits separated by one space, dash, dot or slash, parentheses
// allowed; a group takes all the digits in a row, so a run splits one way only. Phone numbers are:
//  - international: + or 00, then 8 to 15 digits ("+44 20 7946 0958", "0049 30 901820");
//  - national with a trunk 0: 9 to 12 digits in groups, or 10 to 11 in a row (UK, FR, DE, IN, JP, ...);
//  - North American: 3-3-4 with separators or parentheses ("(415) 555-2671", "415.555.2671").
// Dates, decimals in a list, and plain runs of digits (order numbers, timestamps) stay.
const PHONE = /(?<![\p{L}\p{N}+#])(?:\+|00)?\(?\d{1,12}(?!\d)\)?(?:[ ./-]?\(?\d{1,12}(?!\d)\)?){0,7}(?![\p{L}\p{N}])/gu;
const DATE_SHAPE = /^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$/;
const NORTH_AMERICAN = /^(?:1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])[2-9]\d{2}[ .-]\d{4}$/;

/** A North American number inside a longer run of digit groups ("room 3 415-555-2671"). */
const NORTH_AMERICAN_RUN: GroupRun = {
  startsWith: (group) => group === '1' || /^\(?\d{3}\)?$/.test(group),
  digits: [10, 11],
  check: (text) => NORTH_AMERICAN.test(text) && isPhoneNumber(text),
};

function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  const grouped = /[ ./()-]/.test(candidate);
  if (DATE_SHAPE.test(candidate)) return false;
  // One dot between two runs of digits is a decimal ("0.123456789"), not a number to call.
  if (/^\d+\.\d+$/.test(candidate)) return false;
  // Dots with spaces are decimals in a list ("0.5 0.25 0.125"), not one number.
  if (candidate.includes('.') && candidate.includes(' ')) return false;
  if (candidate.startsWith('+')) return digits >= 8 && digits <= 15;
  if (candidate.startsWith('00')) return digits >= 10 && digits <= 17;
  if (/^\(?0/.test(candidate)) return grouped ? digits >= 9 && digits <= 12 : digits >= 10 && digits <= 11;
  return NORTH_AMERICAN.test(candidate) && /^(?:1[ .-]?)?\(?[2-9]/.test(candidate);
}

// ---- The user's own name and email, wherever they appear, as whole words, in any case and with
// or without accents ("José García" is found as "JOSE GARCIA" too, and "Jose" as "José").
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Letters with a stroke have no decomposition: folded by hand (Łukasz → Lukasz, Søren → Soren, Đặng → Dang). */
const STROKES: Record<string, string> = { ł: 'l', ø: 'o', đ: 'd', ð: 'd', ħ: 'h', ı: 'i', ŧ: 't', ƀ: 'b', ɨ: 'i' };
const baseLetter = (char: string) => {
  const lower = char.toLowerCase();
  return STROKES[lower] ?? lower.normalize('NFD').replace(/\p{M}/gu, '');
};

/** Each Latin base letter → itself and its accented forms (Latin-1 Supplement, Extended-A and -B, Extended Additional). */
const ACCENTED = (() => {
  const forms = new Map<string, string>();
  for (const [from, to] of [[0xc0, 0x24f], [0x1e00, 0x1eff]] as const) {
    for (let code = from; code <= to; code += 1) {
      const char = String.fromCharCode(code);
      const base = baseLetter(char);
      if (base.length === 1 && /[a-z]/.test(base) && base !== char.toLowerCase()) forms.set(base, (forms.get(base) ?? base) + char);
    }
  }
  return forms;
})();

/** A literal as a pattern that matches it with or without its accents (the literal itself always included). */
function accentInsensitive(literal: string): string {
  return [...literal]
    .map((char) => {
      const forms = ACCENTED.get(baseLetter(char));
      return forms ? `[${escape(char)}${forms}]` : escape(char);
    })
    .join('');
}

/** Scripts written without spaces between words: a name there is matched wherever it appears. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** Compiled patterns of recent subjects: a creator's page of samples redacts many strings of few users. */
const subjectPatterns = new Map<string, RegExp | null>();

function subjectPattern(subject: RedactionSubject): RegExp | null {
  const cacheKey = `${subject.name ?? ''}\u0000${subject.email ?? ''}`;
  if (!subjectPatterns.has(cacheKey)) {
    if (subjectPatterns.size >= 1000) subjectPatterns.clear();
    subjectPatterns.set(cacheKey, compileSubjectPattern(subject));
  }
  return subjectPatterns.get(cacheKey)!;
}

function compileSubjectPattern(subject: RedactionSubject): RegExp | null {
  const words = new Set<string>();
  const name = subject.name?.normalize('NFC').trim();
  if (name) {
    words.add(name);
    for (const part of name.split(/[\s,.'’-]+/u)) if ([...part].length >= 2) words.add(part);
  }
  const email = subject.email?.normalize('NFC').trim();
  if (email) {
    words.add(email);
    const local = email.split('@')[0] ?? '';
    if ([...local].length >= 4) words.add(local);
  }
  if (words.size === 0) return null;
  // Longest first, so "Ada Lovelace" is one marker and not two.
  const sorted = [...words].sort((a, b) => b.length - a.length);
  const whole = (pattern: string) => `(?<![\\p{L}\\p{N}_])(?:${pattern})(?![\\p{L}\\p{N}_])`;
  const spaced = sorted.filter((word) => !UNSPACED.test(word)).map(accentInsensitive);
  const unspaced = sorted.filter((word) => UNSPACED.test(word)).map(accentInsensitive);
  return new RegExp([...unspaced, ...(spaced.length ? [whole(spaced.join('|'))] : [])].join('|'), 'giu');
}

/** The text with every piece of personal data replaced by its marker. */
export function redactText(text: string, subject: RedactionSubject = {}): string {
  const own = subjectPattern(subject);
  let out = text.normalize('NFC');
  if (own) out = out.replace(own, (match) => (match.includes('@') ? marker('email') : marker('name')));
  out = out.replace(EMAIL, marker('email'));
  out = out.replace(IBAN, (match) => (isIban(match.replace(/[ -]/g, '')) ? marker('iban') : match));
  out = out.replace(CARD, (match) => replaceGroupRun(match, CARD_RUN, marker('card')) ?? match);
  out = out.replace(IPV6, (match) => (isIpv6Address(match) ? marker('ip') + (match.endsWith('.') ? '.' : '') : match));
  out = out.replace(IPV4, (match) => (isIPv4(match) ? marker('ip') : match));
  out = out.replace(PHONE, (match) => {
    // A closing parenthesis the number did not open belongs to the sentence: "(tel. 020 7946 0958)".
    const unopened = match.endsWith(')') && (match.match(/\(/g)?.length ?? 0) < (match.match(/\)/g)?.length ?? 0);
    const number = unopened ? match.slice(0, -1) : match;
    // Digits beside the number may belong to the sentence ("room 3 415-555-2671"): runs of whole groups are
    // tried for the North American shape, which says "phone" on its own (not for a trunk-0 guess).
    const replaced = isPhoneNumber(number) ? marker('phone') : replaceGroupRun(number, NORTH_AMERICAN_RUN, marker('phone'));
    return replaced === null ? match : replaced + (unopened ? ')' : '');
  });
  return out;
}

/**
 * A run's inputs with every string redacted, and every number that reads as
 * personal data (a phone or card number typed into a number field) replaced by
 * the marker. Keys are the tool's own field names and stay.
 */
export function redactInputs(value: unknown, subject: RedactionSubject = {}): unknown {
  if (typeof value === 'string') return redactText(value, subject);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return value; // a measurement, a price: never a phone or card number
    const text = String(value);
    const redacted = redactText(text, subject);
    return redacted === text ? value : redacted;
  }
  if (Array.isArray(value)) return value.map((item) => redactInputs(item, subject));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactInputs(item, subject)]));
  }
  return value;
}
