/** Scoring after the RiVEG protocol (`statistic/statistic.py`, https://github.com/JinYuanLi0012/RiVEG); see README.md in this folder for the choices made. */
export * from './api-client';
export * from './box';
export * from './entities';
export * from './evaluate';
export * from './grounded';
export * from './match';
export * from './mner';
export * from './oracle';
export * from './poly';
export * from './report';
export * from '../vision/rle';
export * from './score';
export * from './seqeval';
