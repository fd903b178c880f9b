import type { ManifestDeleteReply, ManifestGetReply, RepositoryDeleteReply, RepositoryDetail, RepositorySummary } from '@silo/contracts';
import { parseImageReference } from '@silo/domain';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { GlobalOptions, resolveTarget } from '../config/target';
import { readDockerArchive } from '../image/docker-archive-reader';
import type { ImageToPush } from '../image/image-source';
import { readOciLayout } from '../image/oci-layout-reader';
import { barReporter, lineReporter } from '../image/push-progress';
import { RegistryCredentials, RegistryPusher, registryBaseUrl } from '../image/registry-pusher';
import type { CliIo } from '../output/io';
import { ago, formatBytes, OutputFormat, outputOption, print, printList, renderFields } from '../output/render';
import { renderTable } from '../output/table';
import { clientFor, enc, encPath, group, runAction } from './command-kit';

/** `team/web:1.0` → repository and tag (a digest reference keeps the digest). */
export function splitNameTag(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { repository: reference.slice(0, at), tag: reference.slice(at + 1) };
  const colon = reference.lastIndexOf(':');
  if (colon > reference.lastIndexOf('/')) return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { repository: reference, tag: 'latest' };
}

/** A reference as the user wrote it may carry the registry host: strip it, the repository is Silo's. */
export function repositoryPart(reference: string): { repository: string; tag: string } {
  const { repository, tag } = splitNameTag(reference);
  const parts = repository.split('/');
  const hasHost = parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost');
  const name = hasHost ? parts.slice(1).join('/') : repository;
  return { repository: name.replace(/^docker\.io\/(library\/)?/, ''), tag };
}

