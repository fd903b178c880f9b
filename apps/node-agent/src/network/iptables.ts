import { CommandRunner } from './command-runner';
import { BridgeEndpoint } from './network.types';

/**
 * The iptables side of bridge networking. Silo owns three chains and hooks each into a built-in
 * chain once; it never touches anyone else's rules and never flushes a table:
 *
 * - filter `P-FORWARD` (first rule of FORWARD): replies and published (DNATed) traffic may enter the
 *   bridge, containers may send anywhere; anything else routed towards the bridge is dropped, so
 *   other hosts reach containers only through published ports.
 * - nat `P-DNAT` (from PREROUTING and OUTPUT, for packets addressed to a local address): one DNAT rule
 *   per published port; OUTPUT makes `127.0.0.1:hostPort` and the host's own addresses work on the
 *   host itself (with `route_localnet` on the bridge).
 * - nat `P-POSTROUTING`: MASQUERADE for the subnet going out anywhere but the bridge (outbound NAT),
 *   for host-local sources entering the bridge (127.0.0.1 cannot be replied to), and for a container
 *   reaching a published port of the same bridge through a host address (hairpin).
 *
 * Every write is one `iptables-restore --noflush` transaction: declaring a user chain there empties
 * it, so a chain is always rewritten whole and atomically, which keeps changes idempotent.
 */
export type IptablesBackend = 'nft' | 'legacy';

export interface IptablesCommands {
  save: string;
  restore: string;
}

export function iptablesCommands(backend: IptablesBackend): IptablesCommands {
  return { save: `iptables-${backend}-save`, restore: `iptables-${backend}-restore` };
}

/**
 * Which backend the host's firewall lives in: the one holding more rules (as kube-proxy's
 * iptables-wrapper decides), nft when both are empty, whichever runs when only one does.
 */
export async function detectIptablesBackend(runner: CommandRunner): Promise<IptablesBackend> {
  const count = async (backend: IptablesBackend): Promise<number | undefined> => {
    try {
      const { stdout } = await runner.run(iptablesCommands(backend).save, []);
      return stdout.split('\n').filter((line) => line.startsWith('-A ')).length;
    } catch {
      return undefined;
    }
  };
  const [nft, legacy] = await Promise.all([count('nft'), count('legacy')]);
  if (nft === undefined && legacy === undefined) {
    throw new Error('neither iptables-nft-save nor iptables-legacy-save runs: install iptables');
  }
  if (nft === undefined) return 'legacy';
  if (legacy !== undefined && legacy > nft) return 'legacy';
  return 'nft';
}

type Table = 'filter' | 'nat';

interface Jump {
  table: Table;
  from: string;
  /** The rule, as iptables-save prints it (after `-A FROM `). */
  spec: string;
  to: string;
}

export class IptablesRules {
  readonly forwardChain: string;
  readonly dnatChain: string;
  readonly postroutingChain: string;

  constructor(
    prefix: string,
    private readonly bridge: string,
    private readonly subnet: string,
  ) {
    this.forwardChain = `${prefix}-FORWARD`;
    this.dnatChain = `${prefix}-DNAT`;
    this.postroutingChain = `${prefix}-POSTROUTING`;
  }

  get jumps(): Jump[] {
    const local = (to: string) => `-m addrtype --dst-type LOCAL -j ${to}`;
    return [
      { table: 'filter', from: 'FORWARD', spec: `-j ${this.forwardChain}`, to: this.forwardChain },
      { table: 'nat', from: 'PREROUTING', spec: local(this.dnatChain), to: this.dnatChain },
      { table: 'nat', from: 'OUTPUT', spec: local(this.dnatChain), to: this.dnatChain },
      { table: 'nat', from: 'POSTROUTING', spec: `-j ${this.postroutingChain}`, to: this.postroutingChain },
    ];
  }

  private forwardRules(): string[] {
    const c = this.forwardChain;
    const br = this.bridge;
    return [
      `-A ${c} -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${c} -o ${br} -m conntrack --ctstate DNAT -j ACCEPT`,
      `-A ${c} -i ${br} -j ACCEPT`,
      `-A ${c} -o ${br} -j DROP`,
    ];
  }

  private postroutingRules(): string[] {
    const c = this.postroutingChain;
    const br = this.bridge;
    return [
      `-A ${c} -s ${this.subnet} ! -o ${br} -j MASQUERADE`,
      `-A ${c} -o ${br} -m addrtype --src-type LOCAL -j MASQUERADE`,
      `-A ${c} -s ${this.subnet} -o ${br} -m conntrack --ctstate DNAT -j MASQUERADE`,
    ];
  }

