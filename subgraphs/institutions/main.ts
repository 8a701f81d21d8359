import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startInstitutionsService } from './service.js';

const logger = createLogger('institutions');
void runService(logger, () => startInstitutionsService(loadConfig(process.env, 'institutions'), logger));
