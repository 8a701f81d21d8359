import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startTracing } from '../../kit/tracing.js';
import { startReferralsService } from './service.js';

// First, so that the stores and servers made afterwards are traced (when a collector is named).
const tracing = startTracing('referrals');
const logger = createLogger('referrals');
void runService(logger, () => startReferralsService(loadConfig(process.env, 'referrals'), logger), tracing);
