/**
 * The HMAC secret of the data plane's signed URLs: `$SILO_HOME/keys/layer-store-signing.key`,
 * shared with the registry, which signs the URLs (a class: it is the DI token).
 */
export class SigningKey {
  static readonly NAME = 'layer-store-signing';

  constructor(readonly secret: Buffer) {}
}
