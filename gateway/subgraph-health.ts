/**
 * What keeps one slow or dead office from taking the gateway down with it. Every call to a subgraph runs under a
 * deadline (its `*_TIMEOUT_MS`), at most `inFlight` calls per subgraph run at once, and a circuit breaker
 * (cockatiel) fails calls fast once several in a row got no answer, letting one probe through now and then. A
 * call that gets no answer throws SubgraphUnavailable; gateway/subgraph-client.ts turns it into null fields and a
 * SUBGRAPH_UNAVAILABLE error naming the subgraph.
 */
import os from 'node:os';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Logger } from '../kit/log.js';

/** The failover policy, one table. */
export const SUBGRAPH_POLICY = {
  /**
   * Calls in flight to one subgraph: half the gateway's admission (four requests per core, kit/http.ts), so a frozen
   * office can hold at most half the gateway's slots and requests needing only the others still get in.
   */
  inFlight: Math.max(2, os.availableParallelism() * 2),
  /**
   * A call finding every slot taken waits its turn only while the subgraph keeps answering: when nothing started or
   * finished for `stallFactor` times its recent answer time (at least `stallMs`), it is refused at once (and counts
   * as a failure) instead of holding a gateway slot. Relative, because on a saturated machine a healthy subgraph's
   * answers take hundreds of milliseconds (a fixed 250 ms refused 2 of 230 reads while a restarting subgraph hogged
   * a core); a frozen one shows within two seconds (a fixed 250 ms also refused a busy cases subgraph under 200 simultaneous
   * submissions).
   */
  stallMs: 2000,
  stallFactor: 5,
  /**
   * A call cut short by its request's deadline (queued, or after another subgraph's answer) that gets no answer
   * counts against the circuit when it had at least this share of the subgraph's own timeout: a frozen subgraph
   * is mostly called second, a healthy one only misses a deadline another spent.
   */
  cutShortCountsFromShare: 0.5,
  /** Consecutive calls without an answer that open the circuit. */
  failuresToOpen: 5,
  /** How long an open circuit fails calls fast before it lets one probe through (a subgraph back is used within this). */
  halfOpenAfterMs: 500,
  /** A read is sent again once when its connection failed (refused, reset): the request never ran or was cut. */
  connectionRetries: 1,
  /** How long the gateway's /readyz waits for a subgraph's own /readyz (as long as the gateway waited before circuits). */
  readinessProbeMs: 2000,
} as const;

/**
 * Why a call got no answer. Only these count against the circuit (a refusal or a GraphQL error is an answer), and
 * of these only the subgraph's own: not a call cut short because its request had spent its time elsewhere.
 */
export class SubgraphUnavailable extends Error {
  constructor(
    why: string,
    readonly reason: UnavailableReason,
    readonly subgraphsFault = true,
  ) {
    super(why);
  }

  get connectionFailed(): boolean {
    return this.reason === 'connection';
  }
}

/**
 * Why a call got no answer, in a word (the `outcome` of its count, gateway/gateway-metrics.ts): no answer within its
 * deadline; its connection failed; its circuit open; every slot taken while the subgraph stalled; no time left of
 * the request's deadline; an HTTP 5xx; its /readyz not ready.
 */
export type UnavailableReason =
  'timeout' | 'connection' | 'circuit_open' | 'overloaded' | 'no_time' | 'server_error' | 'not_ready';

/** A circuit's state, as metrics name it. */
export type CircuitName = 'closed' | 'half_open' | 'open';

/** `up`: answering and ready; `degraded`: circuit closed but its last call or readiness failed; `open`: failing fast. */
export type SubgraphState = 'up' | 'degraded' | 'open';

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** At most `limit` calls at a time; a call waits for a slot only while the calls ahead of it make progress. */
class InFlightLimit {
  private running = 0;
  private lastProgress = Date.now();
  /** Moving average of how long the subgraph took to answer, ms. */
  private answerMs = 0;
  private readonly waiting: { go(): void }[] = [];

  constructor(
    private readonly limit: number,
    private readonly stallMs: number,
    private readonly stallFactor: number,
    private readonly ceilingMs: number,
  ) {}

