import { FakeClock } from '../snapshots/clock';
import { decideGc, GcPolicy, GcState } from './image-gc';

const MIN = 60_000;
const policy: GcPolicy = { unusedForMs: 30 * MIN, minFreeBytes: 1000 };

describe('decideGc', () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  // Images A (layers a1,a2) and B (layers a1,b2) share their base; C (c1) is alone.
  const base = (): GcState => ({
    now: clock.now(),
    freeBytes: 10_000,
    images: [
      { manifestDigest: 'A', lastUsedAt: t0, chainIds: ['a1', 'a2'] },
      { manifestDigest: 'B', lastUsedAt: t0 + 5 * MIN, chainIds: ['a1', 'b2'] },
      { manifestDigest: 'C', lastUsedAt: t0 + 10 * MIN, chainIds: ['c1'] },
    ],
    snapshots: [
      { chainId: 'a1', createdAt: t0, bytes: 100 },
      { chainId: 'a2', createdAt: t0, bytes: 200 },
      { chainId: 'b2', createdAt: t0, bytes: 300 },
      { chainId: 'c1', createdAt: t0, bytes: 400 },
    ],
    inUseImages: new Set(),
    inUseChainIds: new Set(),
  });

  it('keeps everything that was used recently', () => {
    clock.set(t0 + 29 * MIN);
    expect(decideGc(base(), policy)).toEqual({ removeImages: [], removeSnapshots: [], freedBytes: 0 });
  });

  it('removes images unused for the period, and the snapshots only they needed', () => {
    clock.set(t0 + 31 * MIN);
    const d = decideGc(base(), policy);
    expect(d.removeImages).toEqual([{ manifestDigest: 'A', reason: 'unused' }]);
    // a1 stays: B still uses it
    expect(d.removeSnapshots.map((s) => s.chainId)).toEqual(['a2']);
    clock.set(t0 + 41 * MIN);
    expect(decideGc(base(), policy).removeSnapshots.map((s) => s.chainId).sort()).toEqual(['a1', 'a2', 'b2', 'c1']);
  });

  it('never removes an image a container uses, nor its snapshots, nor a mounted or leased snapshot', () => {
    clock.set(t0 + 600 * MIN);
    const state = { ...base(), inUseImages: new Set(['B']), inUseChainIds: new Set(['c1']) };
    const d = decideGc(state, policy);
    expect(d.removeImages.map((i) => i.manifestDigest).sort()).toEqual(['A', 'C']);
    expect(d.removeSnapshots.map((s) => s.chainId)).toEqual(['a2']);
  });

  it('keeps young orphan snapshots (a pull may be about to record them) unless the disk is short', () => {
    clock.set(t0 + 1 * MIN);
    const state = { ...base(), snapshots: [...base().snapshots, { chainId: 'new', createdAt: t0 + MIN, bytes: 50 }] };
    expect(decideGc(state, policy).removeSnapshots).toEqual([]);
    const short = decideGc({ ...state, freeBytes: 960 }, policy);
    expect(short.removeSnapshots).toEqual([{ chainId: 'new', reason: 'disk-pressure', bytes: 50 }]);
    expect(short.removeImages).toEqual([]);
  });

  it('under disk pressure removes unused images oldest first, only until enough is free', () => {
    clock.set(t0 + 11 * MIN);
    // 400 bytes short: A goes first (frees a2 = 200), then B (frees a1 + b2 = 400) → enough; C stays.
    const d = decideGc({ ...base(), freeBytes: 600 }, policy);
    expect(d.removeImages).toEqual([
      { manifestDigest: 'A', reason: 'disk-pressure' },
      { manifestDigest: 'B', reason: 'disk-pressure' },
    ]);
    expect(d.removeSnapshots.map((s) => s.chainId).sort()).toEqual(['a1', 'a2', 'b2']);
    expect(d.freedBytes).toBe(600);
  });

  it('under pressure still spares images in use, even if they are the oldest', () => {
    clock.set(t0 + 11 * MIN);
    const d = decideGc({ ...base(), freeBytes: 0, inUseImages: new Set(['A']) }, policy);
    expect(d.removeImages.map((i) => i.manifestDigest)).toEqual(['B', 'C']);
    expect(d.removeSnapshots.map((s) => s.chainId).sort()).toEqual(['b2', 'c1']);
  });
});
