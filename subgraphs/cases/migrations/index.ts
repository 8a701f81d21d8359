/** The cases store's migrations, in order. A new migration is a new file listed here. */
import type { Migration } from '../../../kit/store.js';
import * as m0001 from './0001_cases.js';
import * as m0002 from './0002_lifecycle.js';
import * as m0005 from './0005_case_statistics.js';

// 0003 and 0004 are reserved for work merged in parallel (privacy, event relay).
export const migrations: Migration[] = [m0001, m0002, m0005];
