// The config file's helper and type, with no imports: scenario and config files load it (through
// bootchain/define) without pulling in the CLI's modules.

/** A project's `bootchain.config.ts`: where its scenarios and image definitions live, where runs write. */
export interface BootchainConfig {
  /** Folder of scenario files (`<name>.ts`, each `export default defineScenario({...})`), relative to the config. */
  scenarios: string;
  /** Folder of image definitions (`<name>/image.json` …); a scenario's `image: 'NAME'` is looked up here first, then in bootchain's own. */
  images?: string;
  /** Where each run's artifacts folder goes (default `artifacts`). */
  artifacts?: string;
  /** Where images built from definitions go (default `.bootchain/dist`). */
  dist?: string;
  /** Scenarios booted at once by `bootchain run` / `bootchain test` (default: the number of cores). */
  jobs?: number;
}

/** Identity function that gives `bootchain.config.ts` its types; the fields are checked when the CLI loads it. */
export function defineConfig(config: BootchainConfig): BootchainConfig {
  return config;
}
