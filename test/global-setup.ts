/**
 * Node-side set-up for the whole test run: starts the loopback servers the workerd tests talk to.
 * Each concern lives in its own module under test/setup/ and returns its own teardown.
 */
type Teardown = () => Promise<void> | void;
type Setup = () => Promise<Teardown>;

const setups: Array<() => Promise<{ default: Setup }>> = [
  // one line per loopback service, e.g. () => import('./setup/llm-server'),
  () => import('./setup/s3'),
  () => import('./setup/llm-server'),
  () => import('./setup/callbacks'),
];

export default async function setup(): Promise<Teardown> {
  const teardowns: Teardown[] = [];
  for (const load of setups) teardowns.push(await (await load()).default());
  return async () => {
    for (const t of teardowns.reverse()) await t();
  };
}
