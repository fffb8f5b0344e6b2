/**
 * Makes an {@link AclPlan}'s users and rules on an auth-on broker over the
 * SDK, as an administrator does (`client.users.add`, `client.acl.add`), and a
 * token for the login runs (`client.tokens.create`). Every user gets one
 * password, fresh for each run.
 */
import { randomBytes } from 'node:crypto';
import type { AclPlan } from './acl-plan.js';
import type { OrdoSecurityTarget } from './security-target.js';

/** Lifetime of the token the login runs use, ms: longer than the whole section. */
const TOKEN_TTL_MS = 30 * 60_000;

/** What the workloads and the login runs log in with on one auth-on broker. */
export interface Provisioned {
  /** The password of every user of the plan. */
  readonly password: string;
  /** A token of `loginUser`. */
  readonly token: string;
  readonly loginUser: string;
}

/** Adds the plan's users, then its rules in order, then makes a token for `loginUser`, as the broker's first administrator. */
export async function provision(target: OrdoSecurityTarget, plan: AclPlan, loginUser: string): Promise<Provisioned> {
  const password = randomBytes(18).toString('base64url');
  const admin = await target.connectAdmin();
  try {
    // The hashes of the passwords run on the broker's thread pool, several at once.
    await Promise.all(plan.users.map((user) => admin.users.add(user.name, password, { roles: user.roles })));
    // One after the other, so the rules keep the plan's order (the grants last of their subject's).
    for (const rule of plan.rules) await admin.acl.add(rule);
    const rules = await admin.acl.list();
    if (rules.length !== plan.rules.length) throw new Error(`the broker holds ${rules.length} rules, the plan ${plan.rules.length}`);
    const { token } = await admin.tokens.create({ user: loginUser, ttlMs: TOKEN_TTL_MS });
    return { password, token, loginUser };
  } finally {
    await admin.close();
  }
}
