// The recycling rules on their own: which limit replaces a process, and the jitter that
// keeps processes started together from recycling together.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { jitteredLimit, recycleReason, type RecycleFacts, type RecycleLimits } from '../src/process/recycling';

const NONE: RecycleLimits = { maximumRequests: 0, restartIntervalSeconds: 0, inactivityTimeoutSeconds: 0, memoryLimitBytes: 0, cpuTimeLimitSeconds: 0 };
const facts = (over: Partial<RecycleFacts> = {}): RecycleFacts => ({
  requests: 0, readyAt: 0, lastActivity: 0, busy: 0, residentBytes: () => 50_000_000, cpuSeconds: () => 0.5, ...over,
});

test('jitter: a limit between maximum-requests and maximum-requests + jitter, spread across processes', () => {
  const limits = Array.from({ length: 500 }, () => jitteredLimit(1000, 100));
  assert.ok(limits.every((n) => n >= 1000 && n <= 1100));
  assert.ok(new Set(limits).size > 50, 'processes draw different limits');
  assert.equal(jitteredLimit(0, 100), 0, 'no maximum-requests, no limit');
  assert.equal(jitteredLimit(1000, 0), 1000);
});

test('each limit, and only when reached', () => {
  const now = 100_000;
  assert.equal(recycleReason(facts({ requests: 9 }), NONE, 10, now), null);
  assert.match(recycleReason(facts({ requests: 10 }), NONE, 10, now)!, /maximum-requests \(10\)/);
  assert.equal(recycleReason(facts({ readyAt: now - 4_999 }), { ...NONE, restartIntervalSeconds: 5 }, 0, now), null);
  assert.match(recycleReason(facts({ readyAt: now - 5_000 }), { ...NONE, restartIntervalSeconds: 5 }, 0, now)!, /restart-interval \(5 s\)/);
  assert.match(recycleReason(facts({ residentBytes: () => 60_000_001 }), { ...NONE, memoryLimitBytes: 60_000_000 }, 0, now)!, /memory-limit/);
  assert.equal(recycleReason(facts({ residentBytes: () => null }), { ...NONE, memoryLimitBytes: 1 }, 0, now), null, 'a process already gone');
  assert.equal(recycleReason(facts({ cpuSeconds: () => 1.99 }), { ...NONE, cpuTimeLimitSeconds: 2 }, 0, now), null);
  assert.match(recycleReason(facts({ cpuSeconds: () => 2 }), { ...NONE, cpuTimeLimitSeconds: 2 }, 0, now)!, /cpu-time-limit \(2 s\) reached: 2\.00 s of CPU used/);
  assert.equal(recycleReason(facts({ cpuSeconds: () => null }), { ...NONE, cpuTimeLimitSeconds: 1 }, 0, now), null, 'a process already gone');
});

test('inactivity-timeout: only an idle process that has served something', () => {
  const limits = { ...NONE, inactivityTimeoutSeconds: 2 };
  const now = 100_000;
  assert.match(recycleReason(facts({ requests: 1, lastActivity: now - 2_000 }), limits, 0, now)!, /inactivity-timeout \(2 s\)/);
  assert.equal(recycleReason(facts({ requests: 1, lastActivity: now - 2_000, busy: 1 }), limits, 0, now), null, 'busy');
  assert.equal(recycleReason(facts({ requests: 1, lastActivity: now - 1_999 }), limits, 0, now), null, 'not yet');
  assert.equal(recycleReason(facts({ requests: 0, lastActivity: 0 }), limits, 0, now), null, 'a fresh process is not replaced');
});
