/**
 * The gateway's redaction plan decides on schema coordinates through fragments on interfaces and unions, aliases and
 * nested lists, and touches nothing else. The hub's public schema has no abstract types, so this runs the gateway's
 * own module on a small schema that has them.
 */
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { applyPlan, operationPrivacy } from '../gateway/redaction-plan.js';
import type { PiiCategory } from '../kit/privacy.js';

const schema = buildSchema(`
  interface Subject { id: ID! name: String }
  type Person implements Subject { id: ID! name: String phone: String }
  type Company implements Subject { id: ID! name: String creditCode: String }
  union Anyone = Person | Company
  input Search { name: String kind: String }
  type Query { subjects(search: Search): [Subject!]! anyone: [Anyone!]! }
`);
const pii = new Map<string, PiiCategory>([
  ['Person.name', 'NAME'],
  ['Company.name', 'NAME'],
  ['Subject.name', 'NAME'],
  ['Person.phone', 'CONTACT'],
  ['Company.creditCode', 'ID_NUMBER'],
  ['Search.name', 'NAME'],
]);

function privacyOf(query: string) {
  const document = parse(query);
  return operationPrivacy(schema, document, document.definitions[0] as OperationDefinitionNode, pii);
}

describe('the gateway redaction plan', () => {
  it('nulls marked fields reached through interface and union fragments, under aliases, and counts them', () => {
    const { plan } =
      privacyOf(`{ subjects { id n: name ... on Person { phone } } anyone { ... on Company { c: creditCode id } ...P } }
      fragment P on Person { name }`);
    const data = {
      subjects: [
        { id: '1', n: 'Zhang San', phone: '13800000000' },
        { id: '2', n: 'ACME' },
      ],
      anyone: [{ c: '91310000MA1FL8XQ10', id: '3' }, { name: 'Li Si' }],
    };
    const counts = applyPlan(data, plan, () => true);
    expect(data).toEqual({
      subjects: [
        { id: '1', n: null, phone: null },
        { id: '2', n: null },
      ],
      anyone: [{ c: null, id: '3' }, { name: null }],
    });
    expect(Object.fromEntries(counts)).toEqual({ NAME: 3, CONTACT: 1, ID_NUMBER: 1 });
  });

  it('keeps categories the principal is cleared for', () => {
    const { plan } = privacyOf('{ subjects { name ... on Person { phone } } }');
    const data = { subjects: [{ name: 'Zhang San', phone: '138' }] };
    applyPlan(data, plan, (category) => category !== 'NAME');
    expect(data.subjects[0]).toEqual({ name: 'Zhang San', phone: null });
  });

  it('finds marked input fields in literals and in variables', () => {
    expect([...privacyOf('{ subjects(search: { kind: "x" }) { id } }').inputs({}).keys()]).toEqual([]);
    expect([...privacyOf('{ subjects(search: { name: "x" }) { id } }').inputs({}).keys()]).toEqual(['Search.name']);
    const viaVariable = privacyOf('query($s: Search) { subjects(search: $s) { id } }');
    expect([...viaVariable.inputs({ s: { name: 'x' } }).keys()]).toEqual(['Search.name']);
    expect([...viaVariable.inputs({ s: { kind: 'x', name: null } }).keys()]).toEqual([]);
  });

  it('has an empty plan for an operation that selects nothing marked', () => {
    expect(privacyOf('{ subjects { id } }').plan.size).toBe(0);
  });
});
