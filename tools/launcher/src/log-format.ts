/** Pretty console lines from the services' JSON logs: `registry    | 12:00:01 INFO  [Ctx] message`. */
const LEVELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };
const COLORS = [36, 32, 35, 33, 34, 96, 92];

export function prefixFor(name: string, width: number, index: number, color: boolean): string {
  const label = `${name.padEnd(width)} |`;
  return color ? `\u001b[${COLORS[index % COLORS.length]}m${label}\u001b[0m` : label;
}

export function formatLine(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as { level?: string; time?: string; msg?: string; context?: string; err?: { message?: string } };
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
    const level = LEVELS[entry.level ?? 'info'] ?? String(entry.level);
    const context = entry.context ? `[${entry.context}] ` : '';
    const error = entry.err?.message && entry.err.message !== entry.msg ? ` (${entry.err.message})` : '';
    return `${time} ${level} ${context}${entry.msg ?? ''}${error}`;
  } catch {
    return line;
  }
}
