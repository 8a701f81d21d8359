/**
 * The demo world, generated deterministically from a seed: supervising units and institutions of Shanghai's
 * 16 districts, cases across the lifecycle with realistic (invented) parties, and referrals to courts and
 * commissions. Cases come out in batches, in submission order, so a million of them never sit in memory.
 */
import { DISTRICT_CODES, CATEGORIES, type CaseStatus } from '../kit/reference-data.js';
import { residentIdCheck, organisationCodeCheck, usccCheck, USCC_ALPHABET } from '../kit/identifiers.js';
import { Random } from './random.js';
import type { CaseSeed } from '../subgraphs/cases/seed-writer.js';
import type { InstitutionSeed } from '../subgraphs/institutions/seed-writer.js';
import type { ReferralSeed } from '../subgraphs/referrals/seed-writer.js';
import {
  CLAIMS_BY_CATEGORY,
  COMMUNITY_STEMS,
  COMPANY_TRADES,
  COMPANY_WORDS,
  DISTRICT_CN,
  GENERIC_CLAIMS,
  GIVEN_CHARS,
  ROADS,
  STREET_STEMS,
  SURNAMES,
} from './names.js';

/** Demo time is anchored, not taken from the clock, so every run makes the same world. */
export const DEMO_ANCHOR = Date.parse('2026-11-01T00:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CASE_SPAN_DAYS = 730;

export type DemoInstitution = InstitutionSeed;

export type DemoCase = CaseSeed;
export type DemoParty = CaseSeed['parties'][number];
export type DemoEvent = CaseSeed['events'][number];

export type DemoReferral = ReferralSeed;

const iso = (ms: number) => new Date(ms).toISOString();

/** Supervising units and the kinds of institution each manages. */
const UNITS = [
  { id: 'SU-JUSTICE', name: '上海市司法局', manages: ['PEOPLES_MEDIATION'] },
  { id: 'SU-HRSS', name: '上海市人力资源和社会保障局', manages: ['LABOUR_ARBITRATION'] },
  { id: 'SU-COURT', name: '上海市高级人民法院', manages: ['COURT'] },
  { id: 'SU-SAMR', name: '上海市市场监督管理局', manages: ['ADMINISTRATIVE_MEDIATION'] },
  { id: 'SU-HOUSING', name: '上海市住房和城乡建设管理委员会', manages: ['INDUSTRY_MEDIATION'] },
  { id: 'SU-HEALTH', name: '上海市卫生健康委员会', manages: ['PROFESSIONAL_MEDIATION'] },
  { id: 'SU-POLICE', name: '上海市公安局', manages: ['ADMINISTRATIVE_ORGAN'] },
  { id: 'SU-FINANCE', name: '上海市地方金融管理局', manages: ['INDUSTRY_MEDIATION'] },
  { id: 'SU-LEGAL', name: '上海市人民政府办公厅', manages: ['COMMERCIAL_ARBITRATION'] },
  { id: 'SU-AGRI', name: '上海市农业农村委员会', manages: ['ADMINISTRATIVE_ORGAN'] },
] as const;

/** Categories served by kind; mediation committees take most disputes. */
const SERVES: Record<string, readonly string[]> = {
  PEOPLES_MEDIATION: [
    'MARRIAGE_FAMILY',
    'NEIGHBOURS',
    'HOUSING_HOMESTEAD',
    'DAMAGES',
    'PROPERTY_MANAGEMENT',
    'CONTRACT',
    'OTHER',
  ],
  LABOUR_ARBITRATION: ['LABOUR'],
  COURT: ['CONTRACT', 'DAMAGES', 'FINANCE', 'INSURANCE', 'INTELLECTUAL_PROPERTY', 'OTHER'],
  ADMINISTRATIVE_MEDIATION: ['CONSUMER', 'TOURISM', 'PRODUCTION_BUSINESS'],
  INDUSTRY_MEDIATION: ['PROPERTY_MANAGEMENT', 'FINANCE', 'INSURANCE', 'HOUSING_HOMESTEAD'],
  PROFESSIONAL_MEDIATION: ['MEDICAL', 'ROAD_TRAFFIC', 'INTELLECTUAL_PROPERTY'],
  ADMINISTRATIVE_ORGAN: ['ROAD_TRAFFIC', 'LAND_FOREST', 'REQUISITION_DEMOLITION', 'ENVIRONMENT'],
  COMMERCIAL_ARBITRATION: ['CONTRACT', 'FINANCE', 'PRODUCTION_BUSINESS', 'INTELLECTUAL_PROPERTY'],
};

const KIND_SUFFIX: Record<string, string> = {
  PEOPLES_MEDIATION: '人民调解委员会',
  LABOUR_ARBITRATION: '劳动人事争议仲裁委员会',
  COURT: '人民法院',
  ADMINISTRATIVE_MEDIATION: '市场监督管理局消费纠纷调解中心',
  INDUSTRY_MEDIATION: '物业纠纷人民调解委员会',
  PROFESSIONAL_MEDIATION: '医疗纠纷人民调解委员会',
  ADMINISTRATIVE_ORGAN: '交通警察支队事故处理中心',
};

export function personName(rng: Random): string {
  return rng.pick(SURNAMES) + rng.pick(GIVEN_CHARS) + (rng.chance(0.7) ? rng.pick(GIVEN_CHARS) : '');
}

export function mobile(rng: Random): string {
  return `1${rng.int(3, 9)}${rng.digits(9)}`;
}

export function residentId(rng: Random, district: string): string {
  const birth = new Date(Date.UTC(rng.int(1950, 2004), rng.int(0, 11), rng.int(1, 28)));
  const body = `${district}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${rng.digits(3)}`;
  return body + residentIdCheck(body);
}

const USCC_CHARS = [...USCC_ALPHABET];

export function creditCode(rng: Random, district: string): string {
  let org = '';
  for (let i = 0; i < 8; i++) org += rng.pick(USCC_CHARS);
  const body = `91${district}${org}${organisationCodeCheck(org)}`;
  return body + usccCheck(body);
}

export function generateInstitutions(count: number, seed: number): DemoInstitution[] {
  const rng = new Random(seed ^ 0x1357);
  const created = iso(DEMO_ANCHOR - 3 * 365 * DAY);
  const list: DemoInstitution[] = [];
  const liaison = () => ({ liaisonName: personName(rng), liaisonPhone: mobile(rng) });
  for (const unit of UNITS) {
    list.push({
      id: unit.id,
      name: unit.name,
      kind: 'SUPERVISING_UNIT',
      status: 'ACTIVE',
      district: '310101',
      street: null,
      community: null,
      supervisingUnitId: null,
      listed: true,
      categories: [],
      createdAt: created,
      ...liaison(),
    });
  }
  const unitFor = (kind: string) => UNITS.find((u) => (u.manages as readonly string[]).includes(kind))!.id;
  let n = 0;
  const add = (
    kind: string,
    district: string,
    name: string,
    street: string | null = null,
    community: string | null = null,
  ) => {
    n++;
    // A few institutions are suspended, closed or pending, so the registry shows every status.
    const status = n % 41 === 0 ? 'SUSPENDED' : n % 53 === 0 ? 'CLOSED' : n % 67 === 0 ? 'PENDING' : 'ACTIVE';
    list.push({
      id: `IN-${String(n).padStart(5, '0')}`,
      name,
      kind,
      status,
      district,
      street,
      community,
      supervisingUnitId: unitFor(kind),
      listed: status === 'ACTIVE' && n % 29 !== 0,
      categories: [...SERVES[kind]!],
      createdAt: created,
      ...liaison(),
    });
  };
  const target = Math.max(count - UNITS.length, 0);
  // Every district has its committee, arbitration commission, court and consumer mediation centre.
  for (const d of DISTRICT_CODES) {
    for (const kind of ['PEOPLES_MEDIATION', 'LABOUR_ARBITRATION', 'COURT', 'ADMINISTRATIVE_MEDIATION']) {
      if (n < target) add(kind, d, `${DISTRICT_CN[d]}${KIND_SUFFIX[kind]}`);
    }
  }
  if (n < target) add('COMMERCIAL_ARBITRATION', '310101', '上海仲裁委员会');
  if (n < target) add('COMMERCIAL_ARBITRATION', '310106', '上海国际仲裁中心');
  for (const d of DISTRICT_CODES) {
    for (const kind of ['INDUSTRY_MEDIATION', 'PROFESSIONAL_MEDIATION', 'ADMINISTRATIVE_ORGAN']) {
      if (n < target) add(kind, d, `${DISTRICT_CN[d]}${KIND_SUFFIX[kind]}`);
    }
  }
  // The rest are grassroots committees: street, then community level.
  for (let i = 0; n < target; i++) {
    const d = DISTRICT_CODES[i % DISTRICT_CODES.length]!;
    const street = `${STREET_STEMS[Math.floor(i / DISTRICT_CODES.length) % STREET_STEMS.length]}街道`;
    const round = Math.floor(i / (DISTRICT_CODES.length * STREET_STEMS.length));
    if (round === 0) {
      add('PEOPLES_MEDIATION', d, `${DISTRICT_CN[d]}${street}人民调解委员会`, street);
    } else {
      const community = `${COMMUNITY_STEMS[(round - 1) % COMMUNITY_STEMS.length]}${Math.floor((round - 1) / COMMUNITY_STEMS.length) + 1}居民区`;
      add('PEOPLES_MEDIATION', d, `${DISTRICT_CN[d]}${street}${community}人民调解委员会`, street, community);
    }
  }
  return list;
}

const STATUS_WEIGHTS: Record<CaseStatus, number> = {
  SUBMITTED: 4,
  DISPATCHED: 6,
  ACCEPTED: 10,
  REJECTED: 7,
  RESOLVED: 53,
  UNRESOLVED: 17,
  WITHDRAWN: 3,
};

function party(rng: Random, role: DemoParty['role'], district: string, organisationShare: number): DemoParty {
  const address = `上海市${DISTRICT_CN[district]}${rng.pick(ROADS)}${rng.int(1, 2000)}号`;
  if (rng.chance(organisationShare)) {
    return {
      role,
      kind: 'ORGANISATION',
      name: `上海${rng.pick(COMPANY_WORDS)}${rng.pick(COMPANY_TRADES)}有限公司`,
      idNumber: creditCode(rng, district),
      phone: mobile(rng),
      email: `contact${rng.digits(4)}@example.cn`,
      address,
    };
  }
  return {
    role,
    kind: 'PERSON',
    name: personName(rng),
    idNumber: residentId(rng, district),
    phone: mobile(rng),
    email: rng.chance(0.3) ? `user${rng.digits(6)}@example.cn` : null,
    address,
  };
}

/**
 * Generates `count` cases in submission order over the two years before the anchor, and their referrals.
 * Yields batches so the caller can write each in one transaction.
 */
export function* generateCases(
  count: number,
  institutions: DemoInstitution[],
  seed: number,
  batchSize = 2000,
): Generator<{ cases: DemoCase[]; referrals: DemoReferral[] }> {
  const rng = new Random(seed ^ 0x2468);
  // Record keys from a generator of their own: drawing them from `rng` would change every other draw of the world.
  const keys = new Random(seed ^ 0x5eed);
  const active = institutions.filter((i) => i.status === 'ACTIVE' && i.kind !== 'SUPERVISING_UNIT');
  const handlers = active.filter((i) => i.kind !== 'COURT' && i.kind !== 'COMMERCIAL_ARBITRATION');
  const byDistrict = new Map<string, DemoInstitution[]>();
  for (const i of handlers) byDistrict.set(i.district, [...(byDistrict.get(i.district) ?? []), i]);
  const handlersOf = new Map<string, DemoInstitution[]>();
  for (const i of handlers)
    for (const c of i.categories)
      handlersOf.set(`${i.district}/${c}`, [...(handlersOf.get(`${i.district}/${c}`) ?? []), i]);
  const courts = new Map(active.filter((i) => i.kind === 'COURT').map((c) => [c.district, c]));
  const anyCourt = active.find((i) => i.kind === 'COURT');
  const commissions = active.filter((i) => i.kind === 'COMMERCIAL_ARBITRATION' || i.kind === 'LABOUR_ARBITRATION');
  const start = DEMO_ANCHOR - CASE_SPAN_DAYS * DAY;
  const step = (CASE_SPAN_DAYS * DAY) / Math.max(count, 1);
  const perYear = new Map<number, number>();
  const referralsPerYear = new Map<number, number>();
  let referralSeq = 0;
  let batch: DemoCase[] = [];
  let referrals: DemoReferral[] = [];

  for (let seq = 1; seq <= count; seq++) {
    const submitted = Math.floor(start + (seq - 1) * step + rng.next() * step * 0.9);
    const year = new Date(submitted).getUTCFullYear();
    const number = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, number);
    const district = rng.pick(DISTRICT_CODES);
    const category = rng.pick(CATEGORIES);
    const status = rng.weighted(STATUS_WEIGHTS);
    const channel = rng.chance(0.75) ? 'ONLINE' : 'WINDOW';
    const local = byDistrict.get(district) ?? handlers;
    // Any local institution that handles the category (not always the first: a city's cases spread over all of them).
    const handling = handlersOf.get(`${district}/${category}`);
    const institution = rng.pick(handling ?? local);
    const assigned = status !== 'SUBMITTED' && !(status === 'WITHDRAWN' && rng.chance(0.5));
    const dispatched = assigned ? submitted + rng.int(1, 40) * HOUR : null;
    const reviewed =
      dispatched !== null && status !== 'DISPATCHED' && status !== 'WITHDRAWN'
        ? dispatched + rng.int(2, 70) * HOUR
        : null;
    const accepted = reviewed !== null && status !== 'REJECTED' ? reviewed : null;
    // Most institutions reach the respondent before they decide; some only late, some not yet.
    const contacted =
      dispatched === null || status === 'WITHDRAWN' || (reviewed === null && rng.chance(0.5))
        ? null
        : Math.min(dispatched + rng.int(1, 90) * HOUR, reviewed ?? Infinity);
    const willing = contacted === null ? null : status !== 'REJECTED' || rng.chance(0.5);
    const closed =
      accepted !== null && (status === 'RESOLVED' || status === 'UNRESOLVED') ? accepted + rng.int(2, 45) * DAY : null;
    const withdrawn = status === 'WITHDRAWN' ? (dispatched ?? submitted) + rng.int(1, 5) * DAY : null;
    const claims = rng.pick(CLAIMS_BY_CATEGORY[category] ?? GENERIC_CLAIMS);
    const occurred = submitted - rng.int(1, 120) * DAY;
    const applicant = party(rng, 'APPLICANT', district, 0.15);
    const parties = [applicant, party(rng, 'RESPONDENT', district, 0.4)];
    if (rng.chance(0.1)) parties.push(party(rng, 'RESPONDENT', district, 0.5));

    const events: DemoEvent[] = [
      {
        at: iso(submitted),
        action: 'SUBMIT',
        actor: channel === 'ONLINE' ? 'data-bureau-portal' : `window-${district}`,
        actorRole: 'intake',
        fromStatus: null,
        toStatus: 'SUBMITTED',
        reason: null,
      },
    ];
    if (dispatched !== null)
      events.push({
        at: iso(dispatched),
        action: 'DISPATCH',
        actor: `desk-${institution.supervisingUnitId}`,
        actorRole: 'supervisor',
        fromStatus: 'SUBMITTED',
        toStatus: 'DISPATCHED',
        reason: null,
      });
    if (contacted !== null)
      events.push({
        at: iso(contacted),
        action: 'CONTACT_RESPONDENT',
        actor: `staff-${institution.id}`,
        actorRole: 'institution',
        fromStatus: 'DISPATCHED',
        toStatus: 'DISPATCHED',
        reason: willing ? null : 'respondent declined mediation',
      });
    if (status === 'REJECTED')
      events.push({
        at: iso(reviewed!),
        action: 'REJECT',
        actor: `staff-${institution.id}`,
        actorRole: 'institution',
        fromStatus: 'DISPATCHED',
        toStatus: 'REJECTED',
        reason: '不属于本机构受理范围',
      });
    if (accepted !== null)
      events.push({
        at: iso(accepted),
        action: 'ACCEPT',
        actor: `staff-${institution.id}`,
        actorRole: 'institution',
        fromStatus: 'DISPATCHED',
        toStatus: 'ACCEPTED',
        reason: null,
      });
    if (closed !== null)
      events.push({
        at: iso(closed),
        action: 'CLOSE',
        actor: `staff-${institution.id}`,
        actorRole: 'institution',
        fromStatus: 'ACCEPTED',
        toStatus: status,
        reason: null,
      });
    if (withdrawn !== null)
      events.push({
        at: iso(withdrawn),
        action: 'WITHDRAW',
        actor: 'data-bureau-portal',
        actorRole: 'intake',
        fromStatus: dispatched !== null ? 'DISPATCHED' : 'SUBMITTED',
        toStatus: 'WITHDRAWN',
        reason: '申请人撤回申请',
      });

    const demoCase: DemoCase = {
      seq,
      id: `310000-${year}-${String(number).padStart(7, '0')}`,
      status,
      category,
      channel,
      district,
      externalRef: channel === 'WINDOW' ? `WIN-${district}-${seq}` : null,
      submittedAt: iso(submitted),
      dispatchedAt: dispatched !== null ? iso(dispatched) : null,
      acceptedAt: accepted !== null ? iso(accepted) : null,
      closedAt:
        closed !== null
          ? iso(closed)
          : withdrawn !== null
            ? iso(withdrawn)
            : reviewed !== null && status === 'REJECTED'
              ? iso(reviewed)
              : null,
      occurredAt: iso(occurred),
      place: `上海市${DISTRICT_CN[district]}${rng.pick(ROADS)}${rng.int(1, 2000)}号`,
      claims,
      description: `${applicant.name}与对方因${claims.replace(/^要求/, '')}发生纠纷，申请调解。`,
      agreementSubject: status === 'RESOLVED' ? `双方同意${claims.replace(/^要求/, '')}，分期履行` : null,
      remedies: status === 'UNRESOLVED' ? '调解未成，可申请仲裁或向人民法院提起诉讼' : null,
      rejectionReason: status === 'REJECTED' ? '不属于本机构受理范围' : null,
      institutionId: assigned ? institution.id : null,
      supervisingUnitId: assigned ? institution.supervisingUnitId : null,
      respondentContactedAt: contacted !== null ? iso(contacted) : null,
      respondentWilling: willing,
      version: events.length,
      recordKey: keys.int(0, 2 ** 31 - 1),
      parties,
      events,
    };
    batch.push(demoCase);

    const refer = (kind: string, target: DemoInstitution, agreement: string | null) => {
      const at = closed! + rng.int(1, 20) * DAY;
      if (at > DEMO_ANCHOR) return;
      const refYear = new Date(at).getUTCFullYear();
      const refNumber = (referralsPerYear.get(refYear) ?? 0) + 1;
      referralsPerYear.set(refYear, refNumber);
      const progress = rng.weighted({ SUBMITTED: 1, ACCEPTED: 2, DECLINED: 1, DECIDED: 6 });
      const acceptedAt = progress === 'ACCEPTED' || progress === 'DECIDED' ? at + rng.int(1, 3) * DAY : null;
      const decidedAt = progress === 'DECIDED' ? acceptedAt! + rng.int(3, 25) * DAY : null;
      const result =
        progress !== 'DECIDED'
          ? null
          : kind === 'JUDICIAL_CONFIRMATION' || kind === 'ARBITRATION_CONFIRMATION'
            ? rng.chance(0.9)
              ? 'CONFIRMED'
              : 'NOT_CONFIRMED'
            : kind === 'ARBITRATION_APPLICATION'
              ? rng.pick(['AWARD_MADE', 'SETTLED', 'WITHDRAWN'])
              : rng.pick(['JUDGMENT', 'SETTLED', 'WITHDRAWN']);
      referrals.push({
        seq: ++referralSeq,
        id: `RF-${refYear}-${String(refNumber).padStart(6, '0')}`,
        caseId: demoCase.id,
        kind,
        status: progress,
        targetId: target.id,
        requestedBy: institution.id,
        submittedAt: iso(at),
        acceptedAt: acceptedAt !== null ? iso(acceptedAt) : null,
        declinedAt: progress === 'DECLINED' ? iso(at + rng.int(1, 3) * DAY) : null,
        declineReason: progress === 'DECLINED' ? '申请材料不全' : null,
        arbitrationAgreement: agreement,
        result,
        decidedAt: decidedAt !== null ? iso(decidedAt) : null,
        documentNumber:
          decidedAt !== null
            ? `(${new Date(decidedAt).getUTCFullYear()})沪${target.district.slice(4)}民特${rng.int(100, 9999)}号`
            : null,
        version: 1 + (acceptedAt !== null ? 1 : 0) + (decidedAt !== null || progress === 'DECLINED' ? 1 : 0),
      });
    };
    const court = courts.get(district) ?? anyCourt;
    if (status === 'RESOLVED' && court && rng.chance(0.2)) refer('JUDICIAL_CONFIRMATION', court, null);
    else if (status === 'RESOLVED' && commissions.length && rng.chance(0.03))
      refer('ARBITRATION_CONFIRMATION', rng.pick(commissions), null);
    else if (status === 'UNRESOLVED' && court && rng.chance(0.25)) refer('LITIGATION', court, null);
    else if (status === 'UNRESOLVED' && commissions.length && rng.chance(0.15))
      refer('ARBITRATION_APPLICATION', rng.pick(commissions), rng.pick(['BEFORE_DISPUTE', 'AFTER_DISPUTE']));

    if (batch.length >= batchSize) {
      yield { cases: batch, referrals };
      batch = [];
      referrals = [];
    }
  }
  if (batch.length) yield { cases: batch, referrals };
}
