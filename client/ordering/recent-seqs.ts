/** The last `capacity` distinct seqs added: a set with a ring buffer for eviction (oldest first). */
export class RecentSeqs {
  private readonly set = new Set<number>();
  private readonly ring: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  clear(): void {
    this.set.clear();
    this.ring.length = 0;
    this.next = 0;
  }

  has(seq: number): boolean {
    return this.set.has(seq);
  }

  add(seq: number): void {
    if (this.capacity === 0 || this.set.has(seq)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(seq);
    } else {
      this.set.delete(this.ring[this.next]);
      this.ring[this.next] = seq;
      this.next = (this.next + 1) % this.capacity;
    }
    this.set.add(seq);
  }
}
