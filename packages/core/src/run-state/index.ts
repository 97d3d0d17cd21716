// Public exports of src/run-state.
export { ConfigMismatchError, checkConfig, configChanges, describeConfigChanges } from './config-diff.js';
export type { ConfigChange } from './config-diff.js';
export { expectInteger, expectNumberOrNull, expectObject } from './json.js';
export type { JsonObject, JsonValue } from './json.js';
export { RunState } from './stateful-part.js';
export type { PartWeights, SectionSource, StatefulPart } from './stateful-part.js';
