import type { ClusterTask, NodeView } from '@silo/contracts';
import { formatCpu, formatMemory } from '@silo/domain';
import { Command, Option } from 'commander';
import type { CliIo } from '../output/io';
import { ago, OutputFormat, outputOption, print, printList, renderFields } from '../output/render';
import { parseKeyValue } from '../service/spec-flags';
import { clientFor, collect, enc, group, runAction } from './command-kit';
import { renderTasks } from './task-table';

const labelsOf = (n: NodeView) => Object.entries(n.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '-';
const usage = (used: number | undefined, total: number | undefined, format: (n: number) => string) => `${format(used ?? 0)}/${total !== undefined ? format(total) : '-'}`;

/** `silo node ls|inspect|update` (join tokens: node-join-token.command.ts). */
export function registerNodeCommand(program: Command, io: CliIo): void {
  const node = group(program, 'node', "operate the cluster's nodes");

  node
    .command('ls')
    .alias('list')
    .description('list nodes: state, availability, allocated resources, tasks')
    .addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const reply = await clientFor(command, io).get<{ nodes: NodeView[] }>('/api/v1/nodes');
        printList(io, flags.output, reply, reply.nodes, [
          ['id', (n) => n.nodeId],
          ['hostname', (n) => n.hostname],
          ['state', (n) => n.state],
          ['availability', (n) => n.availability],
          ['cpu', (n) => usage(n.allocated?.cpuMillis, n.allocatable?.cpuMillis, formatCpu)],
          ['memory', (n) => usage(n.allocated?.memoryBytes, n.allocatable?.memoryBytes, formatMemory)],
          ['tasks', (n) => `${n.runningTasks}/${n.tasks}`],
          ['labels', labelsOf],
          ['heartbeat', (n) => ago(n.lastHeartbeatAt)],
        ], 'No nodes. Join one with: silo node join-token create');
      }),
    );

  node
    .command('inspect')
    .description("a node's details and its tasks")
    .argument('<id>', 'node id (or hostname)')
    .addOption(outputOption())
    .action(async (id: string, flags: { output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const reply = await clientFor(command, io).get<{ node: NodeView; tasks: ClusterTask[] }>(`/api/v1/nodes/${enc(id)}`);
        const n = reply.node;
        print(io, flags.output, reply, () =>
          renderFields([
            ['ID', n.nodeId],
            ['Hostname', n.hostname],
            ['Address', n.address],
            ['State', n.state],
            ['Availability', n.availability],
            ['Platform', n.platform ? `${n.platform.os}/${n.platform.arch}` : undefined],
            ['Agent', n.agentVersion],
            ['Labels', labelsOf(n)],
            ['CPU', `${usage(n.allocated?.cpuMillis, n.allocatable?.cpuMillis, formatCpu)} allocated (capacity ${formatCpu(n.capacity?.cpuMillis ?? 0)})`],
            ['Memory', `${usage(n.allocated?.memoryBytes, n.allocatable?.memoryBytes, formatMemory)} allocated (capacity ${formatMemory(n.capacity?.memoryBytes ?? 0)})`],
            ['Tasks', `${n.runningTasks} running of ${n.tasks}`],
            ['Heartbeat', n.lastHeartbeatAt ? `${n.lastHeartbeatAt} (${ago(n.lastHeartbeatAt)})` : undefined],
          ]) + `\n${renderTasks(reply.tasks)}`,
        );
      }),
    );

  node
    .command('update')
    .description("change a node's availability (drain moves its tasks away) and labels")
    .argument('<id>')
    .addOption(new Option('--availability <availability>', 'active, pause (no new tasks) or drain (move tasks away)').choices(['active', 'pause', 'drain']))
    .option('--label-add <KEY=VALUE>', 'add or change a label (repeatable)', collect)
    .option('--label-rm <KEY>', 'remove a label (repeatable)', collect)
    .addOption(outputOption())
    .action(async (id: string, flags: { availability?: string; labelAdd?: string[]; labelRm?: string[]; output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const body = {
          ...(flags.availability ? { availability: flags.availability } : {}),
          ...(flags.labelAdd?.length ? { labelsAdd: Object.fromEntries(flags.labelAdd.map((l) => parseKeyValue(l, '--label-add'))) } : {}),
          ...(flags.labelRm?.length ? { labelsRemove: flags.labelRm } : {}),
        };
        if (Object.keys(body).length === 0) throw new Error('nothing to update: give --availability, --label-add or --label-rm');
        const reply = await clientFor(command, io).send<{ node: NodeView }>('PATCH', `/api/v1/nodes/${enc(id)}`, body);
        print(io, flags.output, reply, () => `${reply.node.nodeId}: ${reply.node.availability}, labels ${labelsOf(reply.node)}\n`);
      }),
    );
}
