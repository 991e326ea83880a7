/** The small invented set the unit suite uses (see recordings/README.md for what each post covers). */
import type { Recording } from './recordings';
import unit from './recordings/unit.json';

export const UNIT_RECORDINGS: Recording[] = unit as Recording[];
