import { CommandError, CommandResult, CommandRunner, HostNetworkProbe } from '../command-runner';

export interface IssuedCommand {
  command: string;
  args: string[];
  input?: string;
}

/**
 * A pretend host for unit tests: records every command, and follows what `ip` batches do to links
 * and network namespaces well enough for the manager's existence checks. iptables-save prints
 * `iptablesSaved`; iptables-restore is only recorded.
 */
export class FakeHost implements CommandRunner, HostNetworkProbe {
  readonly commands: IssuedCommand[] = [];
  readonly links = new Map<string, { master?: string; alias?: string; peerNetns?: string }>();
  readonly paths = new Set<string>();
  readonly sysctls = new Map<string, string>([['net.ipv4.ip_forward', '0']]);
  iptablesSaved = '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n';
  netnsReady = true;
  /** Makes the next command whose text contains the key fail. */
  failOn?: string;
  /** Delay (ms) before every command resolves, to let concurrent calls interleave. */
  delayMs = 0;

  async run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
    this.commands.push({ command, args: [...args], input });
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const text = [command, ...args, input ?? ''].join(' ');
    if (this.failOn && text.includes(this.failOn)) {
      this.failOn = undefined;
      throw new CommandError(command, args, 1, 'RTNETLINK answers: Operation not permitted');
    }
    if (command === 'ip') this.applyIp(args, input ?? '');
    if (command.endsWith('-save')) return { stdout: this.saved(args), stderr: '' };
    return { stdout: '', stderr: '' };
  }

  /** `iptablesSaved`, or with `-t TABLE` only that table's section. */
  private saved(args: readonly string[]): string {
    const t = args.indexOf('-t');
    if (t < 0) return this.iptablesSaved;
    const table = args[t + 1];
    const sections = this.iptablesSaved.split(/^(?=\*)/m);
    return sections.filter((section) => section.startsWith(`*${table}\n`)).join('');
  }

  private applyIp(args: readonly string[], input: string): void {
    if (args.includes('-n')) return; // inside a container namespace: nothing the probe sees
    for (const line of input.split('\n').filter(Boolean)) {
      const words = line.split(' ');
      if (words[0] === 'netns' && words[1] === 'add') this.paths.add(`/var/run/netns/${words[2]}`);
      if (words[0] === 'netns' && words[1] === 'del') {
        this.paths.delete(`/var/run/netns/${words[2]}`);
        // No process in it: the namespace dies and takes its veth pairs along.
        for (const [name, link] of this.links) if (link.peerNetns === words[2]) this.links.delete(name);
      }
      if (words[0] === 'link' && words[1] === 'add') {
        const master = words.indexOf('master');
        const netns = words.lastIndexOf('netns');
        this.links.set(words[2]!, { master: master > 0 ? words[master + 1] : undefined, peerNetns: netns > 0 ? words[netns + 1] : undefined });
      }
      if (words[0] === 'link' && words[1] === 'del') this.links.delete(words[2]!);
      if (words[0] === 'link' && words[1] === 'set' && this.links.has(words[2]!)) {
        const link = this.links.get(words[2]!)!;
        if (words[3] === 'alias') link.alias = words[4];
        if (words[3] === 'nomaster') link.master = undefined;
      }
    }
  }

  /** The ip batches (stdin lines) issued so far, one array per command. */
  ipBatches(): string[][] {
    return this.commands.filter((c) => c.command === 'ip').map((c) => [c.args.join(' '), ...(c.input ?? '').split('\n').filter(Boolean)]);
  }

  restores(): string[] {
    return this.commands.filter((c) => c.command.endsWith('-restore')).map((c) => c.input ?? '');
  }

  clear(): void {
    this.commands.length = 0;
  }

  linkExists(name: string): boolean {
    return this.links.has(name);
  }

  bridgePorts(bridge: string): string[] {
    return [...this.links].filter(([, link]) => link.master === bridge).map(([name]) => name);
  }

  linksByAlias(prefix: string): Map<string, string> {
    return new Map([...this.links].filter(([, link]) => link.alias?.startsWith(prefix)).map(([name, link]) => [name, link.alias!]));
  }

  pathExists(path: string): boolean {
    return this.paths.has(path);
  }

  netnsDirReady(): boolean {
    return this.netnsReady;
  }

  readSysctl(key: string): string | undefined {
    return this.sysctls.get(key);
  }

  writeSysctl(key: string, value: string): void {
    this.sysctls.set(key, value);
  }
}
