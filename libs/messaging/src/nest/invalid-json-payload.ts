/** Stands in for a message body that is not JSON, so validation can reject it with a clear error. */
export class InvalidJsonPayload {
  constructor(readonly raw: string) {}
}
