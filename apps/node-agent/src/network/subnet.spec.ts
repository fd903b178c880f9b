import { Ipam } from './ipam';
import { AddressExhaustedError } from './network.types';
import { intToIp, ipToInt, Subnet } from './subnet';

describe('Subnet', () => {
  it('parses a /24 and knows its gateway, broadcast and container range', () => {
    const subnet = Subnet.parse('10.88.0.0/24');
    expect(subnet.cidr).toBe('10.88.0.0/24');
    expect(subnet.gateway).toBe('10.88.0.1');
    expect(intToIp(subnet.broadcast)).toBe('10.88.0.255');
    expect(intToIp(subnet.firstHost)).toBe('10.88.0.2');
    expect(intToIp(subnet.lastHost)).toBe('10.88.0.254');
    expect(subnet.capacity).toBe(253);
    expect(subnet.isAssignable('10.88.0.1')).toBe(false);
    expect(subnet.isAssignable('10.88.0.255')).toBe(false);
    expect(subnet.isAssignable('10.88.0.7')).toBe(true);
    expect(subnet.contains('10.88.1.7')).toBe(false);
  });

  it('handles addresses above 128.0.0.0 (no sign trouble)', () => {
    expect(ipToInt('255.255.255.255')).toBe(0xffffffff);
    expect(intToIp(0xc0a80001)).toBe('192.168.0.1');
    expect(Subnet.parse('192.168.4.0/22').gateway).toBe('192.168.4.1');
  });

  it.each([
    ['10.88.0.1/24', /host bits set.*10\.88\.0\.0\/24/],
    ['10.88.0.0', /not an IPv4 CIDR/],
    ['10.88.0.0/30', /between \/8 and \/29/],
    ['300.1.1.0/24', /not an IPv4 CIDR/],
  ])('rejects %s', (cidr, message) => {
    expect(() => Subnet.parse(cidr)).toThrow(message);
  });
});

describe('Ipam', () => {
  const ipam = new Ipam(Subnet.parse('10.9.0.0/29')); // .2 … .6: five container addresses

  it('starts at the first container address and never hands out network, gateway or broadcast', () => {
    const allocated = new Set<string>();
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      cursor = ipam.next(allocated, cursor);
      allocated.add(cursor);
    }
    expect([...allocated]).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
  });

  it('says clearly when the subnet is full', () => {
    const full = new Set(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    expect(() => ipam.next(full, '10.9.0.6')).toThrow(AddressExhaustedError);
    expect(() => ipam.next(full)).toThrow('no free address left in 10.9.0.0/29: all 5 container addresses are allocated');
  });

  it('goes round-robin: a released address comes back only after the others, and the search wraps', () => {
    // .2 .3 .4 allocated, cursor at .4; .3 released → next is .5, then .6, then (wrapping) .3
    const allocated = new Set(['10.9.0.2', '10.9.0.4']);
    expect(ipam.next(allocated, '10.9.0.4')).toBe('10.9.0.5');
    allocated.add('10.9.0.5');
    expect(ipam.next(allocated, '10.9.0.5')).toBe('10.9.0.6');
    allocated.add('10.9.0.6');
    expect(ipam.next(allocated, '10.9.0.6')).toBe('10.9.0.3');
  });

  it('ignores a cursor outside the subnet', () => {
    expect(ipam.next(new Set(), '192.168.1.1')).toBe('10.9.0.2');
  });
});
