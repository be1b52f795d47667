// The waiting side of lock liveness: while a worker waits for a store's lock it pings the holder over the
// store's BroadcastChannel, and when the holder has said nothing for `timeoutMs` it calls `onSilent` (the
// worker then steals the lock). Anything the holder says counts as a sign of life (`heard()`).
export const PING_MS = 500;
export const DEFAULT_LIVENESS_MS = 10_000;

export class LivenessWatch {
  constructor({ ping, onSilent, timeoutMs = DEFAULT_LIVENESS_MS }) {
    this.ping = ping;
    this.onSilent = onSilent;
    this.timeoutMs = timeoutMs;
    this.lastHeard = 0;
    this.timer = null;
  }

  /** Starts watching (again); a watch already running goes on. `shouldStop()` ends it quietly. */
  start(shouldStop) {
    if (this.timer) return;
    this.lastHeard = Date.now();
    this.timer = setInterval(() => {
      if (shouldStop()) {
        this.stop();
      } else if (Date.now() - this.lastHeard > this.timeoutMs) {
        this.stop();
        this.onSilent();
      } else {
        this.ping();
      }
    }, PING_MS);
  }

  heard() {
    this.lastHeard = Date.now();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
