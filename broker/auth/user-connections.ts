/** How many open connections each user holds, for limits.maxConnectionsPerUser. */
export class UserConnections {
  private readonly counts = new Map<string, number>();

  count(user: string): number {
    return this.counts.get(user) ?? 0;
  }

  /** Counts a connection of `user`; '' (auth off) is not counted. */
  add(user: string): void {
    if (user !== '') this.counts.set(user, this.count(user) + 1);
  }

  remove(user: string): void {
    const n = this.count(user);
    if (n <= 1) this.counts.delete(user);
    else this.counts.set(user, n - 1);
  }
}
