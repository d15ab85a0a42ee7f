/**
 * Check digits that turn "looks like a number" into "is one": a 16-digit order id rarely passes
 * Luhn with a card prefix, a random uppercase run never passes IBAN mod-97 for its country's
 * length. The PII rules (pii-rules.ts) report only what passes these, which keeps false
 * positives on ids, hashes and timestamps low.
 */

/** Luhn (ISO/IEC 7812-1 annex B) over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Issuer prefixes of the card schemes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62|50|5[6-8]|6[3-9])/;

export function cardValid(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  if (!CARD_PREFIX.test(digits)) return false;
  // A run of one digit (0000 0000 ...) passes Luhn but is a placeholder.
  if (/^(\d)\1+$/.test(digits)) return false;
  return luhnValid(digits);
}

/** IBAN lengths per country (SWIFT IBAN registry). Unknown countries are not reported. */
const IBAN_LENGTH: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** ISO 13616: move the first four characters to the end, letters to 10..35, the number mod 97 is 1. */
export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTH[iban.slice(0, 2)] !== iban.length) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

/**
 * US SSN in its written form AAA-GG-SSSS. Never issued: area 000, 666 or 900-999, group 00,
 * serial 0000 (SSA); 078-05-1120 and 219-09-9999 are famous advertising numbers.
 */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (group === '00' || serial === '0000') return false;
  const s = `${area}-${group}-${serial}`;
  return s !== '078-05-1120' && s !== '219-09-9999' && s !== '123-45-6789';
}

/** UK National Insurance number prefixes never allocated (HMRC NIM39110). */
const NINO_BAD_PREFIX = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
export function ninoValid(prefix: string): boolean {
  return !NINO_BAD_PREFIX.has(prefix.toUpperCase());
}

/** Spanish DNI: 8 digits and the letter of the number mod 23. NIE: X/Y/Z stand for 0/1/2. */
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
export function dniValid(body: string, letter: string): boolean {
  const n = Number(body.replace(/^[XYZ]/, (x) => String('XYZ'.indexOf(x))));
  return Number.isInteger(n) && DNI_LETTERS[n % 23] === letter.toUpperCase();
}
