/**
 * The loopback callback receiver the jobs tests deliver to (started by test/setup/callbacks.ts in Node,
 * reached from workerd). Safe to import from workerd tests: no Node APIs here.
 *
 *   POST /hook/<inbox>?status=S&fail=N&delay_ms=D&retry_after=R   records the delivery (headers and raw body);
 *        answers S (default 200), or 503 for the first N deliveries to that inbox and then S; after D ms;
 *        with Retry-After: R when given
 *   GET  /__inbox/<inbox>   the deliveries to that inbox, oldest first
 */
import { TEST_PORTS } from './ports';

export const CALLBACK_PORT = TEST_PORTS.callbacks;
export const CALLBACK_ORIGIN = `http://127.0.0.1:${CALLBACK_PORT}`;
export const CALLBACK_SERVER_IDENTITY = 'gmner-callback-receiver/1';

export interface ReceivedCallback {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  answered: number;
}
