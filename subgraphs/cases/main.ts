import { loadConfig } from '../../kit/config.js';
import { createLogger } from '../../kit/log.js';
import { runService } from '../../kit/service.js';
import { startCasesService } from './service.js';

const logger = createLogger('cases');
void runService(logger, () => startCasesService(loadConfig(process.env, 'cases'), logger));
