import { spawnSync } from 'node:child_process';
import { runCli } from '../testing/fake-api';

function shellAvailable(shell: string): boolean {
  return spawnSync(shell, ['-c', 'true']).status === 0;
}

/** Completes `words` (the last one being typed) with the generated bash script, in a real bash. */
function bashComplete(script: string, words: string[]): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_silo_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

describe('silo completion', () => {
  it('bash: a valid script that completes commands, nested verbs and flags from the command tree', async () => {
    const io = await runCli(['completion', 'bash'], {}, '/');
    expect(io.code).toBe(0);
    expect(io.stdout).toContain('complete -o default -F _silo_complete silo');
    expect(spawnSync('bash', ['-n'], { input: io.stdout }).status).toBe(0);
    expect(bashComplete(io.stdout, ['silo', 'se'])).toEqual(['service']);
    expect(bashComplete(io.stdout, ['silo', 'service', ''])).toEqual(expect.arrayContaining(['create', 'ls', 'ps', 'inspect', 'scale', 'update', 'rollback', 'rm', 'logs']));
    expect(bashComplete(io.stdout, ['silo', 'service', 'create', '--rep'])).toEqual(['--replicas']);
    expect(bashComplete(io.stdout, ['silo', '--context', 'prod', 'node', 'update', 'n1', '--avail'])).toEqual(['--availability']);
    expect(bashComplete(io.stdout, ['silo', 'node', 'join-token', 'cr'])).toEqual(['create']);
    expect(bashComplete(io.stdout, ['silo', 'svc', 'l'])).toEqual(expect.arrayContaining(['ls', 'list', 'logs']));
  });

  it('zsh: a compdef script with every command and its description', async () => {
    const io = await runCli(['completion', 'zsh'], {}, '/');
    expect(io.code).toBe(0);
    expect(io.stdout).toMatch(/^#compdef silo\n/);
    expect(io.stdout).toContain('"silo service create")');
    expect(io.stdout).toContain("'--update-failure-action:what a failed rollout does'");
    expect(io.stdout).toContain("'join-token:tokens that let a host join: silo agent --join URL --token TOKEN'");
    if (shellAvailable('zsh')) expect(spawnSync('zsh', ['-n'], { input: io.stdout }).status).toBe(0);
  });

  it('rejects an unknown shell', async () => {
    const io = await runCli(['completion', 'fish'], {}, '/');
    expect(io.code).toBe(1);
    expect(io.stderr).toContain('Allowed choices are bash, zsh');
  });
});
