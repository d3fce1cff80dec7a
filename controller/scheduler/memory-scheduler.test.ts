import { createMemoryScheduler } from './memory-scheduler.ts';
import { schedulerContract } from './scheduler-contract.test-support.ts';

const scheduler = createMemoryScheduler();
schedulerContract('memory', () => ({
  scheduler,
  app: 'contract',
  image: (n) => `127.0.0.1:5000/contract:v${n}`,
  kind: 'dockerfile',
  real: false,
  breakNextStart(spec) {
    scheduler.failNextStart(new Error('web.1 did not answer its health check'));
    return spec;
  },
}));
