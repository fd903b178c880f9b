import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import type { INestApplication } from '@nestjs/common';
import { HealthReply } from '@silo/contracts';
import { SiloError } from '@silo/domain';
import { NatsServerHandle, startNatsServer, waitFor } from '@silo/testing';
import { IsString } from 'class-validator';
import { connect, NatsConnection } from 'nats';
import { NatsClient } from './client/nats-client';
import { NatsConnectionService } from './connection/nats-connection.service';
import { InvalidJsonPayload } from './nest/invalid-json-payload';
import { SiloNatsServer } from './nest/silo-nats.server';

class Echo {
  @IsString() text!: string;
}

@Controller()
class EchoController {
  @MessagePattern('silo.test.echo.say')
  say(@Payload() data: unknown) {
    if (data instanceof InvalidJsonPayload) return { text: 'invalid-json' };
    return { text: (data as { text?: string })?.text ?? '' };
  }

  @MessagePattern('silo.test.echo.fail')
  fail() {
    throw new RpcException({ code: 'CONFLICT', message: 'echo refuses', details: { why: 'test' } });
  }

  @MessagePattern('silo.test.echo.slow')
  async slow() {
    await new Promise((r) => setTimeout(r, 1000));
    return { text: 'late' };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const quiet = { log() {}, warn() {}, error() {} };

async function startEcho(url: string, queue = 'silo.test'): Promise<{ app: INestApplication; connection: NatsConnectionService }> {
  const connection = new NatsConnectionService({ url, name: 'echo', logger: quiet, retryMinMs: 50, retryMaxMs: 200 });
  const app = await NestFactory.create(EchoModule, { logger: false });
  app.connectMicroservice({ strategy: new SiloNatsServer(connection, { queue }) });
  await app.init();
  await app.startAllMicroservices();
  return { app, connection };
}

describe('messaging over a real nats-server', () => {
  let nats: NatsServerHandle;
  let echo: { app: INestApplication; connection: NatsConnectionService };
  let callerConnection: NatsConnectionService;
  let client: NatsClient;

  beforeAll(async () => {
    nats = await startNatsServer();
    echo = await startEcho(nats.url);
    callerConnection = new NatsConnectionService({ url: nats.url, name: 'caller', logger: quiet });
    await callerConnection.ready();
    client = new NatsClient(callerConnection, 2000);
  });

  afterAll(async () => {
    await echo?.app.close();
    await echo?.connection.close();
    await callerConnection?.close();
    await nats?.stop();
  });

  it('requests and validates the reply against its contract', async () => {
    await expect(client.request('silo.test.echo.say', { text: 'hi' }, { reply: Echo })).resolves.toEqual({ text: 'hi' });
  });

  it('refuses a reply that breaks the contract', async () => {
    await expect(client.request('silo.test.echo.say', { text: 'hi' }, { reply: HealthReply })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('invalid reply on silo.test.echo.say'),
    });
  });

  it('carries the remote structured error with its code and details', async () => {
    const error = await client.request('silo.test.echo.fail', {}, { reply: Echo }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiloError);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'echo refuses', details: { why: 'test' } });
  });

  it('command: resolves once answered without validating the body; carries remote errors, TIMEOUT and UNAVAILABLE', async () => {
    // the echo's reply would break HealthReply's contract: a command does not look at it
    await expect(client.command('silo.test.echo.say', { text: 'hi' })).resolves.toBeUndefined();
    await expect(client.command('silo.test.echo.fail', {})).rejects.toMatchObject({ code: 'CONFLICT', message: 'echo refuses' });
    await expect(client.command('silo.test.echo.slow', {}, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(client.command('silo.test.nobody.home', {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('times out with TIMEOUT, and says UNAVAILABLE when nobody listens', async () => {
    await expect(client.request('silo.test.echo.slow', {}, { reply: Echo, timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(client.request('silo.test.nobody.home', {}, { reply: Echo })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('answers plain requests that are not in the Nest envelope, and garbage bodies without crashing', async () => {
    const raw: NatsConnection = await connect({ servers: nats.url });
    try {
      const plain = await raw.request('silo.test.echo.say', new TextEncoder().encode('{"text":"plain"}'), { timeout: 2000 });
      expect(JSON.parse(new TextDecoder().decode(plain.data))).toMatchObject({ response: { text: 'plain' } });
      const garbage = await raw.request('silo.test.echo.say', new TextEncoder().encode('{not json'), { timeout: 2000 });
      expect(JSON.parse(new TextDecoder().decode(garbage.data))).toMatchObject({ response: { text: 'invalid-json' } });
    } finally {
      await raw.close();
    }
    // and the server still serves afterwards
    await expect(client.request('silo.test.echo.say', { text: 'still here' }, { reply: Echo })).resolves.toEqual({ text: 'still here' });
  });

  it('shares commands in a queue group: each request is answered once', async () => {
    const second = await startEcho(nats.url);
    try {
      const { replies } = await client.requestMany('silo.test.echo.say', { text: 'once' }, { reply: Echo, timeoutMs: 300 });
      expect(replies).toEqual([{ text: 'once' }]);
    } finally {
      await second.app.close();
      await second.connection.close();
    }
  });

  it('gathers one reply per responder when there is no queue group', async () => {
    const a = await startEcho(nats.url, '');
    const b = await startEcho(nats.url, '');
    try {
      const { replies } = await client.requestMany('silo.test.echo.say', { text: 'all' }, { reply: Echo, timeoutMs: 300 });
      // the queue-grouped echo answers once, plus a and b
      expect(replies).toHaveLength(3);
    } finally {
      for (const s of [a, b]) {
        await s.app.close();
        await s.connection.close();
      }
    }
  });
});

describe('NATS unreachable at start', () => {
  it('keeps retrying with a visible message and serves once NATS comes', async () => {
    const nats = await startNatsServer();
    await nats.kill();
    const warnings: string[] = [];
    const connection = new NatsConnectionService({
      url: nats.url,
      name: 'late',
      logger: { log() {}, error() {}, warn: (m: string) => warnings.push(m) },
      retryMinMs: 50,
      retryMaxMs: 100,
    });
    const app = await NestFactory.create(EchoModule, { logger: false });
    app.connectMicroservice({ strategy: new SiloNatsServer(connection, { queue: 'silo.test' }) });
    await app.init();
    const serving = app.startAllMicroservices();
    try {
      await waitFor(() => warnings.length >= 2, { description: 'retry warnings' });
      expect(warnings[0]).toMatch(/NATS not reachable at nats:\/\/127\.0\.0\.1:\d+ .*retrying/);
      expect(connection.isConnected()).toBe(false);
      await nats.start();
      await serving;
      const caller = new NatsConnectionService({ url: nats.url, name: 'caller', logger: quiet });
      await caller.ready();
      await expect(new NatsClient(caller).request('silo.test.echo.say', { text: 'late' }, { reply: Echo })).resolves.toEqual({ text: 'late' });
      await caller.close();
    } finally {
      await app.close();
      await connection.close();
      await nats.stop();
    }
  });
});
