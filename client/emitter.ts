/**
 * A minimal typed event emitter that works the same in Node and browsers.
 * Unlike Node's EventEmitter, an 'error' with no listener does not throw:
 * errors a client cannot attribute to a call are reported, never fatal.
 */
export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, set = new Set());
    set.add(listener as (payload: never) => void);
    return this;
  }

  once<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    const wrapped = (payload: Events[K]): void => {
      this.off(event, wrapped);
      listener(payload);
    };
    return this.on(event, wrapped);
  }

  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): this {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
    return this;
  }

  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch {
        // A throwing listener must not break the client's own bookkeeping.
      }
    }
  }
}
