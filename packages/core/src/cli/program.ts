/**
 * The `seg-doctor` command line. An entry of its own (`bin/seg-doctor.js`), as
 * every @seg command is, and exported from no library entry.
 *
 * @module
 */
import { diagnoseBackends, formatDiagnosis } from '../backends/diagnose.js';

const USAGE = `Usage: seg-doctor [--json]

Tries every tfjs backend @seg/core can use in Node (tfjs-node-gpu, WebGPU,
tfjs-node, wasm, cpu) and prints, for each, whether it is installed, whether
it works, the device it runs on and how to fix what fails.
  --json   print the report as JSON (what diagnoseBackends() returns)
Exit code 0 when at least one backend works.`;

/**
 * The `seg-doctor` command: prints the backend report and returns the exit
 * code (0 when at least one backend works, 1 when none does, 2 on bad flags).
 */
export async function runCli(argv: readonly string[], out: (line: string) => void = console.log): Promise<number> {
  const unknown = argv.filter((a) => a !== '--json' && a !== '--help' && a !== '-h');
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  if (unknown.length > 0) {
    out(`seg-doctor: unknown argument ${unknown.map((a) => `"${a}"`).join(', ')}; expected --json or --help`);
    return 2;
  }
  const report = await diagnoseBackends();
  out(argv.includes('--json') ? JSON.stringify(report, null, 2) : formatDiagnosis(report));
  return report.backends.some((b) => b.works) ? 0 : 1;
}
