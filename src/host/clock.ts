// Request times as Apache keeps them: microseconds since the epoch.

import { performance } from 'node:perf_hooks';

export const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);
