// The scenario tier, part a of 2 (tap's parallel jobs share the cells; --scenario and --shard narrow them).
import { scenarioTier } from './scenario-tier.ts';

await scenarioTier(0, 2);
