/** The problem lines both dataset reports end with: "no problems found", or a count and one `[kind] message` line each. */
export function problemLines(problems: readonly { kind: string; message: string }[]): string[] {
  if (problems.length === 0) return ['no problems found'];
  return [`${problems.length} problem(s):`, ...problems.map((p) => `  [${p.kind}] ${p.message}`)];
}
