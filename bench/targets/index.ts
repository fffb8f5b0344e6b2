/** Every target the harness knows, Ordo first, then its peers. */
import { MosquittoTarget } from './mosquitto.js';
import { NatsTarget } from './nats.js';
import { OrdoTarget } from './ordo.js';
import { RabbitMqTarget } from './rabbitmq.js';
import { RedisTarget } from './redis.js';
import type { BenchTarget } from './target.js';

export type { BenchClient, BenchTarget, ConfirmedClient, TargetSetup } from './target.js';

/** Fresh instances of every target, in report order: ordo, nats, mosquitto, rabbitmq, redis. */
export function createTargets(): BenchTarget[] {
  return [new OrdoTarget(), new NatsTarget(), new MosquittoTarget(), new RabbitMqTarget(), new RedisTarget()];
}

/** Ordo alone, driving the broker already running at `url`. */
export function runningOrdoTarget(url: string): BenchTarget {
  return new OrdoTarget(url);
}
