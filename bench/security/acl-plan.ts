/**
 * The users, roles and ACL rules of the security section's auth-on brokers:
 * an ACL of a realistic size in which the measured connections hold
 * ordinary grants. Pure: no broker, no SDK (provision.ts applies it).
 *
 * The bench's workloads publish to `bench/<workload id>/<random>`
 * (workloads/connections.ts, `uniqueTopic`), so each publisher logs in as a
 * user named after its workload's id and is granted by one role rule,
 * `role:publishers publish bench/{user}/#`; the subscriber is granted by a
 * rule of its own user per workload, `subscribe bench/<workload id>/#`. The
 * other rules spread over every subject and action, four or so per subject,
 * on names outside `bench/`, so that the checks of the measured operations
 * scan a few rules that do not match before the one that does (the ACL
 * indexes rules by action and subject: broker/auth/acl.ts).
 */
import type { AclRuleAction, AclRuleInput } from '../../client/index.js';

/** The size of the ACL; {@link DEFAULT_ACL_SIZE} unless a test says otherwise. */
export interface AclSize {
  /** Users, the measured publishers and subscriber included. */
  readonly users: number;
  /** Roles, `publishers` included. */
  readonly roles: number;
  /** Rules, the measured grants included. */
  readonly rules: number;
}

/** 200 rules over 50 subjects: 40 users and 10 roles. */
export const DEFAULT_ACL_SIZE: AclSize = { users: 40, roles: 10, rules: 200 };

/** The role whose `{user}` rule grants every publisher its namespace. */
export const PUBLISHERS_ROLE = 'publishers';
/** The user the measured subscribers log in as (and the login runs). */
export const SUBSCRIBER_USER = 'bench-sub';

/** One user to make, with its roles. */
export interface PlannedUser {
  readonly name: string;
  readonly roles: readonly string[];
}

/** What provision.ts makes on a broker, in order. */
export interface AclPlan {
  readonly users: readonly PlannedUser[];
  /** In the order they are added (the grants after the other rules of their subject). */
  readonly rules: readonly AclRuleInput[];
}

/** The actions the other rules cycle through. */
const FILLER_ACTIONS: readonly AclRuleAction[] = ['publish', 'subscribe', 'send', 'consume'];

/**
 * The plan for `publishers` (user names: the workload ids the publishers
 * publish under) and {@link SUBSCRIBER_USER}. Each publisher has two team
 * roles before `publishers`, so its publish check looks at its own rules and
 * at two roles' before the granting one. Throws when the size leaves no room
 * for the measured users and grants.
 */
export function planAcl(publishers: readonly string[], size: AclSize = DEFAULT_ACL_SIZE): AclPlan {
  const grants: AclRuleInput[] = [
    { subject: `role:${PUBLISHERS_ROLE}`, action: 'publish', pattern: 'bench/{user}/#' },
    ...publishers.map((publisher): AclRuleInput => ({ subject: `user:${SUBSCRIBER_USER}`, action: 'subscribe', pattern: `bench/${publisher}/#` })),
  ];
  const fillerUsers = size.users - publishers.length - 1;
  if (size.roles < 3 || fillerUsers < 0 || size.rules < grants.length) {
    throw new RangeError(`an ACL of ${size.users} users, ${size.roles} roles and ${size.rules} rules has no room for ${publishers.length} publishers, a subscriber and their grants`);
  }
  const teams = Array.from({ length: size.roles - 1 }, (_, i) => teamName(i));
  const users: PlannedUser[] = [
    ...publishers.map((name, i) => ({ name, roles: [teams[(2 * i) % teams.length], teams[(2 * i + 1) % teams.length], PUBLISHERS_ROLE] })),
    { name: SUBSCRIBER_USER, roles: [teams[teams.length - 1]] },
    ...Array.from({ length: fillerUsers }, (_, i) => ({ name: `user-${pad(i + 1)}`, roles: [teams[i % teams.length]] })),
  ];
  const subjects = [...[PUBLISHERS_ROLE, ...teams].map((role) => `role:${role}`), ...users.map((user) => `user:${user.name}`)];
  // Rule i goes to subject i mod the subjects, so every subject gets about as many; its action turns once per round.
  const filler = Array.from({ length: size.rules - grants.length }, (_, i): AclRuleInput => {
    const subject = subjects[i % subjects.length];
    const action = FILLER_ACTIONS[Math.floor(i / subjects.length) % FILLER_ACTIONS.length];
    return { subject, action, pattern: fillerPattern(action, teams[i % teams.length], i) };
  });
  return { users, rules: [...filler, ...grants] };
}

/** A pattern outside `bench/`, as a team's services would hold; `{user}` in every other rule. */
function fillerPattern(action: AclRuleAction, team: string, i: number): string {
  const isPerUser = i % 2 === 0;
  switch (action) {
    case 'publish':
      return isPerUser ? `${team}/{user}/#` : `${team}/events/+/created`;
    case 'subscribe':
      return isPerUser ? `${team}/{user}/#` : `${team}/events/#`;
    default:
      return isPerUser ? `jobs/${team}/{user}` : `jobs/${team}/#`;
  }
}

function teamName(i: number): string {
  return `team-${pad(i + 1)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
