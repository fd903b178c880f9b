import { normalizeArch, parseConstraint, parsePreference, PlacementSpecError, validateTaskSpec } from './constraints';
import { replicas } from './test-fixtures';

describe('parseConstraint', () => {
  it.each([
    ['node.labels.zone==eu', { attribute: 'label', key: 'zone', op: '==', value: 'eu' }],
    ['node.hostname != h1', { attribute: 'hostname', op: '!=', value: 'h1' }],
    ['node.id==abc123', { attribute: 'id', op: '==', value: 'abc123' }],
    ['node.platform.arch==x86_64', { attribute: 'arch', op: '==', value: 'amd64' }],
    ['node.platform.os==Linux', { attribute: 'os', op: '==', value: 'linux' }],
    ['node.labels.topology.kubernetes.io/zone==eu-1', { attribute: 'label', key: 'topology.kubernetes.io/zone', value: 'eu-1' }],
  ])('parses %s', (text, expected) => {
    expect(parseConstraint(text)).toMatchObject(expected);
  });

  it('keeps a normalised text for explanations', () => {
    expect(parseConstraint('  node.labels.zone ==  eu ').text).toBe('node.labels.zone==eu');
  });

  it.each([
    ['node.labels.zone=eu', /expected <attribute>==<value>.*\(use == or !=\)/],
    ['node.labels.zone', /expected <attribute>==<value>/],
    ['node.labels.zone==', /value after == is empty/],
    ['==eu', /attribute before == is empty/],
    ['node.zone==eu', /unknown attribute "node.zone" \(use node.id, node.hostname, node.platform.os, node.platform.arch or node.labels.<key>\)/],
    ['node.labels.==eu', /"" is not a valid label key/],
    ['node.labels.zone==eu==us', /more than one operator/],
    ['node.labels.zone>eu', /use == or !=/],
  ])('rejects %s with a clear error', (text, message) => {
    expect(() => parseConstraint(text)).toThrow(PlacementSpecError);
    expect(() => parseConstraint(text)).toThrow(message);
    expect(() => parseConstraint(text)).toThrow(`"${text}"`);
  });
});

describe('parsePreference', () => {
  it('parses spread=node.labels.<key>', () => {
    expect(parsePreference('spread=node.labels.zone')).toEqual({ text: 'spread=node.labels.zone', labelKey: 'zone' });
  });
  it.each(['spread=zone', 'pack=node.labels.zone', 'spread=node.labels.'])('rejects %s', (text) => {
    expect(() => parsePreference(text)).toThrow(/invalid placement preference .*expected spread=node.labels.<key>|not a valid label key/);
  });
});

describe('validateTaskSpec', () => {
  it('lists every problem', () => {
    const [t] = replicas('web', 1, {
      constraints: ['node.labels.zone=eu', 'node.hostname!=h1'],
      preferences: ['spread=rack'],
      hostPorts: [
        { port: 80, protocol: 'tcp' },
        { port: 80, protocol: 'tcp' },
        { port: 70000, protocol: 'tcp' },
      ],
      maxReplicasPerNode: -1,
    });
    const problems = validateTaskSpec(t!);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/node.labels.zone=eu/);
    expect(problems.join('\n')).toMatch(/spread=rack/);
    expect(problems.join('\n')).toMatch(/80\/tcp is published twice/);
    expect(problems.join('\n')).toMatch(/70000 is not in 1…65535/);
    expect(problems.join('\n')).toMatch(/maxReplicasPerNode/);
  });
  it('accepts a good spec', () => {
    expect(validateTaskSpec(replicas('web', 1, { constraints: ['node.labels.zone==eu'] })[0]!)).toEqual([]);
  });
  it('normalises architectures', () => {
    expect(normalizeArch('aarch64')).toBe('arm64');
    expect(normalizeArch('AMD64')).toBe('amd64');
  });
});
