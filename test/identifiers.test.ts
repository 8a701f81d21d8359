import { describe, expect, it } from 'vitest';
import {
  MOBILE_PATTERN,
  organisationCodeCheck,
  residentIdCheck,
  residentIdProblem,
  usccCheck,
  usccProblem,
} from '../kit/identifiers.js';
import { creditCode, generateCases, generateInstitutions, residentId } from '../seed/world.js';
import { Random } from '../seed/random.js';

describe('resident ID numbers (GB 11643, ISO 7064 MOD 11-2)', () => {
  it("computes the check character of the standard's example", () => {
    // The example number printed in GB 11643-1999.
    expect(residentIdCheck('11010519491231002')).toBe('X');
    expect(residentIdProblem('11010519491231002X')).toBeNull();
  });

  it('names what is wrong with an invalid number', () => {
    expect(residentIdProblem('110105194912310021')).toBe('check character does not match');
    expect(residentIdProblem('11010519491331002X')).toBe('birth date is not a real past date');
    expect(residentIdProblem('1101051949123100')).toBe('must be 17 digits and a digit or X');
  });
});

describe('unified social credit codes (GB 32100-2015)', () => {
  it('accepts a code whose two check characters are right', () => {
    const body = '91310104' + 'MA1FL8XQ';
    const code17 = body + organisationCodeCheck('MA1FL8XQ');
    expect(usccProblem(code17 + usccCheck(code17))).toBeNull();
  });

  it('names a wrong final check and a wrong organisation-code check', () => {
    const org = 'MA1FL8XQ';
    const code17 = `91310104${org}${organisationCodeCheck(org)}`;
    const good = code17 + usccCheck(code17);
    const wrongFinal = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    expect(usccProblem(wrongFinal)).toBe('check character does not match');
    const otherOrgCheck = organisationCodeCheck(org) === '0' ? '1' : '0';
    const badOrg = `91310104${org}${otherOrgCheck}`;
    expect(usccProblem(badOrg + usccCheck(badOrg))).toBe('organisation code check character does not match');
    expect(usccProblem('91310104MA1FL8XQIO')).toMatch(/must be 18 characters/);
  });
});

describe('the demo world', () => {
  it('makes valid resident IDs and credit codes', () => {
    const rng = new Random(1);
    for (let i = 0; i < 500; i++) {
      expect(residentIdProblem(residentId(rng, '310104'))).toBeNull();
      expect(usccProblem(creditCode(rng, '310115'))).toBeNull();
    }
  });

  it('is the same world for the same seed, and numbers cases gap-free per year', () => {
    const institutions = generateInstitutions(80, 3);
    expect(generateInstitutions(80, 3)).toEqual(institutions);
    expect(new Set(institutions.map((i) => `${i.district}/${i.name}`)).size).toBe(80);
    const first = [...generateCases(600, institutions, 3, 100)];
    expect([...generateCases(600, institutions, 3, 100)]).toEqual(first);
    const cases = first.flatMap((b) => b.cases);
    const byYear = new Map<string, number[]>();
    for (const c of cases) {
      const [, year, n] = c.id.split('-');
      byYear.set(year!, [...(byYear.get(year!) ?? []), Number(n)]);
      for (const p of c.parties) {
        expect(p.kind === 'PERSON' ? residentIdProblem(p.idNumber!) : usccProblem(p.idNumber!)).toBeNull();
        expect(p.phone).toMatch(MOBILE_PATTERN);
      }
    }
    for (const numbers of byYear.values()) expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(new Set(cases.map((c) => c.status))).toEqual(
      new Set(['SUBMITTED', 'DISPATCHED', 'ACCEPTED', 'REJECTED', 'RESOLVED', 'UNRESOLVED', 'WITHDRAWN']),
    );
  });

  it('makes thousands of institutions with unique names within each district', () => {
    const many = generateInstitutions(7000, 5);
    expect(many).toHaveLength(7000);
    expect(new Set(many.map((i) => `${i.district}/${i.name}`)).size).toBe(7000);
  });
});
