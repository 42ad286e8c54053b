// Warp and real time agree on every scenario: this file takes half of them (even positions), the other file the rest,
// so tap's parallel jobs share the slowest check of the suite.
import { modesAgree } from './modes-agree.ts';

await modesAgree(0);
