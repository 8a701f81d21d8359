/**
 * Identifier formats from national standards: the 18-character resident ID (GB 11643, ISO 7064 MOD 11-2 check)
 * and the unified social credit code (GB 32100-2015, with the organisation code's own GB 11714 check).
 */

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** The check character for the first 17 digits of a resident ID. */
export function residentIdCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11]!;
}

/** Why an 18-character resident ID is invalid, or null when it is valid. */
export function residentIdProblem(id: string): string | null {
  if (!/^\d{17}[\dX]$/.test(id)) return 'must be 17 digits and a digit or X';
  const y = Number(id.slice(6, 10)),
    m = Number(id.slice(10, 12)),
    d = Number(id.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > Date.now()) {
    return 'birth date is not a real past date';
  }
  if (residentIdCheck(id.slice(0, 17)) !== id[17]) return 'check character does not match';
  return null;
}

export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** The check character (position 9) of an 8-character organisation code body (GB 11714). */
export function organisationCodeCheck(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += ORG_ALPHABET.indexOf(first8[i]!) * ORG_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/** The check character (position 18) of the first 17 characters of a unified social credit code. */
export function usccCheck(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]!) * USCC_WEIGHTS[i]!;
  return USCC_ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** Why a unified social credit code is invalid, or null when it is valid. */
export function usccProblem(code: string): string | null {
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code)) {
    return 'must be 18 characters: registration authority and type, a 6-digit area code, organisation code and check';
  }
  if (organisationCodeCheck(code.slice(8, 16)) !== code[16]) return 'organisation code check character does not match';
  if (usccCheck(code.slice(0, 17)) !== code[17]) return 'check character does not match';
  return null;
}

export const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
/** A mainland landline with its area code, e.g. 021-64871234. */
export const LANDLINE_PATTERN = /^0\d{2,3}-?\d{7,8}$/;
