import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { TASK_ID_PATTERN } from '../agent-tasks/agent-tasks.contract';

/**
 * Interactive exec (`silo exec -it`, the api's WebSocket): a streamed session with the agent.
 *
 * 1. The caller subscribes to an inbox `outputSubject`, then requests `silo.agent.<nodeId>.exec.open`
 *    (ExecOpenRequest). The agent starts the process (with a pseudo-terminal when `tty`) and replies
 *    ExecOpenReply with the subjects it listens on.
 * 2. Output: the agent publishes raw bytes to `outputSubject` with the NATS header
 *    `Silo-Stream: stdout|stderr` (with a TTY everything is stdout); at the end one message with
 *    `Silo-Stream: exit` whose body is JSON `{ "exitCode": n }` (`{ "exitCode": -1, "error": "…" }`
 *    when it could not run). Nothing follows `exit`.
 * 3. Input: raw bytes published to `stdinSubject`; a message with header `Silo-Stdin: eof` closes stdin
 *    (with a TTY it is sent as ^D: an interactive shell may ignore it; send `exit`).
 * 4. Control: JSON to `controlSubject`: `{ "resize": { "cols": n, "rows": n } }`,
 *    `{ "signal": "SIGINT" }`, `{ "keepalive": true }`, `{ "close": true }` (kill the process),
 *    `{ "ack": n }` (flow control, below). A session with no input or control message for
 *    `idleTimeoutMs` is killed (the caller is gone).
 * 5. Flow control (when the request sets `windowBytes`): the caller acknowledges the output bytes
 *    it has passed on with `{ "ack": n }`, n counting every stdout/stderr byte of the session so
 *    far. The agent stops reading the process's output while `windowBytes` or more are
 *    unacknowledged, so a process that writes faster than the caller takes it blocks on its
 *    pipe instead of flooding NATS. Without `windowBytes` output is not held back.
 */
export class ExecOpenRequest {
  @Matches(TASK_ID_PATTERN) taskId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1024) @IsString({ each: true }) @MinLength(1, { each: true }) command!: string[];
  @IsString() @MinLength(1) @MaxLength(256) outputSubject!: string;
  @IsBoolean() tty!: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(1000) cols?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) rows?: number;
  @IsOptional() @IsObject() env?: Record<string, string>;
  @IsOptional() @IsString() @MaxLength(256) user?: string;
  @IsOptional() @IsString() @MaxLength(4096) workingDir?: string;
  /** Default 30 s. */
  @IsOptional() @IsInt() @Min(1000) @Max(3_600_000) idleTimeoutMs?: number;
  /** Flow control: at most this many output bytes unacknowledged (see above); absent: none. */
  @IsOptional() @IsInt() @Min(4096) @Max(64 * 1024 * 1024) windowBytes?: number;
}

export class ExecOpenReply {
  @IsString() sessionId!: string;
  @IsString() stdinSubject!: string;
  @IsString() controlSubject!: string;
}

export const EXEC_STREAM_HEADER = 'Silo-Stream';
export const EXEC_STDIN_HEADER = 'Silo-Stdin';