function validReference(repository: string, tag: string): void {
  try {
    parseImageReference(`${repository}:${tag}`);
  } catch (err) {
    throw new Error(`"${repository}:${tag}" is not a valid image name: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `silo image ls|inspect|rm|push`. */
export function registerImageCommand(program: Command, io: CliIo): void {
  const image = group(program, 'image', 'images in Silo\'s registry');

  image.command('ls').alias('list').description('list repositories').addOption(outputOption())
    .action(async (flags: { output: OutputFormat }, command: Command) => runAction(io, async () => {
      const reply = await clientFor(command, io).get<{ repositories: RepositorySummary[] }>('/api/v1/images');
      printList(io, flags.output, reply, reply.repositories, [
        ['repository', (r) => r.name],
        ['tags', (r) => String(r.tagCount)],
        ['manifests', (r) => String(r.manifestCount)],
        ['size', (r) => formatBytes(r.sizeBytes)],
        ['public', (r) => (r.public ? 'yes' : 'no')],
        ['updated', (r) => ago(r.updatedAt)],
      ], 'No images. Push one with: silo image push DIR-or-TAR NAME:TAG');
    }));

  image.command('inspect').description('a repository\'s tags, or one image\'s manifest, config and layers (NAME:TAG or NAME@DIGEST)')
    .argument('<name>').addOption(outputOption())
    .action(async (name: string, flags: { output: OutputFormat }, command: Command) => runAction(io, async () => {
      const client = clientFor(command, io);
      const hasReference = name.includes('@') || name.lastIndexOf(':') > name.lastIndexOf('/');
      if (!hasReference) {
        const reply = await client.get<{ repository: RepositoryDetail }>(`/api/v1/images/${encPath(name)}`);
        const r = reply.repository;
        print(io, flags.output, reply, () =>
          renderFields([['Repository', r.name], ['Public', r.public ? 'yes' : 'no'], ['Size', formatBytes(r.sizeBytes)], ['Manifests', r.manifestCount]]) +
          `\n${r.tags.length ? renderTable(['tag', 'digest', 'type', 'size', 'updated'], r.tags.map((t) => [t.tag, t.digest, t.mediaType.replace(/^application\/vnd\./, ''), formatBytes(t.sizeBytes), ago(t.updatedAt)])) : 'No tags.\n'}`,
        );
        return;
      }
      const { repository, tag } = splitNameTag(name);
      const reply = await client.get<ManifestGetReply>(`/api/v1/images/${encPath(repository)}/manifests/${enc(tag)}`);
      print(io, flags.output, reply, () => {
        const config = (reply.config ?? {}) as { architecture?: string; os?: string; created?: string; config?: { Entrypoint?: string[]; Cmd?: string[] } };
        return renderFields([
          ['Name', reply.name],
          ['Digest', reply.digest],
          ['Type', reply.mediaType],
          ['Tags', reply.tags.join(', ')],
          ['Size', formatBytes(reply.sizeBytes)],
          ['Platform', config.os ? `${config.os}/${config.architecture ?? '?'}` : undefined],
          ['Created', config.created],
          ['Entrypoint', config.config?.Entrypoint?.join(' ')],
          ['Cmd', config.config?.Cmd?.join(' ')],
        ]) + `\n${reply.layers.length ? renderTable(['layer', 'type', 'size'], reply.layers.map((l) => [l.digest, l.mediaType.replace(/^application\/vnd\./, ''), formatBytes(l.size)])) : ''}`;
      });
    }));

  image.command('rm').alias('remove').description('untag NAME:TAG, delete NAME@DIGEST, or delete every manifest of NAME (then silo registry gc frees the space)')
    .argument('<name...>')
    .action(async (names: string[], _f: object, command: Command) => runAction(io, async () => {
      const client = clientFor(command, io);
      for (const name of names) {
        const hasReference = name.includes('@') || name.lastIndexOf(':') > name.lastIndexOf('/');
        if (!hasReference) {
          const reply = await client.send<RepositoryDeleteReply>('DELETE', `/api/v1/images/${encPath(name)}`);
          io.out(`Deleted ${reply.name}: ${reply.deletedManifests} manifests\n`);
          continue;
        }
        const { repository, tag } = splitNameTag(name);
        const reply = await client.send<ManifestDeleteReply>('DELETE', `/api/v1/images/${encPath(repository)}/manifests/${enc(tag)}`);
        if (reply.deletedTags?.length) io.out(`Untagged: ${reply.deletedTags.map((t) => `${repository}:${t}`).join(', ')}\n`);
        if (reply.deletedDigest) io.out(`Deleted: ${repository}@${reply.deletedDigest}\n`);
      }
    }));

  image.command('push')
    .description('push an OCI image layout directory or a docker save tarball to Silo\'s registry (progress per layer)')
    .argument('<source>', 'an OCI layout directory, or a tarball from docker save (or an OCI archive)')
    .argument('[name]', 'NAME:TAG to push as (default: the name in the source)')
    .option('--ref <ref>', 'which image of a source holding several (layout ref name or docker RepoTag)')
    .option('--registry <host:port>', 'the registry (default: the context\'s, or the local platform\'s)')
    .option('--creds <user:password>', 'registry credentials (default: the context\'s session, or the local admin)')
    .option('-q, --quiet', 'no progress, only the pushed reference')
    .addOption(outputOption())
    .action(async (source: string, name: string | undefined, flags: { ref?: string; registry?: string; creds?: string; quiet?: boolean; output: OutputFormat }, command: Command) =>
      runAction(io, async () => {
        const target = resolveTarget(command.optsWithGlobals<GlobalOptions>(), io);
        const registry = flags.registry ?? io.env['SILO_REGISTRY'] ?? target.registry;
        if (!registry) throw new Error('no registry address: give --registry HOST:PORT (or log in with silo login --registry)');
        const path = resolve(io.cwd, source);
        let stat;
        try {
          stat = statSync(path);
        } catch {
          throw new Error(`${source}: no such file or directory`);
        }
        let imageToPush: ImageToPush;
        let cleanup = () => {};
        if (stat.isDirectory()) imageToPush = readOciLayout(path, flags.ref);
        else {
          const archive = await readDockerArchive(path, flags.ref);
          imageToPush = archive;
          cleanup = archive.cleanup;
        }
        try {
          const reference = name ?? imageToPush.suggestedReference;
          if (!reference) throw new Error(`${source} names no image: give NAME:TAG`);
          if (!name && !/[/:]/.test(reference)) throw new Error(`${source} only names the tag "${reference}": give NAME:TAG`);
          const { repository, tag } = repositoryPart(reference);
          validReference(repository, tag);
          const credentials = credentialsFor(flags.creds, target);
          const reporter = flags.quiet || flags.output !== 'table' ? { blob: () => ({ progress: () => {}, done: () => {} }), log: () => {}, stop: () => {} } : io.terminal?.stdoutIsTTY ? barReporter(io.terminal.stderrStream) : lineReporter(io);
          const result = await new RegistryPusher(registryBaseUrl(registry), credentials, reporter).push(imageToPush, repository, tag);
          const host = registry.replace(/^https?:\/\//, '');
          print(io, flags.output, { ...result, registry: host, reference: `${host}/${repository}:${tag}` }, () =>
            flags.quiet ? `${host}/${repository}:${tag}\n` : `Pushed ${host}/${repository}:${tag} (${result.digest}): ${result.pushed} blobs uploaded, ${result.skipped} already there\n`,
          );
        } finally {
          cleanup();
        }
      }),
    );
}

function credentialsFor(creds: string | undefined, target: { username?: string; password?: string; token?: string }): RegistryCredentials {
  if (creds) {
    const colon = creds.indexOf(':');
    if (colon <= 0) throw new Error('--creds: use USER:PASSWORD');
    return { username: creds.slice(0, colon), password: creds.slice(colon + 1) };
  }
  // The registry takes a login session token as the password of its own account (Basic, or the token flow).
  if (target.token && target.username) return { username: target.username, password: target.token };
  if (target.token) return { bearer: target.token };
  if (target.username !== undefined && target.password !== undefined) return { username: target.username, password: target.password };
  return undefined;
}
