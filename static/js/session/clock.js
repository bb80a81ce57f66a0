// The server's clock as this page sees it, NTP-style: each ping's round trip gives an offset
// ((t1 - t0) + (t2 - t3)) / 2 and a round-trip time (t3 - t0) - (t2 - t1). A sample that waited in a
// queue on the way is off by half its wait, and its round trip says so: the offset is the median of
// the offsets of the SAMPLES_USED fastest round trips of the last SAMPLES_KEPT (protocol53.md, "Client
// sync"; bench/session.py's simulated followers use the same constants).

export const FAST_PING_MS = 250; // for the first FAST_PINGS_FOR_MS after each (re)connect…
export const FAST_PINGS_FOR_MS = 2_000;
export const SLOW_PING_MS = 2_000; // …then this often
export const SAMPLES_KEPT = 15;
export const SAMPLES_USED = 5;

export function clockSample(t0, t1, t2, t3) {
  return { offset: (t1 - t0 + (t2 - t3)) / 2, rtt: t3 - t0 - (t2 - t1) };
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export class ServerClock {
  constructor(now = () => Date.now()) {
    this.now = now;
    this.samples = [];
    this.offset = 0;
  }

  get synced() {
    return this.samples.length > 0;
  }

  // A pong: the sample it gives is kept and the offset worked out again.
  add(t0, t1, t2, t3 = this.now()) {
    this.samples.push(clockSample(t0, t1, t2, t3));
    if (this.samples.length > SAMPLES_KEPT) {
      this.samples.shift();
    }
    const fastest = [...this.samples].sort((x, y) => x.rtt - y.rtt).slice(0, SAMPLES_USED);
    this.offset = median(fastest.map((sample) => sample.offset));
  }

  // Before any pong, the server's own time from its welcome is the best guess (one-way late).
  guess(serverMs, receivedAt = this.now()) {
    if (!this.synced) {
      this.offset = serverMs - receivedAt;
    }
  }

  serverNow() {
    return this.now() + this.offset;
  }
}
