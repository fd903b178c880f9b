import { useState } from 'preact/hooks';
import { api } from '../api';
import { Card, ErrorBox, useAction } from '../components';
import { href, navigate } from '../router';
import type { Principal, ServiceSpec, ServiceView } from '../types';
import { canManageWorkload, deployTeams, isAdmin, parseEnv, parsePorts, splitCommand } from '../util';

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** The same for the input's `pattern` (anchored by the browser, compiled with the `v` flag: "-" escaped). */
const NAME_PATTERN = '[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?';

/** "Deploy service": the common fields of a ServiceSpec → POST /api/v1/services. */
export function DeployPage({ principal }: { principal: Principal }) {
  const teams = deployTeams(principal);
  const [form, setForm] = useState({ name: '', image: '', replicas: '1', command: '', env: '', ports: '', team: teams.length === 1 ? (teams[0] ?? '') : '' });
  const action = useAction();
  const set = (field: keyof typeof form) => (e: Event) => {
    action.clear();
    setForm({ ...form, [field]: (e.currentTarget as HTMLInputElement).value });
  };

  if (!canManageWorkload(principal)) {
    return (
      <div class="page">
        <h1>Deploy a service</h1>
        <div class="alert alert-info">Your role ({principal.role}) cannot deploy services. An admin, or a member with push rights in a team, can.</div>
      </div>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    let spec: ServiceSpec;
    try {
      spec = buildSpec(form);
    } catch (err) {
      action.run(() => Promise.reject(err));
      return;
    }
    let created: ServiceView | undefined;
    const ok = await action.run(async () => {
      created = (await api.post<{ service: ServiceView }>('/services', spec)).service;
    });
    if (ok && created) navigate(`/services/${encodeURIComponent(created.name)}`);
  };

  return (
    <div class="page">
      <nav class="breadcrumb">
        <a href={href('/')}>Overview</a> / deploy
      </nav>
      <h1>Deploy a service</h1>
      <Card>
        <form class="form" onSubmit={submit} data-testid="deploy-form">
          <div class="form-row">
            <label class="field">
              <span>Name</span>
              <input required placeholder="web" value={form.name} onInput={set('name')} data-testid="deploy-name" pattern={NAME_PATTERN} title="lowercase letters, digits and -, at most 63" />
              <small>A DNS label: lowercase letters, digits and “-”.</small>
            </label>
            <label class="field field-narrow">
              <span>Replicas</span>
              <input type="number" min={0} required value={form.replicas} onInput={set('replicas')} data-testid="deploy-replicas" />
            </label>
            {(teams.length > 0 || isAdmin(principal)) && (
              <label class="field field-narrow">
                <span>Team</span>
                <select value={form.team} onChange={set('team')} data-testid="deploy-team">
                  {(isAdmin(principal) || teams.length !== 1) && <option value="">{isAdmin(principal) ? '(none)' : 'choose…'}</option>}
                  {teams.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
          <label class="field">
            <span>Image</span>
            <input required class="mono" placeholder="team/app:1.0" value={form.image} onInput={set('image')} data-testid="deploy-image" />
            <small>A repository of this Silo's registry (team/app:tag), or host/repository:tag of another registry.</small>
          </label>
          <label class="field">
            <span>Command</span>
            <input class="mono" placeholder={`sh -c 'echo hello; sleep 3600'`} value={form.command} onInput={set('command')} data-testid="deploy-command" />
            <small>Replaces the image's entrypoint; split like a shell does (quotes work), or a JSON array. Empty: the image's own.</small>
          </label>
          <div class="form-row">
            <label class="field">
              <span>Environment</span>
              <textarea class="mono" rows={4} placeholder={'KEY=value\nOTHER=value'} value={form.env} onInput={set('env')} data-testid="deploy-env" />
            </label>
            <label class="field">
              <span>Published ports</span>
              <input class="mono" placeholder="8080:80, 53:53/udp" value={form.ports} onInput={set('ports')} data-testid="deploy-ports" />
              <small>host:container[/tcp|udp], separated by commas.</small>
            </label>
          </div>
          <ErrorBox error={action.error} testId="deploy-error" />
          <div class="button-row">
            <button type="submit" class="button button-primary" disabled={action.busy} data-testid="deploy-submit">
              {action.busy ? 'Deploying…' : 'Deploy'}
            </button>
            <a class="button button-ghost" href={href('/')}>
              Cancel
            </a>
          </div>
        </form>
      </Card>
    </div>
  );
}

function buildSpec(form: { name: string; image: string; replicas: string; command: string; env: string; ports: string; team: string }): ServiceSpec {
  const name = form.name.trim();
  if (!NAME.test(name)) throw new Error('name must be a DNS label: lowercase letters, digits and "-", at most 63');
  const replicas = Number(form.replicas);
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error('replicas must be a whole number, 0 or more');
  const spec: ServiceSpec = { name, image: form.image.trim(), replicas };
  const command = splitCommand(form.command);
  if (command.length > 0) spec.command = command;
  const env = parseEnv(form.env);
  if (Object.keys(env).length > 0) spec.env = env;
  const ports = parsePorts(form.ports);
  if (ports.length > 0) spec.ports = ports;
  if (form.team) spec.team = form.team;
  return spec;
}
