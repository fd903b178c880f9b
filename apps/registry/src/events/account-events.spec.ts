import { parseAccountChanged } from './account-events';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('account-changed events', () => {
  it('reads the event from its envelope', () => {
    expect(parseAccountChanged(encode({ pattern: 'silo.registry.account-changed', data: { name: 'alice', change: 'deleted' } }))).toEqual({ name: 'alice', change: 'deleted' });
    expect(parseAccountChanged(encode({ data: { name: 'acme+ci', change: 'session-revoked', extra: 1 } }))).toEqual({ name: 'acme+ci', change: 'session-revoked' });
  });

  it('ignores anything else', () => {
    expect(parseAccountChanged(encode({ data: { name: 'alice', change: 'renamed' } }))).toBeUndefined();
    expect(parseAccountChanged(encode({ data: { change: 'deleted' } }))).toBeUndefined();
    expect(parseAccountChanged(encode('just a string'))).toBeUndefined();
    expect(parseAccountChanged(new TextEncoder().encode('{not json'))).toBeUndefined();
  });
});
