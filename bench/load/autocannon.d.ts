/** autocannon ships no typings; the load generator uses its programmatic API loosely (see bench/load/graphql-load.ts). */
declare module 'autocannon' {
  const autocannon: (
    options: Record<string, unknown>,
  ) => Promise<{ errors: number; timeouts: number }> & { on(event: string, listener: (...args: any[]) => void): void };
  export default autocannon;
}
