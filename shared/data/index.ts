/** Dataset readers that parse strings (runs in Workers too). File loading: ./node-load (Node only). */
export * from './api-answers';
export * from './conll';
export * from './gmner';
export * from './riveg';
export * from './smner';
export * from './voc';
export * from './detect';
