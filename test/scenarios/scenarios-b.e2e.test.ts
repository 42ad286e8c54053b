// The scenario tier, part b of 2 (tap's parallel jobs share the cells; --scenario and --shard narrow them).
import { scenarioTier } from './scenario-tier.ts';

await scenarioTier(1, 2);
