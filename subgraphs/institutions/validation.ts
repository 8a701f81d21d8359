/**
 * Validation of registry input before anything is written: errors are BAD_USER_INPUT naming the field path
 * (e.g. `input.details.district`).
 */
import { badInput } from '../../kit/errors.js';
import { LANDLINE_PATTERN, MOBILE_PATTERN } from '../../kit/identifiers.js';
import { CATEGORIES, DISTRICTS, INSTITUTION_KINDS } from '../../kit/reference-data.js';
import { optionalText, requiredText } from '../../kit/input.js';

export const TEXT_LIMITS = {
  name: 100,
  street: 60,
  community: 60,
  liaisonName: 60,
  reason: 2000,
  note: 2000,
  subject: 2000,
} as const;

export interface DetailsInput {
  name?: string | null;
  kind?: string | null;
  district?: string | null;
  street?: string | null;
  community?: string | null;
  categories?: string[] | null;
  liaison?: { name: string; phone: string } | null;
  listed?: boolean | null;
}

/** Details as stored in a change request: only the fields it sets. */
export type Details = Partial<{
  name: string;
  kind: string;
  district: string;
  street: string | null;
  community: string | null;
  categories: string[];
  liaison: { name: string; phone: string } | null;
  listed: boolean;
}>;

const NEW_REQUIRED = ['name', 'kind', 'district', 'categories'] as const;

/** `new`: the details of an institution to add (name, kind, district and categories required); `patch`: fields to change. */
export function checkDetails(path: string, input: DetailsInput | null | undefined, mode: 'new' | 'patch'): Details {
  if (!input)
    throw badInput(path, mode === 'new' ? "the new institution's details are required" : 'name the details to change');
  const out: Details = {};
  if (mode === 'new') {
    for (const field of NEW_REQUIRED)
      if (input[field] === null || input[field] === undefined)
        throw badInput(`${path}.${field}`, 'is required for a new institution');
  }
  if (input.name != null) out.name = requiredText(`${path}.name`, input.name, TEXT_LIMITS.name);
  if (input.kind != null) {
    if (!(INSTITUTION_KINDS as readonly string[]).includes(input.kind))
      throw badInput(`${path}.kind`, `must be one of ${INSTITUTION_KINDS.join(', ')}`);
    if (input.kind === 'SUPERVISING_UNIT')
      throw badInput(`${path}.kind`, 'a supervising unit is not an institution a unit manages');
    out.kind = input.kind;
  }
  if (input.district != null) {
    if (!(input.district in DISTRICTS))
      throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
    out.district = input.district;
  }
  // Three levels: a community belongs to a street, a street to the district.
  if (input.street !== undefined) out.street = optionalText(`${path}.street`, input.street, TEXT_LIMITS.street);
  if (input.community !== undefined)
    out.community = optionalText(`${path}.community`, input.community, TEXT_LIMITS.community);
  if (input.categories != null) {
    if (input.categories.length === 0) throw badInput(`${path}.categories`, 'must name at least one dispute category');
    input.categories.forEach((c, i) => {
      if (!(CATEGORIES as readonly string[]).includes(c))
        throw badInput(`${path}.categories[${i}]`, 'not a dispute category');
    });
    out.categories = [...new Set(input.categories)].sort();
  }
  if (input.liaison !== undefined) {
    if (input.liaison === null) out.liaison = null;
    else {
      const phone = requiredText(`${path}.liaison.phone`, input.liaison.phone, 20);
      if (!MOBILE_PATTERN.test(phone) && !LANDLINE_PATTERN.test(phone))
        throw badInput(`${path}.liaison.phone`, 'must be a mainland mobile number or a landline with area code');
      out.liaison = { name: requiredText(`${path}.liaison.name`, input.liaison.name, TEXT_LIMITS.liaisonName), phone };
    }
  }
  if (input.listed != null) out.listed = input.listed;
  if (mode === 'patch' && Object.keys(out).length === 0) throw badInput(path, 'name at least one detail to change');
  return out;
}

/** Three levels: a community belongs to a street, a street to the district. Checked on the details as they would become. */
export function checkRegion(path: string, merged: { street: string | null; community: string | null }): void {
  if (merged.community && !merged.street)
    throw badInput(`${path}.community`, 'needs the street it belongs to (street)');
}
