/**
 * Every field that holds party data carries `@pii(category:)` where the data lives, and the supergraph carries the
 * marks: a field whose name looks personal must have a category or an explicit, commented exemption below.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kind, parse } from 'graphql';
import { piiCoordinates } from '../kit/privacy.js';

const SUBGRAPHS = ['cases', 'institutions', 'referrals'];
const sdl = (name: string) => parse(fs.readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8'));

/** Names that suggest a person's data, the dispute's time or place, claims or an agreement. */
const LOOKS_PERSONAL = /name|id_?number|idcard|credit|phone|mobile|email|address|contact|place|location|occurred|claim|agreement|description|remed|reason|birth|gender|sex/i;

/** Fields that look personal and are not party data, each with why. */
const EXEMPT: Record<string, string> = {
  'Institution.name': "an institution's public name, listed in the public directory",
  'District.name': 'a district of the city',
  'Institution.districtName': 'a district of the city',
  'Liaison.name': "the institution's staff contact, not a party (the measures publish it)",
  'Liaison.phone': "the institution's staff contact, not a party",
  'Deadline.rule': 'the name of a time-limit rule',
  'Referral.declineReason': "a court's or commission's reason about jurisdiction or procedure, not the parties' data",
  'ReferralEvent.reason': "a referral's history carries its decline reason, the same as Referral.declineReason",
  'Referral.arbitrationAgreement': 'only when the agreement was made (before or after the dispute), not its content',
  'ConsentGrant.purpose': "the steward's stated purpose",
  'AuditEvent.principal': 'a staff account, not a party',
  'AuditVerification.reason': 'why the audit chain is broken',
  'CaseEvent.actor': 'a staff account, not a party',
  'Case.occurredMonth': 'the safe generalisation of the time (YYYY-MM)',
  'Case.respondentWilling': 'a workflow flag',
  'Case.outcomeConfirmed': 'a workflow flag',
  'Institution.changeRequests': 'registry workflow',
  'InstitutionChange.reason': "a supervising unit's written reason for a registry change, about the institution",
  'InstitutionChangeInput.reason': "a supervising unit's written reason for a registry change, about the institution",
  'InstitutionDetails.name': "an institution's public name",
  'InstitutionDetailsInput.name': "an institution's public name",
  'LiaisonInput.name': "the institution's staff contact, not a party",
  'LiaisonInput.phone': "the institution's staff contact, not a party",
  'Query.auditEvents': 'audit log (no personal values)',
  'Case.respondentContactedAt': 'when the institution reached the respondent: the workflow, not the dispute',
  'Mutation.recordRespondentContact': 'an operation, not a value',
  // Submissions carry party data in: intake writes it, and a write answers nothing back. `@pii` on an input field
  // is for filters, where a value asked would be an oracle.
  ...Object.fromEntries(['occurredAt', 'place', 'claims', 'description'].map((f) => [`SubmitCaseInput.${f}`, 'submission input'])),
  ...Object.fromEntries(['name', 'idNumber', 'phone', 'email', 'address'].map((f) => [`PartyInput.${f}`, 'submission input'])),
};

function fieldsOf(name: string): string[] {
  const coordinates: string[] = [];
  for (const d of sdl(name).definitions) {
    if ((d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION || d.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION) && d.fields) {
      for (const f of d.fields) coordinates.push(`${d.name.value}.${f.name.value}`);
    }
  }
  return coordinates;
}

describe('party-data marks', () => {
  it.each(SUBGRAPHS)('leave no personal-looking field of the %s subgraph unmarked and unexempted', (name) => {
    const marked = piiCoordinates(sdl(name));
    const unmarked = fieldsOf(name).filter((c) => LOOKS_PERSONAL.test(c.split('.')[1]!) && !marked.has(c) && !(c in EXEMPT));
    expect(unmarked).toEqual([]);
  });

  it('mark at least the fields the privacy rule names, with their categories', () => {
    const marked = piiCoordinates(sdl('cases'));
    expect(Object.fromEntries([...marked])).toMatchObject({
      'Party.name': 'NAME', 'Party.idNumber': 'ID_NUMBER', 'Party.phone': 'CONTACT', 'Party.email': 'CONTACT', 'Party.address': 'CONTACT',
      'Case.occurredAt': 'DISPUTE_TIME', 'Case.place': 'DISPUTE_PLACE', 'Case.claims': 'CLAIMS', 'Case.agreementSubject': 'AGREEMENT_SUBJECT',
      'Case.description': 'OTHER_PRIVATE', 'CaseFilter.partyName': 'NAME', 'CaseFilter.partyIdNumber': 'ID_NUMBER',
    });
  });

  it('reach the supergraph, so the gateway enforces the same list', () => {
    const supergraph = parse(fs.readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8'));
    const composed = piiCoordinates(supergraph);
    for (const name of SUBGRAPHS) for (const [coordinate, category] of piiCoordinates(sdl(name))) expect([coordinate, composed.get(coordinate)]).toEqual([coordinate, category]);
  });

  it('would catch an unmarked personal field', () => {
    const probe = parse('type Party { name: String applicantPhone: String }');
    const marked = piiCoordinates(probe);
    const unmarked = ['Party.name', 'Party.applicantPhone'].filter((c) => LOOKS_PERSONAL.test(c.split('.')[1]!) && !marked.has(c));
    expect(unmarked).toEqual(['Party.name', 'Party.applicantPhone']);
  });
});
