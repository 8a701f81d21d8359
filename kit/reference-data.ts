/**
 * Reference data every office agrees on: districts, dispute categories and institution kinds.
 * The SDL enums mirror these lists; a test keeps them equal.
 */

/** Shanghai's 16 districts by administrative code. */
export const DISTRICTS: Readonly<Record<string, string>> = {
  '310101': 'Huangpu',
  '310104': 'Xuhui',
  '310105': 'Changning',
  '310106': "Jing'an",
  '310107': 'Putuo',
  '310109': 'Hongkou',
  '310110': 'Yangpu',
  '310112': 'Minhang',
  '310113': 'Baoshan',
  '310114': 'Jiading',
  '310115': 'Pudong New Area',
  '310116': 'Jinshan',
  '310117': 'Songjiang',
  '310118': 'Qingpu',
  '310120': 'Fengxian',
  '310151': 'Chongming',
};
export const DISTRICT_CODES = Object.keys(DISTRICTS);

/** Dispute categories used in mediation statistics. */
export const CATEGORIES = [
  'MARRIAGE_FAMILY',
  'NEIGHBOURS',
  'HOUSING_HOMESTEAD',
  'CONTRACT',
  'PRODUCTION_BUSINESS',
  'DAMAGES',
  'LAND_FOREST',
  'REQUISITION_DEMOLITION',
  'ENVIRONMENT',
  'LABOUR',
  'CONSUMER',
  'MEDICAL',
  'ROAD_TRAFFIC',
  'PROPERTY_MANAGEMENT',
  'TOURISM',
  'FINANCE',
  'INSURANCE',
  'INTELLECTUAL_PROPERTY',
  'OTHER',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const INSTITUTION_KINDS = [
  'SUPERVISING_UNIT',
  'PEOPLES_MEDIATION',
  'INDUSTRY_MEDIATION',
  'PROFESSIONAL_MEDIATION',
  'ADMINISTRATIVE_MEDIATION',
  'LABOUR_ARBITRATION',
  'COMMERCIAL_ARBITRATION',
  'COURT',
  'ADMINISTRATIVE_ORGAN',
] as const;
export type InstitutionKind = (typeof INSTITUTION_KINDS)[number];

export const CASE_STATUSES = [
  'SUBMITTED',
  'DISPATCHED',
  'ACCEPTED',
  'REJECTED',
  'RESOLVED',
  'UNRESOLVED',
  'WITHDRAWN',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