  async run<T>(work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.running >= this.limit) await this.turn(signal);
    else this.running++;
    const started = Date.now();
    this.lastProgress = started;
    try {
      const result = await work();
      this.answerMs += (Date.now() - started - this.answerMs) / 8;
      return result;
    } finally {
      this.lastProgress = Date.now();
      // The slot passes straight to the next in line (as kit/http.ts's admission does).
      const next = this.waiting.shift();
      if (next) next.go();
      else this.running--;
    }
  }

  private stallAfterMs(): number {
    return Math.min(this.ceilingMs, Math.max(this.stallMs, this.stallFactor * this.answerMs));
  }

  private stalled(): boolean {
    return Date.now() - this.lastProgress > this.stallAfterMs();
  }

  private turn(signal: AbortSignal): Promise<void> {
    const stuck = () =>
      new SubgraphUnavailable(
        `${this.limit} calls to it are in flight and none answered for ${Math.round(this.stallAfterMs())} ms`,
        'overloaded',
      );
    if (this.stalled()) return Promise.reject(stuck());
    return new Promise<void>((resolve, reject) => {
      const leave = (error: Error) => {
        const at = this.waiting.indexOf(waiter);
        if (at !== -1) this.waiting.splice(at, 1);
        clearInterval(watch);
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      const waiter = {
        go: () => {
          clearInterval(watch);
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => leave(new SubgraphUnavailable('no slot for the call before its deadline', 'overloaded'));
      const watch = setInterval(() => {
        if (this.stalled()) leave(stuck());
      }, this.stallMs / 2);
      signal.addEventListener('abort', onAbort);
      this.waiting.push(waiter);
    });
  }
}

/** One subgraph's deadline, concurrency limit and circuit breaker. */
export class SubgraphGuard {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly limit: InFlightLimit;
  private lastCallFailed = false;

  constructor(
    readonly name: string,
    readonly timeoutMs: number,
    logger: Logger,
  ) {
    this.limit = new InFlightLimit(
      SUBGRAPH_POLICY.inFlight,
      SUBGRAPH_POLICY.stallMs,
      SUBGRAPH_POLICY.stallFactor,
      timeoutMs,
    );
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof SubgraphUnavailable && error.subgraphsFault),
      {
        halfOpenAfter: SUBGRAPH_POLICY.halfOpenAfterMs,
        breaker: new ConsecutiveBreaker(SUBGRAPH_POLICY.failuresToOpen),
      },
    );
    this.breaker.onBreak(() => logger.warn({ subgraph: name }, 'subgraph circuit open: its calls fail fast'));
    this.breaker.onHalfOpen(() => logger.info({ subgraph: name }, 'subgraph circuit half-open: one probe call'));
    this.breaker.onReset(() => logger.info({ subgraph: name }, 'subgraph circuit closed: answering again'));
  }

  /**
   * Runs one call within the subgraph's deadline, and within the request's (`due`, an instant) when it comes sooner.
   * `attempt` gets the deadline's signal; it is run once more after a failed connection when `retry` allows (reads,
   * and mutations idempotent by key), within the same deadline.
   */
  async call<T>(attempt: (signal: AbortSignal) => Promise<T>, retry: boolean, due = Infinity): Promise<T> {
    // cockatiel queues every call behind a half-open probe; to a frozen subgraph that is the whole timeout.
    if (this.breaker.state === CircuitState.HalfOpen)
      throw new SubgraphUnavailable('its circuit is open (a probe call is under way)', 'circuit_open');
    const left = Math.min(this.timeoutMs, due - Date.now());
    if (left <= 0) throw new SubgraphUnavailable("the request's deadline passed before the call", 'no_time', false);
    const signal = AbortSignal.timeout(left);
    const cutShort = left < this.timeoutMs;
    try {
      const result = await this.breaker.execute(() =>
        this.limit.run(
          () => this.attempts(attempt, signal, retry ? SUBGRAPH_POLICY.connectionRetries : 0, cutShort ? left : null),
          signal,
        ),
      );
      this.lastCallFailed = false;
      return result;
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new SubgraphUnavailable(
          `its circuit is open after ${SUBGRAPH_POLICY.failuresToOpen} calls without an answer`,
          'circuit_open',
        );
      }
      if (error instanceof SubgraphUnavailable) this.lastCallFailed = true;
      throw error;
    }
  }

  /** `cutShortMs`: the request's deadline left the call less than the subgraph's own timeout (else null). */
  private async attempts<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    retries: number,
    cutShortMs: number | null,
  ): Promise<T> {
    for (let left = retries; ; left--) {
      try {
        return await attempt(signal);
      } catch (error) {
        const unavailable = this.translate(error, signal, cutShortMs);
        if (!(unavailable instanceof SubgraphUnavailable && unavailable.connectionFailed && left > 0))
          throw unavailable;
      }
    }
  }

  /** undici's failures as SubgraphUnavailable (a deadline passed, a connection failed); anything else unchanged. */
  private translate(error: unknown, signal: AbortSignal, cutShortMs: number | null): unknown {
    if (error instanceof SubgraphUnavailable) return error;
    if (signal.aborted && cutShortMs !== null) {
      return new SubgraphUnavailable(
        `no answer within the ${Math.round(cutShortMs)} ms left of the request's deadline`,
        'timeout',
        cutShortMs >= SUBGRAPH_POLICY.cutShortCountsFromShare * this.timeoutMs,
      );
    }
    if (signal.aborted) return new SubgraphUnavailable(`no answer within ${this.timeoutMs} ms`, 'timeout');
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code))
      return new SubgraphUnavailable(`connection failed (${code})`, 'connection');
    return error;
  }

  get circuit(): CircuitName {
    return this.breaker.state === CircuitState.Closed
      ? 'closed'
      : this.breaker.state === CircuitState.HalfOpen
        ? 'half_open'
        : 'open';
  }

  /** Its state for the gateway's readiness, after asking the subgraph's own /readyz (`probe`). */
  async state(probe: (signal: AbortSignal) => Promise<boolean>): Promise<SubgraphState> {
    if (this.breaker.state === CircuitState.Open) {
      // An open circuit closes only on a call that succeeds: the readiness check is one, so an idle gateway heals too.
      const answered = await this.breaker
        .execute(async () => {
          if (!(await probe(AbortSignal.timeout(SUBGRAPH_POLICY.readinessProbeMs))))
            throw new SubgraphUnavailable('not ready', 'not_ready');
          return true;
        })
        .catch(() => false);
      if (answered) this.lastCallFailed = false;
      return answered ? 'up' : 'open';
    }
    if (this.breaker.state !== CircuitState.Closed) return 'open';
    const ready = await probe(AbortSignal.timeout(SUBGRAPH_POLICY.readinessProbeMs)).catch(() => false);
    return ready && !this.lastCallFailed ? 'up' : 'degraded';
  }
}
