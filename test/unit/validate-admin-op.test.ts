import { describe, expect, it } from 'vitest';
import { ClientOp, MAX_ADMIN_STRING, checkAdminOp, checkQueueOp } from '../../broker/protocol/index.js';

const A = ClientOp.admin;

describe('checkAdminOp [protocol 2.21]', () => {
  it.each([
    [[A, 1, 'connections', null]],
    [[A, 1, 'connections']],
    [[A, 0, 'subscriptions', {}]],
    [[A, 1, 'topics', null]],
    [[A, 1, 'topics', { prefix: 'a/' }]],
    [[A, 1, 'topics', { prefix: null }]],
    [[A, 1, 'kick', { connectionId: 'c7' }]],
    [[A, 1, 'delete-subscription', { queue: '$durable/alice/phone/inbox' }]],
    [[A, 1, 'clear-retained', { topic: 'sys/status' }]],
    [[A, 1, 'backup-start', null]],
    [[A, 1, 'backup-read', { id: 'ab12', offset: 0 }]],
    [[A, 1, 'backup-read', { id: 'ab12', offset: 262_144 }]],
    [[A, 1, 'backup-end', { id: 'ab12' }]],
  ])('accepts %j', (op) => {
    expect(checkAdminOp(op)).toBeUndefined();
  });

  it.each([
    [[A, 1], 'admin takes'],
    [[A, 1, 'connections', null, 'extra'], 'admin takes'],
    [[A, -1, 'connections', null], 'reqId'],
    [[A, 1.5, 'connections', null], 'reqId'],
    [[A, 1, 'format-disk', null], 'action must be one of'],
    [[A, 1, 7, null], 'action must be one of'],
    [[A, 1, 'connections', [1]], 'args must be a map'],
    [[A, 1, 'connections', 'x'], 'args must be a map'],
    [[A, 1, 'kick', null], 'args.connectionId'],
    [[A, 1, 'kick', { connectionId: '' }], 'args.connectionId'],
    [[A, 1, 'kick', { connectionId: 3 }], 'args.connectionId'],
    [[A, 1, 'kick', { connectionId: 'c'.repeat(MAX_ADMIN_STRING + 1) }], 'args.connectionId'],
    [[A, 1, 'topics', { prefix: 5 }], 'args.prefix'],
    [[A, 1, 'delete-subscription', {}], 'args.queue'],
    [[A, 1, 'clear-retained', { topic: null }], 'args.topic'],
    [[A, 1, 'backup-read', { id: 'x' }], 'args.offset'],
    [[A, 1, 'backup-read', { id: 'x', offset: -1 }], 'offset must be an integer'],
    [[A, 1, 'backup-read', { id: 'x', offset: 1.5 }], 'offset must be an integer'],
    [[A, 1, 'backup-read', { offset: 0 }], 'args.id'],
    [[A, 1, 'backup-end', null], 'args.id'],
  ])('refuses %j', (op, why) => {
    expect(checkAdminOp(op)).toContain(why);
  });
});

describe('checkQueueOp: purge and move arguments [protocol 2.14]', () => {
  const Q = ClientOp.queue;
  it.each([
    [[Q, 1, 'purge', 'jobs', null]],
    [[Q, 1, 'purge', 'jobs', { max: 10_000 }]],
    [[Q, 1, 'move', 'jobs.dlq', null]],
    [[Q, 1, 'move', 'jobs.dlq', { max: 1 }]],
    [[Q, 1, 'move', 'a', { to: 'b', max: 5 }]],
  ])('accepts %j', (op) => {
    expect(checkQueueOp(op)).toBeUndefined();
  });

  it.each([
    [[Q, 1, 'purge', 'jobs', { max: 0 }], 'max must be an integer'],
    [[Q, 1, 'purge', 'jobs', { max: 2.5 }], 'max must be an integer'],
    [[Q, 1, 'move', 'a', { max: -3 }], 'max must be an integer'],
    [[Q, 1, 'move', 'a', { to: 5 }], 'args.to'],
    [[Q, 1, 'move', 'a', { to: '' }], 'args.to'],
    [[Q, 1, 'move', null, null], 'needs a queue name'],
  ])('refuses %j', (op, why) => {
    expect(checkQueueOp(op)).toContain(why);
  });
});
