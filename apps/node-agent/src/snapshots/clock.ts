/** The time, behind a class so that age-based decisions (GC, token expiry) are testable with a fake. */
export class Clock {
  now(): number {
    return Date.now();
  }
}

/** A clock that moves only when told to. */
export class FakeClock extends Clock {
  constructor(private current = Date.UTC(2025, 0, 1)) {
    super();
  }

  override now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
