import { describeError, ErrorCodes } from './error-codes';
import { SiloError } from './silo-error';

class WidgetMissing extends SiloError {
  constructor(id: string) {
    super('NOT_FOUND', `widget ${id} not found`, { id });
  }
}

describe('SiloError', () => {
  it('carries code, message, details and the subclass name', () => {
    const err = new WidgetMissing('w1');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('WidgetMissing');
    expect(err.toJSON()).toEqual({ code: 'NOT_FOUND', message: 'widget w1 not found', details: { id: 'w1' } });
  });

  it('defaults the message from the registry', () => {
    expect(new SiloError('TIMEOUT').message).toBe(ErrorCodes.TIMEOUT.message);
  });

  it('maps unknown codes to INTERNAL', () => {
    expect(describeError('NOPE').httpStatus).toBe(500);
    expect(describeError('VALIDATION_FAILED').httpStatus).toBe(400);
  });
});
