import { makeTempDir, waitFor } from '@silo/testing';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine } from '@silo/contracts';
import { ContainerLogReader, parseCriLine } from './container-log.reader';

describe('ContainerLogReader', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = (await makeTempDir('logs-')).path;
    file = join(dir, 'container.log');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('parses CRI lines and rejects others', () => {
    expect(parseCriLine('2026-11-28T21:03:04.123456789Z stdout F hello world')).toEqual({
      time: '2026-11-28T21:03:04.123456789Z',
      stream: 'stdout',
      text: 'hello world',
      partial: false,
    });
    expect(parseCriLine('2026-11-28T21:03:04Z stderr P ')).toMatchObject({ stream: 'stderr', text: '', partial: true });
    expect(parseCriLine('garbage')).toBeUndefined();
  });

  it('reads rotated files oldest first, joins partial lines, tails and filters by time', async () => {
    writeFileSync(`${file}.2`, '2026-01-01T00:00:01Z stdout F one\n');
    writeFileSync(`${file}.1`, '2026-01-01T00:00:02Z stdout P tw\n2026-01-01T00:00:02Z stdout F o\n');
    writeFileSync(file, '2026-01-01T00:00:03Z stderr F three\n');
    const reader = new ContainerLogReader(file);
    expect((await reader.read()).lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect((await reader.read({ tail: 1 })).lines).toEqual([{ time: '2026-01-01T00:00:03Z', stream: 'stderr', text: 'three' }]);
    expect((await reader.read({ since: '2026-01-01T00:00:01Z' })).lines.map((l) => l.text)).toEqual(['two', 'three']);
  });

  it('follows new lines, across a rotation', async () => {
    writeFileSync(file, '2026-01-01T00:00:01Z stdout F old\n');
    const reader = new ContainerLogReader(file);
    const { offset } = await reader.read();
    const seen: LogLine[] = [];
    const controller = new AbortController();
    const following = reader.follow(offset, (lines) => seen.push(...lines), controller.signal);
    appendFileSync(file, '2026-01-01T00:00:02Z stdout F new\n');
    await waitFor(() => seen.length === 1, { description: 'the new line' });
    renameSync(file, `${file}.1`);
    writeFileSync(file, '2026-01-01T00:00:03Z stdout F after rotation\n');
    await waitFor(() => seen.length === 2, { description: 'the line after rotation' });
    controller.abort();
    await following;
    expect(seen.map((l) => l.text)).toEqual(['new', 'after rotation']);
  });
});
