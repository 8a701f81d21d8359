/**
 * Validation of case input, before anything is written. Every error is BAD_USER_INPUT naming the field
 * (e.g. `input.parties[1].idNumber`) and never echoing the value: the value may be party data.
 */
import { badInput } from '../../kit/errors.js';
import { notInFuture, optionalText, requiredText } from '../../kit/input.js';
import { LANDLINE_PATTERN, MOBILE_PATTERN, residentIdProblem, usccProblem } from '../../kit/identifiers.js';
import { DISTRICTS } from '../../kit/reference-data.js';

export interface PartyInput {
  role: 'APPLICANT' | 'RESPONDENT';
  kind: 'PERSON' | 'ORGANISATION';
  name: string;
  idNumber: string;
  phone?: string | null;
  email?: string | null;
  address?: string | null;
}

export interface SubmitCaseInput {
  channel: 'ONLINE' | 'WINDOW';
  externalRef?: string | null;
  category: string;
  district: string;
  occurredAt?: string | null;
  place?: string | null;
  claims: string;
  description?: string | null;
  parties: PartyInput[];
}

/** Upper bounds on text, in characters. */
export const TEXT_LIMITS = {
  name: 100,
  address: 200,
  email: 100,
  place: 200,
  claims: 2000,
  description: 4000,
  externalRef: 64,
  reason: 500,
  agreementSubject: 2000,
  remedies: 2000,
} as const;

export { notInFuture, optionalText, requiredText };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function party(path: string, p: PartyInput): PartyInput {
  const name = requiredText(`${path}.name`, p.name, TEXT_LIMITS.name);
  const idNumber = p.idNumber?.trim().toUpperCase() ?? '';
  const problem = p.kind === 'PERSON' ? residentIdProblem(idNumber) : usccProblem(idNumber);
  if (problem)
    throw badInput(
      `${path}.idNumber`,
      `not a valid ${p.kind === 'PERSON' ? 'resident ID number' : 'unified social credit code'}: ${problem}`,
    );
  const phone = optionalText(`${path}.phone`, p.phone, 20);
  if (phone && !MOBILE_PATTERN.test(phone) && !LANDLINE_PATTERN.test(phone))
    throw badInput(
      `${path}.phone`,
      'must be a mainland mobile number (11 digits starting 13-19) or a landline with area code',
    );
  const email = optionalText(`${path}.email`, p.email, TEXT_LIMITS.email);
  if (email && !EMAIL.test(email)) throw badInput(`${path}.email`, 'is not an email address');
  return {
    role: p.role,
    kind: p.kind,
    name,
    idNumber,
    phone,
    email,
    address: optionalText(`${path}.address`, p.address, TEXT_LIMITS.address),
  };
}

/** A submission, checked and normalised; `path` names the input (`input`, or `inputs[3]` in a bulk import). */
export function checkSubmission(path: string, input: SubmitCaseInput, now: Date): SubmitCaseInput {
  if (!(input.district in DISTRICTS)) throw badInput(`${path}.district`, 'not a district code (e.g. 310104 for Xuhui)');
  const externalRef = optionalText(`${path}.externalRef`, input.externalRef, TEXT_LIMITS.externalRef);
  if (input.channel === 'WINDOW' && !externalRef)
    throw badInput(
      `${path}.externalRef`,
      "is required for WINDOW submissions (the source system's reference, so a re-import creates no duplicate)",
    );
  if (!Array.isArray(input.parties) || input.parties.length > 20)
    throw badInput(`${path}.parties`, 'must list 2 to 20 parties');
  const parties = input.parties.map((p, i) => party(`${path}.parties[${i}]`, p));
  if (!parties.some((p) => p.role === 'APPLICANT')) throw badInput(`${path}.parties`, 'must include an APPLICANT');
  if (!parties.some((p) => p.role === 'RESPONDENT')) throw badInput(`${path}.parties`, 'must include a RESPONDENT');
  return {
    channel: input.channel,
    externalRef,
    category: input.category,
    district: input.district,
    occurredAt: notInFuture(`${path}.occurredAt`, input.occurredAt, now),
    place: optionalText(`${path}.place`, input.place, TEXT_LIMITS.place),
    claims: requiredText(`${path}.claims`, input.claims, TEXT_LIMITS.claims),
    description: optionalText(`${path}.description`, input.description, TEXT_LIMITS.description),
    parties,
  };
}
