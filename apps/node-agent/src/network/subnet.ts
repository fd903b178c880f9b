/** IPv4 addresses and CIDR subnets, as plain numbers: no I/O, no dependencies. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipToInt(ip: string): number {
  if (!isIpv4(ip)) throw new Error(`"${ip}" is not an IPv4 address`);
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * A subnet such as `10.88.0.0/24`. Usable container addresses are every address between the
 * network and broadcast addresses except the gateway (the first one, which the bridge holds).
 */
export class Subnet {
  readonly network: number;
  readonly prefix: number;
  readonly size: number;

  private constructor(network: number, prefix: number) {
    this.network = network;
    this.prefix = prefix;
    this.size = 2 ** (32 - prefix);
  }

  /** Accepts `A.B.C.D/N` with 8 ≤ N ≤ 29 (a /30 or smaller leaves no room for containers). */
  static parse(cidr: string): Subnet {
    const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
    if (!match || !isIpv4(match[1]!)) throw new Error(`subnet "${cidr}" is not an IPv4 CIDR like 10.88.0.0/24`);
    const prefix = Number(match[2]);
    if (prefix < 8 || prefix > 29) throw new Error(`subnet "${cidr}": the prefix length must be between /8 and /29`);
    const address = ipToInt(match[1]!);
    const network = prefix === 0 ? 0 : (address >>> (32 - prefix)) * 2 ** (32 - prefix);
    if (network !== address) throw new Error(`subnet "${cidr}" has host bits set; did you mean ${intToIp(network)}/${prefix}?`);
    return new Subnet(network, prefix);
  }

  get cidr(): string {
    return `${intToIp(this.network)}/${this.prefix}`;
  }

  get broadcast(): number {
    return this.network + this.size - 1;
  }

  /** The bridge's address and every container's default gateway. */
  get gateway(): string {
    return intToIp(this.network + 1);
  }

  /** First and last address a container may get (network, gateway and broadcast excluded). */
  get firstHost(): number {
    return this.network + 2;
  }

  get lastHost(): number {
    return this.broadcast - 1;
  }

  /** How many container addresses the subnet holds. */
  get capacity(): number {
    return this.lastHost - this.firstHost + 1;
  }

  contains(ip: string): boolean {
    if (!isIpv4(ip)) return false;
    const value = ipToInt(ip);
    return value >= this.network && value <= this.broadcast;
  }

  /** True when `ip` may be handed to a container. */
  isAssignable(ip: string): boolean {
    if (!isIpv4(ip)) return false;
    const value = ipToInt(ip);
    return value >= this.firstHost && value <= this.lastHost;
  }
}
