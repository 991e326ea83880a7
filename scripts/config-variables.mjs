// Every configuration variable the api or a stage reads, from the one declaration (shared/config-variables.ts,
// which the README's Configuration table is generated from). `npm start` forwards these from the process
// environment to `wrangler dev`. Node 22 strips the declaration's types when it loads it.
export { CONFIG_VARIABLES } from '../shared/config-variables.ts';
