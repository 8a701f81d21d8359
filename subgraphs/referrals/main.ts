import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startReferralsService } from './service.js';

const logger = createLogger('referrals');
void runService(logger, () => startReferralsService(loadConfig(process.env, 'referrals'), logger));
