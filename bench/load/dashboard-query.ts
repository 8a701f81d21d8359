/** The reference dashboard query (README "Dashboards and statistics"): the benchmark's workload and a test's subject. */
export const DASHBOARD_QUERY = `query Dashboard($district: String!, $from: String!, $to: String!, $since: DateTime!, $until: DateTime!, $first: Int = 500) {
  institutions(first: $first, filter: { district: $district, status: ACTIVE }) {
    totalCount
    edges { node {
      id name kind
      caseStats(from: $from, to: $to) {
        perturbed suppressed received accepted rejected resolved unresolved withdrawn open overdueNow
        successRate { numerator denominator value }
        respondedWithin48Hours { value } mediatedWithin30Days { value }
        medianDaysToClose p90DaysToClose missedTargets
      }
      referralStats(from: $since, to: $until) { received accepted declined decided }
    } }
  }
  trend: caseStats(filter: { district: $district, from: $from, to: $to }, groupBy: [MONTH]) {
    month perturbed suppressed received resolved unresolved open overdueNow successRate { value } medianDaysToClose p90DaysToClose
  }
}`;

/**
 * The dashboard's variables for a district and a period of months (YYYY-MM, inclusive): case statistics take the
 * months, referral figures the same period as instants, from the first month's first midnight to the midnight after
 * the last month, China time (UTC+8, as the cube's months are).
 */
export function dashboardVariables(district: string, period: { from: string; to: string }) {
  const [year, month] = period.to.split('-').map(Number) as [number, number];
  const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
  const instant = (m: string) => new Date(`${m}-01T00:00:00+08:00`).toISOString();
  return { district, from: period.from, to: period.to, since: instant(period.from), until: instant(next) };
}

/**
 * Every institution's statistics in one query (the 7,000-institution target): a page can hold 500 institutions,
 * so the query takes each district's institutions under an alias (no district has more than 500).
 */
export function allInstitutionsQuery(districts: readonly string[], figures: 'all' | 'counts' | 'none' = 'all'): string {
  const fields =
    figures === 'none'
      ? 'id'
      : figures === 'all'
        ? 'id caseStats(from: $from, to: $to) { received resolved unresolved open overdueNow successRate { value } medianDaysToClose p90DaysToClose }'
        : 'id caseStats(from: $from, to: $to) { received resolved unresolved open successRate { value } respondedWithin48Hours { value } }';
  return `query AllInstitutions${figures === 'none' ? '' : '($from: String!, $to: String!)'} {\n${districts
    .map(
      (d) =>
        `  d${d}: institutions(first: 500, filter: { district: "${d}" }) { totalCount edges { node { ${fields} } } }`,
    )
    .join('\n')}\n}`;
}

/** Parts of the dashboard query alone, to show where its time goes. */
export const DASHBOARD_PARTS: Record<string, string> = {
  'institutions list only (institutions)': `query($district: String!) { institutions(first: 500, filter: { district: $district, status: ACTIVE }) { edges { node { id name kind } } } }`,
  'list + Institution.caseStats, every figure (cases)': `query($district: String!, $from: String!, $to: String!) { institutions(first: 500, filter: { district: $district, status: ACTIVE }) { edges { node { id caseStats(from: $from, to: $to) {
    suppressed received accepted rejected resolved unresolved withdrawn open overdueNow successRate { value } respondedWithin48Hours { value } mediatedWithin30Days { value } medianDaysToClose p90DaysToClose missedTargets } } } } }`,
  'list + referralStats (referrals)': `query($district: String!, $since: DateTime!, $until: DateTime!) { institutions(first: 500, filter: { district: $district, status: ACTIVE }) { edges { node { id referralStats(from: $since, to: $until) { received accepted declined decided } } } } }`,
  'monthly trend only (cases)': `query($district: String!, $from: String!, $to: String!) { caseStats(filter: { district: $district, from: $from, to: $to }, groupBy: [MONTH]) {
    month suppressed received resolved unresolved open overdueNow successRate { value } medianDaysToClose p90DaysToClose } }`,
  'the whole dashboard query': DASHBOARD_QUERY,
};
