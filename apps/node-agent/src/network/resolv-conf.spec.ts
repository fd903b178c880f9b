import { containerResolvConf } from './resolv-conf';

describe('containerResolvConf', () => {
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nsearch example.internal\noptions edns0\n';

  it('bridge: drops loopback nameservers, keeps the rest', () => {
    expect(containerResolvConf('bridge', host)).toBe('# generated\nnameserver 10.255.255.53\nsearch example.internal\noptions edns0\n');
  });

  it('host: the host file as it is; none: nothing', () => {
    expect(containerResolvConf('host', host)).toBe(host);
    expect(containerResolvConf('none', host)).toBe('');
  });

  it('bridge with only a local resolver: no nameserver rather than an invented one', () => {
    expect(containerResolvConf('bridge', 'nameserver 127.0.0.53\n')).toBe('');
  });
});
