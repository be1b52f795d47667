// The waiting side of lock liveness: while a Worker waits for a store's lock it pings the holder over the
// store's BroadcastChannel, and when the holder has said nothing for `timeoutMs` it calls `onSilent` (the
// Worker then steals the lock). Anything the holder says counts as a sign of life (`heard()`). Time comes
// from a Clock so that tests drive it.
export const PING_MS = 500;
export const DEFAULT_LIVENESS_MS = 10_000;

/** Wall time and a repeating timer; `systemClock` in browsers, a manual one in tests. */
export interface Clock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  },
};

export class LivenessWatch {
  timeoutMs: number;
  private lastHeard = 0;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly ping: () => void,
    private readonly onSilent: () => void,
    timeoutMs = DEFAULT_LIVENESS_MS,
  ) {
    this.timeoutMs = timeoutMs;
  }

  /** Starts watching (again); a watch already running goes on. `shouldStop()` ends it quietly. */
  start(shouldStop: () => boolean): void {
    if (this.cancel) return;
    this.lastHeard = this.clock.now();
    this.cancel = this.clock.every(PING_MS, () => {
      if (shouldStop()) {
        this.stop();
      } else if (this.clock.now() - this.lastHeard > this.timeoutMs) {
        this.stop();
        this.onSilent();
      } else {
        this.ping();
      }
    });
  }

  heard(): void {
    this.lastHeard = this.clock.now();
  }

  get running(): boolean {
    return this.cancel !== null;
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }
}
