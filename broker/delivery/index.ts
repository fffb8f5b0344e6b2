/**
 * delivery/: who gets a message and how. The Router maps topics to
 * subscriptions; one file per delivery guarantee decides what a publish does
 * with them. Delivery code never touches sockets: it talks to Subscribers.
 */
export { Router, pickMember } from './router.js';
export { fanOutAtMostOnce, orderedTail } from './at-most-once.js';
export type { FanOutResult } from './at-most-once.js';
export { isGroup } from './subscription.js';
export type { Subscriber, Subscription, SubscriptionGroup, RouteTarget } from './subscription.js';
export { GatedSubscriber } from './gated-subscriber.js';
