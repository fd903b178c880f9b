import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_ID_PATTERN } from '@silo/contracts';

/**
 * The node's id, kept in `$SILO_HOME/node-agent/node-id` so a restarted agent is the same node.
 * Written to a temp file and renamed, so a crash never leaves a half-written id.
 */
export class NodeIdentityStore {
  constructor(private readonly agentHome: string) {}

  resolve(configured?: string): string {
    const file = join(this.agentHome, 'node-id');
    if (existsSync(file)) {
      const stored = readFileSync(file, 'utf8').trim();
      if (!NODE_ID_PATTERN.test(stored)) throw new Error(`${file} holds an invalid node id "${stored}"`);
      if (configured && configured !== stored) {
        throw new Error(`SILO_NODE_ID=${configured} but this SILO_HOME belongs to node ${stored}; use another SILO_HOME`);
      }
      return stored;
    }
    const id = configured ?? `node-${randomBytes(5).toString('hex')}`;
    mkdirSync(this.agentHome, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, `${id}\n`, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return id;
  }
}
