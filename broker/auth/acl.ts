/**
 * The access control list: allow-only rules, deny by default. A rule lets one
 * subject (a user or a role) do one action on the topic or queue names its
 * pattern matches. Role `admin` is built in and may do everything, so no
 * rule change can lock the last administrator out.
 */
import { ACL_RULE_ACTIONS, topicPatternError, type AclRuleAction, type AclRuleInfo } from '../protocol/index.js';
import { patternMatches } from '../topics/index.js';
import { roleNameError, userNameError } from './names.js';
import { patternCovers } from './pattern-cover.js';

/** What a rule allows: publish/subscribe on topics, send/consume on queues, admin of queues (and of the broker on `#`). */
export const ACTIONS = ACL_RULE_ACTIONS;
export type Action = AclRuleAction;

/** One stored rule, as the wire shows it [protocol 2.19]. subject is `user:<name>` or `role:<name>`; pattern may hold `{user}` as a whole level. */
export type AclRule = Readonly<AclRuleInfo>;

/** Whom a check is for; a Principal passes as this. */
export interface Grantee {
  readonly user: string;
  readonly roles: readonly string[];
}

/** The built-in role allowed everything. */
export const ADMIN_ROLE = 'admin';

/** The level of a rule pattern replaced by the checked user's name. */
export const USER_LEVEL = '{user}';
/** Any valid user name would do: it is a plain level, so the pattern validates the same. */
const USER_PLACEHOLDER = 'user';

/** Why `input` is not a valid rule (subject, action, pattern), or undefined when it is. */
export function aclRuleError(input: { subject?: unknown; action?: unknown; pattern?: unknown }): string | undefined {
  return subjectError(input.subject) ?? actionError(input.action) ?? rulePatternError(input.pattern);
}

function subjectError(subject: unknown): string | undefined {
  if (typeof subject !== 'string') return "subject must be a string: 'user:<name>' or 'role:<name>'";
  if (subject.startsWith('user:')) return userNameError(subject.slice(5));
  if (subject.startsWith('role:')) return roleNameError(subject.slice(5));
  return `subject ${JSON.stringify(subject.slice(0, 80))} must be 'user:<name>' or 'role:<name>'`;
}

function actionError(action: unknown): string | undefined {
  return (ACTIONS as readonly unknown[]).includes(action) ? undefined : `action must be one of ${ACTIONS.join(', ')}`;
}

function rulePatternError(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'pattern must be a string';
  const levels = pattern.split('/');
  if (levels.some((level) => level !== USER_LEVEL && level.includes(USER_LEVEL))) {
    return `pattern '${pattern}': ${USER_LEVEL} must be a whole level`;
  }
  return topicPatternError(levels.map((level) => (level === USER_LEVEL ? USER_PLACEHOLDER : level)).join('/'));
}

/** A rule with its `{user}` levels found once, at add time. */
interface CompiledRule {
  readonly rule: AclRule;
  /** The pattern's levels when one of them is `{user}`; undefined when the pattern is used as is. */
  readonly levels: readonly string[] | undefined;
}

/**
 * The rule set, indexed by (action, subject): a check costs the rules of the
 * grantee's user and roles for that action, not the whole list, since checks
 * run on every publish. Rules are trusted here: validate with aclRuleError first.
 */
export class Acl {
  private readonly byId = new Map<number, CompiledRule>();
  private readonly byKey = new Map<string, CompiledRule[]>();

  constructor(rules: Iterable<AclRule> = []) {
    for (const rule of rules) this.add(rule);
  }

  /** Adds `rule`; a rule with the same id is replaced. */
  add(rule: AclRule): void {
    this.remove(rule.id);
    const levels = rule.pattern.split('/');
    const compiled: CompiledRule = { rule, levels: levels.includes(USER_LEVEL) ? levels : undefined };
    this.byId.set(rule.id, compiled);
    const key = indexKey(rule.action, rule.subject);
    const list = this.byKey.get(key);
    if (list === undefined) this.byKey.set(key, [compiled]);
    else list.push(compiled);
  }

  /** Removes the rule with id `id`; false when there was none. */
  remove(id: number): boolean {
    const compiled = this.byId.get(id);
    if (compiled === undefined) return false;
    this.byId.delete(id);
    const key = indexKey(compiled.rule.action, compiled.rule.subject);
    const list = this.byKey.get(key) ?? [];
    const rest = list.filter((c) => c !== compiled);
    if (rest.length === 0) this.byKey.delete(key);
    else this.byKey.set(key, rest);
    return true;
  }

  /** The rule with id `id`, if any. */
  get(id: number): AclRule | undefined {
    return this.byId.get(id)?.rule;
  }

  /** All rules, by ascending id. */
  list(): AclRule[] {
    return [...this.byId.values()].map((c) => c.rule).sort((a, b) => a.id - b.id);
  }

  /** May `who` do `action` on the concrete topic or queue name `name`? Role admin: always. */
  allows(who: Grantee, action: Action, name: string): boolean {
    return this.someRule(who, action, (grant) => patternMatches(grant, name));
  }

  /** May `who` do `action` on every name `pattern` matches (one rule must cover it whole)? */
  allowsPattern(who: Grantee, action: Action, pattern: string): boolean {
    return this.someRule(who, action, (grant) => patternCovers(grant, pattern));
  }

  private someRule(who: Grantee, action: Action, test: (grant: string) => boolean): boolean {
    if (who.roles.includes(ADMIN_ROLE)) return true;
    // An invalid user name (such as '' when auth is off) never fills `{user}`:
    // it could turn into an empty level or a wildcard.
    const canFillUser = userNameError(who.user) === undefined;
    const check = (subject: string): boolean => {
      for (const { rule, levels } of this.byKey.get(indexKey(action, subject)) ?? []) {
        if (levels === undefined ? test(rule.pattern) : canFillUser && test(fillUser(levels, who.user))) return true;
      }
      return false;
    };
    return check(`user:${who.user}`) || who.roles.some((role) => check(`role:${role}`));
  }
}

function fillUser(levels: readonly string[], user: string): string {
  return levels.map((level) => (level === USER_LEVEL ? user : level)).join('/');
}

function indexKey(action: Action, subject: string): string {
  return `${action} ${subject}`; // subjects hold no spaces (names.ts)
}
