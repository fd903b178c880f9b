import { ContractViolation, validateContract } from './validate-contract';
import { HealthRequest } from '../health/health.contract';
import { NodeRegisterRequest } from '../node-register/node-register.contract';

const goodNode = {
  nodeId: 'node-1',
  hostname: 'h1',
  agentVersion: '0.1.0',
  platform: { os: 'linux', arch: 'amd64' },
  kernel: '6.1.0',
  cgroupMode: 'hybrid',
  capacity: { cpuMillis: 2000, memoryBytes: 1024 },
  labels: { zone: 'eu' },
};

describe('validateContract', () => {
  it('returns a typed instance for a valid message', () => {
    const node = validateContract(NodeRegisterRequest, goodNode);
    expect(node).toBeInstanceOf(NodeRegisterRequest);
    expect(node.capacity.cpuMillis).toBe(2000);
  });

  it('accepts an empty health request, and a missing one', () => {
    expect(validateContract(HealthRequest, {})).toBeInstanceOf(HealthRequest);
    expect(validateContract(HealthRequest, undefined)).toBeInstanceOf(HealthRequest);
  });

  it('lists every problem, nested ones with dotted paths', () => {
    const bad = { ...goodNode, nodeId: 'X', cgroupMode: 'v3', capacity: { cpuMillis: 0, memoryBytes: 'lots' } };
    let error: unknown;
    try {
      validateContract(NodeRegisterRequest, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractViolation);
    const violation = error as ContractViolation;
    expect(violation.code).toBe('VALIDATION_FAILED');
    expect(violation.problems.map((p) => p.path).sort()).toEqual(
      ['capacity.cpuMillis', 'capacity.memoryBytes', 'cgroupMode', 'nodeId'].sort(),
    );
  });

  it('rejects unknown fields and non-object payloads', () => {
    expect(() => validateContract(HealthRequest, { extra: 1 })).toThrow(/property extra should not exist/);
    expect(() => validateContract(HealthRequest, 'garbage')).toThrow(/must be a JSON object/);
    expect(() => validateContract(HealthRequest, [1, 2])).toThrow(/must be a JSON object/);
  });
});
