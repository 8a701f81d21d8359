/** The referrals store's migrations, in order. A new migration is a new file listed here. */
import type { Migration } from '../../../kit/store.js';
import * as m0001 from './0001_referrals.js';
import * as m0002 from './0002_referral_changes.js';
import * as m0003 from './0003_referral_stats_covering.js';
import * as m0004 from './0004_referrals_generation.js';

export const migrations: Migration[] = [m0001, m0002, m0003, m0004];
