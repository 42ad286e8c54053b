export { ConsoleReader } from './console-reader.ts';
export { EscapeFilter } from './escape-filter.ts';
export { DuplicateEchoFilter, splitShuffle, type ShuffleSplit } from './dedup.ts';
export { WRAP_COLUMNS, isWrapped, joinWrapped, WrapJoiner } from './wrap.ts';
