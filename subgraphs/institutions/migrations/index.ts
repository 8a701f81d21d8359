/** The institutions store's migrations, in order. A new migration is a new file listed here. */
import type { Migration } from '../../../kit/store.js';
import * as m0001 from './0001_institutions.js';
import * as m0002 from './0002_dispatch_permits.js';
import * as m0003 from './0003_changes_and_complaints.js';
import * as m0004 from './0004_registry_generation.js';

export const migrations: Migration[] = [m0001, m0002, m0003, m0004];
