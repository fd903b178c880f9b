import { Injectable } from '@nestjs/common';
import { access, constants } from 'node:fs/promises';
import { AdminCredentialsStore } from '@silo/service-kit';

/** The admin credentials file exists and is readable (users log in with it). */
@Injectable()
export class CredentialsIndicator {
  readonly name = 'credentials';

  constructor(private readonly store: AdminCredentialsStore) {}

  async check(): Promise<string> {
    await access(this.store.path, constants.R_OK);
    return `${this.store.path} present`;
  }
}
