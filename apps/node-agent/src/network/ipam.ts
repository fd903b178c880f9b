import { AddressExhaustedError } from './network.types';
import { intToIp, ipToInt, Subnet } from './subnet';

/**
 * Address management for one subnet. Pure: it reads and changes the allocation table it is given
 * (the `endpoints` of the network state, container id → address) and the round-robin cursor; the
 * caller serializes calls and persists the result before anyone uses the address.
 *
 * - never hands out an address that is allocated (to any container);
 * - skips the network address, the gateway (the bridge's own address) and the broadcast address;
 * - round-robin like Docker: the search starts after the last address handed out, so a just
 *   released address is reused only once every other address has had its turn.
 */
export class Ipam {
  constructor(readonly subnet: Subnet) {}

  /**
   * The next free address after `cursor` (wrapping around), or AddressExhaustedError.
   * `allocated` holds the addresses in use.
   */
  next(allocated: ReadonlySet<string>, cursor?: string): string {
    const { firstHost, lastHost, capacity } = this.subnet;
    let start = firstHost;
    if (cursor && this.subnet.isAssignable(cursor)) {
      const after = ipToInt(cursor) + 1;
      start = after > lastHost ? firstHost : after;
    }
    for (let i = 0; i < capacity; i++) {
      let candidate = start + i;
      if (candidate > lastHost) candidate -= capacity;
      const ip = intToIp(candidate);
      if (!allocated.has(ip)) return ip;
    }
    throw new AddressExhaustedError(this.subnet.cidr, capacity);
  }
}
