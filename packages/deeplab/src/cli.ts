/**
 * The `seg-deeplab` command line (`bin/seg-deeplab.js`): an entry of its own,
 * so bundles of the library for browsers never load commander or Node's modules.
 *
 * @module
 */
export { runSegDeeplab, segDeeplabProgram } from './cli/program.js';
export type { CliIo } from './cli/program.js';
