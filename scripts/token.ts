/**
 * npm run token -- --role ROLE [--org ID] [--sub NAME] [--hours H]
 * Prints a development token signed with JIEFEN_JWT_SECRET (or its documented development default).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../kit/config.js';
import { ORG_BOUND_ROLES, ROLES, isRole } from '../kit/principal.js';
import { signDevToken } from '../gateway/dev-token.js';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    org: { type: 'string' },
    sub: { type: 'string' },
    hours: { type: 'string', default: '8' },
  },
});
if (!isRole(values.role)) fail(`--role must be one of ${ROLES.join(', ')} (got ${values.role ?? 'nothing'})`);
if (ORG_BOUND_ROLES.includes(values.role) && !values.org)
  fail(`--role ${values.role} acts for one organisation: pass --org with its id (e.g. IN-00001 or SU-JUSTICE)`);
const hours = Number(values.hours);
if (!(hours > 0 && hours <= 24 * 30)) fail(`--hours must be a number above 0 and at most 720 (got ${values.hours})`);
const config = loadConfig();
if (!config.jwt.secret)
  fail('no JIEFEN_JWT_SECRET: production verifies tokens from the identity provider, which issues them');
console.log(
  await signDevToken(
    { sub: values.sub ?? `dev-${values.role}`, role: values.role, org: values.org },
    config.jwt.secret,
    Math.round(hours * 3600),
  ),
);
