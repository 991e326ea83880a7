/**
 * The loopback ports of this test run's servers. vitest.config.ts picks free ones when the run starts and
 * hands them to every module through the compile-time constant `__GMNER_TEST_PORTS__` (Vite's `define`), so
 * two runs on one machine never collide. Outside vitest (e.g. `npm run llm:recorded`) the fixed defaults apply.
 * Safe to import from workerd tests: no Node APIs here.
 */
export interface TestPorts {
  llm: number;
  s3: number;
  callbacks: number;
}

declare const __GMNER_TEST_PORTS__: TestPorts | undefined;

export const DEFAULT_TEST_PORTS: TestPorts = { llm: 8791, s3: 4569, callbacks: 8793 };

/** Node code that Vite does not transform (global set-up) reads the same choice from the environment. */
const fromEnv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GMNER_TEST_PORTS;

export const TEST_PORTS: TestPorts =
  typeof __GMNER_TEST_PORTS__ !== 'undefined' ? __GMNER_TEST_PORTS__ : fromEnv ? (JSON.parse(fromEnv) as TestPorts) : DEFAULT_TEST_PORTS;
