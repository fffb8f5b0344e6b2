import type { Qos } from '../protocol/index.js';

/**
 * Where deliveries go: a connection (or, later, a durable subscription's
 * store). `deliver` returns false when the delivery was dropped (the
 * subscriber's outbound buffer is full); the subscriber counts its drops.
 */
export interface Subscriber {
  readonly connectionId: string;
  deliver(subId: number, tail: Uint8Array): boolean;
  /** True while the subscriber can take a delivery without dropping it. */
  readonly canTakeMore: boolean;
}

/** One subscription of one subscriber, as the router holds it. */
export interface Subscription {
  readonly subscriber: Subscriber;
  readonly subId: number;
  readonly pattern: string;
  readonly qos: Qos;
  /** Shared-subscription group: each message goes to one member. */
  readonly group: string | undefined;
}

/** The members of one shared-subscription group on one pattern. */
export interface SubscriptionGroup {
  readonly kind: 'group';
  readonly name: string;
  readonly pattern: string;
  readonly members: Subscription[];
  /** Round-robin cursor into members. */
  next: number;
}

/** What the topic trie holds: a plain subscription or a group of them. */
export type RouteTarget = Subscription | SubscriptionGroup;

export function isGroup(target: RouteTarget): target is SubscriptionGroup {
  return (target as SubscriptionGroup).kind === 'group';
}
