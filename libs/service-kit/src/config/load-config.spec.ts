import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { BaseServiceConfig } from './base-service.config';
import { EnvVar } from './env-var.decorator';
import { ConfigError, describeConfig, loadConfig } from './load-config';

class DemoConfig extends BaseServiceConfig {
  @EnvVar('SILO_DEMO_PORT') @IsInt() @Min(1) @Max(65535) port = 1234;
  @EnvVar('SILO_DEMO_TOKEN', { secret: true }) @IsOptional() @IsString() token?: string;
}

describe('loadConfig', () => {
  it('uses working defaults when nothing is set', () => {
    const config = loadConfig('demo', DemoConfig, {});
    expect(config).toBeInstanceOf(DemoConfig);
    expect(config.port).toBe(1234);
    expect(config.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(config.home).toMatch(/\.silo$/);
  });

  it('converts by the default value type and reads inherited variables', () => {
    const config = loadConfig('demo', DemoConfig, { SILO_DEMO_PORT: '8080', SILO_NATS_TIMEOUT_MS: '250', SILO_HOME: '/x' });
    expect(config.port).toBe(8080);
    expect(config.natsTimeoutMs).toBe(250);
    expect(config.home).toBe('/x');
  });

  it('names every bad variable with its value, masking secrets', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig('demo', DemoConfig, { SILO_DEMO_PORT: 'eighty', SILO_NATS_URL: 'http://x', SILO_LOG_LEVEL: 'loud', SILO_DEMO_TOKEN: '' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toHaveLength(3);
    expect(error!.message).toContain('demo: invalid configuration');
    expect(error!.message).toContain('SILO_DEMO_PORT="eighty": SILO_DEMO_PORT must');
    expect(error!.message).toContain('SILO_NATS_URL="http://x": SILO_NATS_URL must be a NATS URL');
    expect(error!.message).toContain('SILO_LOG_LEVEL="loud"');
  });

  it('describes the effective configuration without secrets', () => {
    const described = describeConfig(loadConfig('demo', DemoConfig, { SILO_DEMO_TOKEN: 'hunter2' }));
    expect(described['SILO_DEMO_TOKEN']).toBe('***');
    expect(described['SILO_DEMO_PORT']).toBe(1234);
  });
});
