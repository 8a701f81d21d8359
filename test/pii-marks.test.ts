/**
 * Free text is party data until marked otherwise: every String field of every subgraph's SDL (and every scalar or
 * enum field whose name looks personal) carries `@pii(category:)` where the data lives, or
 * `@piiExempt(reason:)` saying why it holds none; and the supergraph carries the `@pii` marks to the gateway.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Kind,
  parse,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from 'graphql';
import { piiCoordinates } from '../kit/privacy.js';

const SUBGRAPHS = ['cases', 'institutions', 'referrals'];
const sdlText = (name: string) =>
  fs.readFileSync(new URL(`../subgraphs/${name}/schema.graphql`, import.meta.url), 'utf8');
const sdl = (name: string) => parse(sdlText(name));

/** Names that suggest a person's data, the dispute's time or place, claims or an agreement. */
const LOOKS_PERSONAL =
  /name|id_?number|idcard|credit|phone|mobile|email|address|contact|place|location|occurred|claim|agreement|description|remed|reason|birth|gender|sex/i;

const BUILT_IN_SCALARS = new Set(['String', 'ID', 'Int', 'Float', 'Boolean']);
const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/** Why a field's mark is missing or unusable, or null when it is marked. */
function markProblem(field: FieldDefinitionNode | InputValueDefinitionNode): string | null {
  const pii = field.directives?.some((d) => d.name.value === 'pii');
  const exempt = field.directives?.find((d) => d.name.value === 'piiExempt');
  if (pii && exempt) return 'both @pii and @piiExempt';
  if (pii) return null;
  if (!exempt) return 'neither @pii nor @piiExempt';
  const reason = exempt.arguments?.find((a) => a.name.value === 'reason')?.value;
  return reason?.kind === Kind.STRING && reason.value.trim().length >= 8 ? null : '@piiExempt without a reason';
}

/** `Type.field: problem` for every field of the document that needs a mark and has none that holds. */
function unmarkedFields(document: DocumentNode): string[] {
  const leaves = new Set(BUILT_IN_SCALARS);
  for (const d of document.definitions) {
    if (d.kind === Kind.SCALAR_TYPE_DEFINITION || d.kind === Kind.ENUM_TYPE_DEFINITION) leaves.add(d.name.value);
  }
  const problems: string[] = [];
  for (const d of document.definitions) {
    if (
      d.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      d.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      d.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      d.kind !== Kind.INPUT_OBJECT_TYPE_DEFINITION
    )
      continue;
    for (const field of d.fields ?? []) {
      const type = namedType(field.type);
      const needsMark = type === 'String' || (leaves.has(type) && LOOKS_PERSONAL.test(field.name.value));
      const problem = needsMark ? markProblem(field) : null;
      if (problem) problems.push(`${d.name.value}.${field.name.value}: ${problem}`);
    }
  }
  return problems;
}

describe('party-data marks', () => {
  it.each(SUBGRAPHS)(
    'leave no String field of the %s subgraph, nor a personal-looking one, without @pii or a written exemption',
    (name) => {
      expect(unmarkedFields(sdl(name))).toEqual([]);
    },
  );

  it('catch an unmarked free-text field, an exemption without a reason, and a field marked both ways', () => {
    const probe = parse(`
      directive @pii(category: PiiCategory!) on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
      directive @piiExempt(reason: String!) on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
      enum PiiCategory { NAME OTHER_PRIVATE }
      scalar DateTime
      type Supervision {
        id: ID!
        instruction: String
        note: String @piiExempt(reason: "")
        subject: String @pii(category: OTHER_PRIVATE) @piiExempt(reason: "a subject line of the supervision")
        unitCode: String @piiExempt(reason: "a district code")
        partyName: String @pii(category: NAME)
        occurredAt: DateTime
        count: Int
      }
      input SupervisionInput { remarks: [String!] }`);
    expect(unmarkedFields(probe)).toEqual([
      'Supervision.instruction: neither @pii nor @piiExempt',
      'Supervision.note: @piiExempt without a reason',
      'Supervision.subject: both @pii and @piiExempt',
      'Supervision.occurredAt: neither @pii nor @piiExempt',
      'SupervisionInput.remarks: neither @pii nor @piiExempt',
    ]);
  });

  it('fail the referrals SDL as it was before its decline reasons were marked', () => {
    const unmarked = sdlText('referrals')
      .replace(/(declineReason: String) @pii\(category: OTHER_PRIVATE\)/, '$1')
      .replace(/( {2}reason: String) @pii\(category: OTHER_PRIVATE\)/, '$1');
    expect(unmarkedFields(parse(unmarked))).toEqual([
      'Referral.declineReason: neither @pii nor @piiExempt',
      'ReferralEvent.reason: neither @pii nor @piiExempt',
    ]);
  });

  it('mark at least the fields the privacy rule names, with their categories', () => {
    expect(Object.fromEntries([...piiCoordinates(sdl('cases'))])).toMatchObject({
      'Party.name': 'NAME',
      'Party.idNumber': 'ID_NUMBER',
      'Party.phone': 'CONTACT',
      'Party.email': 'CONTACT',
      'Party.address': 'CONTACT',
      'Case.occurredAt': 'DISPUTE_TIME',
      'Case.place': 'DISPUTE_PLACE',
      'Case.claims': 'CLAIMS',
      'Case.agreementSubject': 'AGREEMENT_SUBJECT',
      'Case.description': 'OTHER_PRIVATE',
      'CaseFilter.partyName': 'NAME',
      'CaseFilter.partyIdNumber': 'ID_NUMBER',
    });
    expect(Object.fromEntries([...piiCoordinates(sdl('referrals'))])).toEqual({
      'Referral.declineReason': 'OTHER_PRIVATE',
      'ReferralEvent.reason': 'OTHER_PRIVATE',
    });
  });

  it('reach the supergraph, so the gateway enforces the same list', () => {
    const supergraph = parse(fs.readFileSync(new URL('../schema/supergraph.graphql', import.meta.url), 'utf8'));
    const composed = piiCoordinates(supergraph);
    expect(composed.get('Referral.declineReason')).toBe('OTHER_PRIVATE');
    for (const name of SUBGRAPHS)
      for (const [coordinate, category] of piiCoordinates(sdl(name)))
        expect([coordinate, composed.get(coordinate)]).toEqual([coordinate, category]);
  });
});