  /**
   * One DNAT rule per published port of every endpoint, in a stable order. Endpoints sharing a
   * port (one share group) split new connections evenly: rule k of n matches with probability
   * 1/(n−k) (iptables `statistic`), the last one always.
   */
  dnatRules(endpoints: Record<string, BridgeEndpoint>): string[] {
    const rules: string[] = [];
    const groups = new Map<string, { id: string; ip: string; port: BridgeEndpoint['ports'][number] }[]>();
    for (const id of Object.keys(endpoints).sort()) {
      const endpoint = endpoints[id]!;
      for (const port of endpoint.ports) {
        const key = `${port.hostIp ?? ''}|${port.protocol}|${port.hostPort}|${port.shareGroup ?? `#${id}`}`;
        const list = groups.get(key) ?? [];
        list.push({ id, ip: endpoint.ip, port });
        groups.set(key, list);
      }
    }
    for (const members of groups.values()) {
      members.forEach(({ id, ip, port }, k) => {
        const dest = port.hostIp && port.hostIp !== '0.0.0.0' ? `-d ${port.hostIp}/32 ` : '';
        const left = members.length - k;
        const spread = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(8)} ` : '';
        rules.push(
          `-A ${this.dnatChain} ${dest}-p ${port.protocol} -m ${port.protocol} --dport ${port.hostPort} ${spread}` +
            `-m comment --comment "silo:${id}" -j DNAT --to-destination ${ip}:${port.containerPort}`,
        );
      });
    }
    return rules;
  }

  /** Rewrites the DNAT chain (only) from the endpoints. */
  dnatScript(endpoints: Record<string, BridgeEndpoint>): string {
    return ['*nat', `:${this.dnatChain} - [0:0]`, ...this.dnatRules(endpoints), 'COMMIT', ''].join('\n');
  }

  /**
   * Creates (or rewrites) all three chains and hooks each one in once. `saved` is the current
   * `iptables-save` output of the filter and nat tables: jumps already in place are kept, stray
   * or duplicate jumps to our chains are removed.
   */
  installScript(endpoints: Record<string, BridgeEndpoint>, saved: string): string {
    const existing = parseJumps(saved);
    const section = (table: Table, chains: string[], rules: string[]) => {
      const lines = [`*${table}`, ...chains.map((chain) => `:${chain} - [0:0]`), ...rules];
      for (const jump of this.jumps.filter((j) => j.table === table)) {
        const found = existing.filter((e) => e.table === table && e.from === jump.from && e.to === jump.to);
        let kept = false;
        for (const rule of found) {
          if (!kept && rule.spec === jump.spec) kept = true;
          else lines.push(`-D ${jump.from} ${rule.spec}`);
        }
        if (!kept) lines.push(`-I ${jump.from} 1 ${jump.spec}`);
      }
      lines.push('COMMIT');
      return lines;
    };
    return [
      ...section('filter', [this.forwardChain], this.forwardRules()),
      ...section('nat', [this.dnatChain, this.postroutingChain], [...this.dnatRules(endpoints), ...this.postroutingRules()]),
      '',
    ].join('\n');
  }

  /** Unhooks and deletes the three chains (whatever of them exists). */
  uninstallScript(saved: string): string | undefined {
    const existing = parseJumps(saved);
    const chains = parseChains(saved);
    const section = (table: Table, ours: string[]) => {
      const lines: string[] = [];
      for (const rule of existing.filter((e) => e.table === table && ours.includes(e.to))) lines.push(`-D ${rule.from} ${rule.spec}`);
      for (const chain of ours.filter((name) => chains.has(`${table}/${name}`))) lines.push(`-F ${chain}`, `-X ${chain}`);
      return lines.length ? [`*${table}`, ...lines, 'COMMIT'] : [];
    };
    const lines = [
      ...section('filter', [this.forwardChain]),
      ...section('nat', [this.dnatChain, this.postroutingChain]),
    ];
    return lines.length ? [...lines, ''].join('\n') : undefined;
  }
}

/** `-A CHAIN … -j TARGET` rules of iptables-save output, with their table. */
export function parseJumps(saved: string): Array<{ table: Table; from: string; spec: string; to: string }> {
  const jumps: Array<{ table: Table; from: string; spec: string; to: string }> = [];
  let table: string | undefined;
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const match = /^-A (\S+) (.*-j (\S+))\s*$/.exec(line);
    if (match && (table === 'filter' || table === 'nat')) jumps.push({ table, from: match[1]!, spec: match[2]!, to: match[3]! });
  }
  return jumps;
}

/** `table/chain` for every chain iptables-save declares. */
export function parseChains(saved: string): Set<string> {
  const chains = new Set<string>();
  let table: string | undefined;
  for (const line of saved.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const match = /^:(\S+) /.exec(line);
    if (match && table) chains.add(`${table}/${match[1]}`);
  }
  return chains;
}
