import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

/** `GET /api/v1/tasks/:id/exec/ws?command=sh&command=-c&command=…&tty=1&cols=80&rows=24`, parsed. */
export class ExecWsParams {
  @IsArray() @ArrayMinSize(1, { message: 'command is required (?command=sh&command=-c&…)' }) @ArrayMaxSize(1024) @IsString({ each: true }) @MinLength(1, { each: true })
  command!: string[];
  @IsBoolean() tty!: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(1000) cols?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) rows?: number;
}

/** The query of the WebSocket URL as ExecWsParams' fields (before validation). */
export function parseExecQuery(search: URLSearchParams): Record<string, unknown> {
  const int = (name: string) => {
    const raw = search.get(name);
    if (raw === null) return undefined;
    return /^\d{1,6}$/.test(raw) ? Number(raw) : raw;
  };
  const tty = search.get('tty');
  return {
    command: search.getAll('command'),
    tty: tty === null ? false : tty === '1' || tty === 'true' ? true : tty === '0' || tty === 'false' ? false : tty,
    cols: int('cols'),
    rows: int('rows'),
  };
}
