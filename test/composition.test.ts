import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSchema, isEnumType } from 'graphql';
import { compose, SUPERGRAPH_PATH } from '../schema/compose.js';
import { CASE_STATUSES, CATEGORIES, INSTITUTION_KINDS } from '../kit/reference-data.js';

describe('the supergraph', () => {
  const result = compose();

  it('composes without errors', () => {
    expect('errors' in result ? result.errors : []).toEqual([]);
  });

  it('is checked in exactly as a fresh composition writes it', () => {
    if ('errors' in result) throw new Error(result.errors.join('\n'));
    expect(fs.readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(result.supergraphSdl);
  });

  it('has enums that list exactly the reference data every office shares', () => {
    if ('errors' in result) throw new Error(result.errors.join('\n'));
    const schema = buildSchema(result.supergraphSdl, { assumeValidSDL: true });
    const values = (name: string) => {
      const type = schema.getType(name);
      if (!isEnumType(type)) throw new Error(`${name} is not an enum`);
      return type.getValues().map((v) => v.name);
    };
    expect(values('DisputeCategory')).toEqual([...CATEGORIES]);
    expect(values('InstitutionKind')).toEqual([...INSTITUTION_KINDS]);
    expect(values('CaseStatus')).toEqual([...CASE_STATUSES]);
  });

  it('places each entity join in the subgraph that owns its data', () => {
    if ('errors' in result) throw new Error(result.errors.join('\n'));
    const sdl = result.supergraphSdl;
    expect(sdl).toMatch(
      /cases\(filter: CaseFilter, first: Int = 20, after: String\): CaseConnection @join__field\(graph: CASES\)/,
    );
    expect(sdl).toMatch(/referrals: \[Referral!\] @join__field\(graph: REFERRALS\)/);
    expect(sdl).toMatch(/institution: Institution @join__field\(graph: CASES\)/);
  });
});
