/** The cases store's migrations, in order. A new migration is a new file listed here. */
import type { Migration } from '../../../kit/store.js';
import * as m0001 from './0001_cases.js';
import * as m0002 from './0002_lifecycle.js';
import * as m0003 from './0003_privacy.js';
import * as m0004 from './0004_outbox.js';
import * as m0005 from './0005_case_statistics.js';
import * as m0006 from './0006_deadline_lookup.js';
import * as m0007 from './0007_statistics_generation.js';
import * as m0008 from './0008_statistics_covering.js';
import * as m0009 from './0009_grant_approval.js';
import * as m0010 from './0010_record_keys.js';

export const migrations: Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010];
